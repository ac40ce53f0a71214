"""Finding the product a shopper named: hybrid search over titles, brands and model numbers.

:class:`ProductFinder` resolves the named product with word TF-IDF (lexical) fused with the
embedder's cosine (dense) and a **model-number guard**: every model code in the question
("DX-11", "v236w", "RW-300") must be one of the product's own codes, so "DX-11" never resolves
to "DX-2". A code no product carries means the named product is not in the catalogue: the
reply says so and offers the closest products as alternatives, never their facts as the
answer. The facts themselves are stated by :mod:`bot.answers.facts`.

>>> finder = ProductFinder([Product("1", "Bajaj Majesty DX-11 Iron"), Product("2", "Bajaj DX-2 Iron")])
>>> finder.find("price of the bajaj dx-2?").product.id, finder.find("Bajaj DX-7 price").missing
('2', 'DX7')
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from bot.answers.specwords import CALENDAR_WORDS, FEATURE_WORDS, MEANS


# A model code: letters and digits mixed ("v236w", "rw-300", "ps5", "64gb"), or digits joined by
# a hyphen to letters ("dx-11"). Pure numbers and plain words are not codes.
_TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", re.I)
_INCHES = re.compile(r"\b(\d+(?:\.\d+)?)(?:\s*-?\s*(?:inches|inch)\b|\s?\")", re.I)
# "64 GB" → "64gb"; "in" is the inch only where no word follows it ("a 32 in TV", not "the Rockerz 450 in stock")
_UNIT_GAP = re.compile(r"\b(\d+(?:\.\d+)?)\s+(gb|tb|mb|mah|w|mm|cm|kg|g|ml|l|hz|inch|in(?=\s*(?:tv|screen|monitor|"
                       r"display|led|lcd|oled|[,.;:?!)]|$)))\b", re.I)
_ALIASES = {  # shoppers' short forms → the catalogue's words
    "ps5": "playstation 5", "ps4": "playstation 4", "xsx": "xbox series x", "ns": "nintendo switch",
}
_STOP = frozenset(
    "a an the and or of for to in on with is are do does did you your we our i me my it its this that "
    "how much what which when where who why can could would will should there any some have has be "
    "price cost costs priced sell selling sold stock available availability rating rate rated ratings specs tell "
    "about mrp discount customers reviews reviewed star stars how big long much many "
    "version edition new please buy get need want".split()
)
_SIZE = re.compile(r"\d+(\.\d+)?(gb|tb|mb|mah|w|mm|cm|kg|g|ml|l|hz|in|inch|inches|k|p|v|fps|dpi)")
_GENERIC = frozenset({"edition", "console", "game", "games", "controller", "card", "set", "pack"})
# Accessory kinds: a title of one ("Switch Pro Controller") is not what a question naming only
# the thing it fits ("Nintendo Switch price") asks about.
_ACCESSORY_KINDS = frozenset("controller case card charger cable dock station stand protector cover adapter strap "
                             "mount kit bag sleeve skin".split())
# "weight: 2 lb; R-value: 4.2; MIPS: yes": lower-case names, or an acronym with an optional lower-case tail
# (R-value, C-wire); a capitalised word ("Camera: 13MP Rear Camera") starts an exported description.
_ATTR_NAME = r"(?:[a-z][a-z -]{0,30}|[A-Z]{1,6}(?:[- ][a-z]+)*)"
_ATTR_LINE = re.compile(rf"^{_ATTR_NAME}: [^;]+(?:; {_ATTR_NAME}: [^;]+)*\.?$")


def _norm(text: str) -> str:
    text = _INCHES.sub(r"\1inch", text.lower())  # "32 inches", "32-inch", '32"' → "32inch"
    text = _UNIT_GAP.sub(r"\1\2", text)
    for short, long in _ALIASES.items():
        text = re.sub(rf"\b{short}\b", f"{short} {long}", text)
    return text


def tokens(text: str) -> list[str]:
    """Lower-case word and code tokens; ``"DX-11"`` → ``"dx11"``, ``"64 GB"`` → ``"64gb"``.

    >>> tokens("Bajaj Majesty DX-11 Iron, 64 GB")
    ['bajaj', 'majesty', 'dx11', 'iron', '64gb']
    """
    return [t.replace("-", "").replace(".", "") if _is_code(t) else t for t in _TOKEN.findall(_norm(text))]


def _is_code(tok: str) -> bool:
    t = tok.replace("-", "").replace(".", "")
    return bool(re.search(r"[a-z]", t)) and bool(re.search(r"\d", t))


def codes(text: str) -> set[str]:
    """The model codes in ``text``: ``codes("HP v236w USB 2.0 64GB")`` → ``{'v236w', '64gb'}``."""
    return {t.replace("-", "").replace(".", "") for t in _TOKEN.findall(_norm(text)) if _is_code(t)}


@dataclass(frozen=True)
class Product:
    """One catalogue row, as the assistant may state it."""

    id: str
    title: str
    brand: str = ""
    category: str = ""
    subcategory: str = ""  # the last level of the category path ("DryIrons"), when the catalogue has one
    price: float | None = None
    currency: str = "USD"
    list_price: float | None = None
    stock: int | None = None
    rating: float | None = None
    rating_count: int | None = None
    attributes: dict = field(default_factory=dict)
    description: str = ""
    text: str = ""  # the whole record text (for features the structured fields do not hold)

    @property
    def name(self) -> str:
        """The title as a person says it (long export titles cut at their first clause)."""
        return short_title(self.title)

    @property
    def base_title(self) -> str:
        """The title without a trailing ``(Platform)``: ``"Chronicles of Ember (PS4)"`` → ``"Chronicles of Ember"``."""
        return re.sub(r"\s*\([^)]*\)\s*$", "", self.title).strip()

    @property
    def platform(self) -> str:
        return str(self.attributes.get("platform", ""))

    @classmethod
    def from_record(cls, meta: dict, text: str = "", currency: str = "USD") -> Product:
        """A product from its index record: structured metadata first, the record text for the rest."""
        attrs: dict[str, str] = {}
        description = ""
        for line in text.splitlines()[1:]:
            line = line.strip()
            if _ATTR_LINE.match(line) and not line.startswith(("Price:", "Category:", "Rating:", "In stock:")):
                for part in line.rstrip(".").split("; "):
                    name, _, value = part.partition(": ")
                    attrs[name.strip()] = value.strip()
            elif line and not re.match(r"^(Price|Category|Rating|In stock|Out of stock|Brand)\b|^[A-Z][\w ]{1,30}: ", line):
                description = description or line
        return cls(
            id=str(meta.get("product_id") or meta.get("doc_id")),
            title=str(meta.get("title") or text.splitlines()[0] if text else meta.get("title", "")),
            brand=str(meta.get("brand") or ""),
            category=str(meta.get("category") or ""),
            subcategory=str(meta.get("subcategory") or ""),
            price=_float(meta.get("price")),
            currency=str(meta.get("currency") or currency),
            list_price=_float(meta.get("list_price")),
            stock=None if meta.get("stock") in (None, "") else int(float(meta["stock"])),
            rating=_float(meta.get("rating")) or _rating_from(text),
            rating_count=None if meta.get("rating_count") in (None, "") else int(float(meta["rating_count"])),
            attributes=attrs,
            description=str(meta.get("description") or description),
            text=text,
        )


def _float(value) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _rating_from(text: str) -> float | None:
    m = re.search(r"Rating: ([\d.]+) out of 5", text)
    return float(m.group(1)) if m else None


@dataclass
class Resolution:
    """What :meth:`ProductFinder.find` made of a question."""

    product: Product | None  # the product the question is about, when one is named and found
    score: float = 0.0
    missing: str = ""  # a model code / name the shopper gave that no product carries
    alternatives: list[Product] = field(default_factory=list)  # the closest products, when ``missing``
    family: list[Product] = field(default_factory=list)  # the title on every platform, when none was named


NAME_NUMBER_FLOOR = 0.15  # a product this close in name, with another number after it, was what was meant


class ProductFinder:
    """Hybrid (lexical + dense) search over product titles, brands and model codes."""

    MIN_LEXICAL = 0.34  # share of the question's distinctive title words a product must carry

    DENSE_WEIGHT = 0.35  # the dense cosine's weight beside the lexical share

    def __init__(self, products: list[Product], embed=None, vectors=None, embed_query=None):
        """``embed`` (list[str] → unit vectors) embeds titles and questions for the dense half;
        ``vectors`` are the products' vectors already at hand (the index's record vectors, in
        ``products`` order) and ``embed_query`` (str → unit vector) embeds a question against them."""
        self.products = products
        self.embed = embed  # (list[str]) -> list[list[float]], unit vectors; optional
        self.embed_query = embed_query or ((lambda q: embed([q])[0]) if embed is not None else None)
        self._given_vectors = vectors
        # A size-prefixed model code ("32Y1": the 32-inch Y1) also answers to the model alone ("Y1").
        docs = [_with_models(tokens(f"{p.title} {p.brand} {p.platform}")) for p in products]
        self._doc_sets = [set(d) for d in docs]
        # The words of each product's name (a long export title's head): what a shopper names it by.
        self._name_sets = [set(_with_models(tokens(short_title(p.title)))) | set(tokens(p.brand)) for p in products]
        df = Counter(t for d in self._doc_sets for t in d)
        n = len(products) or 1
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._max_idf = math.log(1 + n)
        # Words after "for" / "compatible with" name what an accessory fits, not the accessory.
        self._accessory_sets = [set(tokens(_after_for(p.title))) for p in products]
        # Words that alone name no product: a game's platform in "(PS5)", and generic nouns.
        self._kinds = [{t for t in tokens(p.title) if t in _ACCESSORY_KINDS} for p in products]
        self._platform_sets = [(set(tokens(p.platform)) if p.base_title != p.title else set()) | _GENERIC
                               for p in products]
        self._codes = [codes(f"{p.title} {p.platform}") for p in products]
        self._all_codes = set().union(*self._codes) if self._codes else set()
        self._words = set().union(*self._doc_sets, *self._name_sets) if products else set()
        self._pairs = [name_numbers(tokens(p.title)) for p in products]
        self._platform_codes = {c for p in products for c in codes(p.platform)}
        self._vectors = None
        self._common: frozenset | None = None
        # Brands: a title's first word that starts two or more titles ("Duracell", "boAt").
        firsts = Counter(t[0] for t in (tokens(p.title)[:1] for p in products) if t)
        self._brands = {w for w, c in firsts.items() if c >= 2 and len(w) >= 3 and w.isalpha() and w not in _STOP
                        and w not in _GENERIC and w not in FEATURE_WORDS}

    def _dense(self, question: str):
        """Cosine of ``question`` with every product (``None`` without an embedder)."""
        if self.embed_query is None or not self.products:
            return None
        import numpy as np

        q = np.asarray(self.embed_query(question), dtype="float32")
        vectors = self._product_vectors(q.shape[0])
        return None if vectors is None else vectors @ q

    def _product_vectors(self, dim: int):
        """The products' vectors in the question's space: the given ones when they fit, else the
        titles embedded once with ``embed``."""
        import numpy as np

        if self._vectors is not None and self._vectors.shape[1] == dim:
            return self._vectors
        given, self._given_vectors = self._given_vectors, None
        if given is not None and len(given) == len(self.products) and all(v is not None for v in given):
            vectors = np.asarray(given, dtype="float32")
            if vectors.ndim == 2 and vectors.shape[1] == dim:
                self._vectors = vectors
                return vectors
        if self.embed is not None:
            vectors = np.asarray(self.embed([f"{p.title} {p.brand}" for p in self.products]), dtype="float32")
            if vectors.ndim == 2 and vectors.shape[1] == dim:
                self._vectors = vectors
                return vectors
        return None

    @property
    def common_words(self) -> frozenset:
        """Words the catalogue's texts write in lower case (so a sentence need not keep an export's
        Title Case: "Upto 15 Hours Playback" → "up to 15 hours playback")."""
        if self._common is None:
            from bot.answers.features import lower_words

            self._common = lower_words(p.text or p.description for p in self.products)
        return self._common

    def _lexical(self, q_tokens: set[str], q_codes: set[str] = frozenset(), q_pairs: set = frozenset()) -> list[float]:
        """Per product: IDF-weighted share of the question's words it carries — words the catalogue
        never uses count fully against it ("gift wrapping" names no gift set) — damped by how little
        of its own title the question covers ("return an opened game" names no game)."""
        content = {t for t in q_tokens if t not in _STOP and (len(t) > 1 or t.isdigit())}
        naming = content - FEATURE_WORDS  # "battery" in "How long does the battery last on the X?" names no product
        if not naming:
            return [0.0] * len(self.products)  # "what's its capacity?" names none
        content = naming if naming & set(self._idf) else content
        known = {t for t in content if t in self._idf}
        # math.fsum over the word sets: a plain sum's last bits follow the set's (per-process) order
        total = math.fsum(self._idf[t] for t in known) + self._max_idf * len(content - known)
        if not known or not total:
            return [0.0] * len(self.products)
        asked = {t.rstrip("s") for t in q_tokens}
        out = []
        for d, head, plat, acc, kinds, pairs in zip(self._doc_sets, self._name_sets, self._platform_sets,
                                                    self._accessory_sets, self._kinds, self._pairs):
            matched = known & d
            hit = math.fsum(self._idf[t] * (0.5 if t in acc else 1.0) for t in matched)
            named = math.fsum(self._idf[t] for t in matched - plat - acc)  # a platform alone names no product
            # How much of its name the question covers: a long export title's feature list
            # ("…, True HEPA Filter, removes air pollutants, …") is not what shoppers repeat.
            own = math.fsum(self._idf.get(t, 0.0) for t in (head & d) - plat - acc if t not in _STOP) or 1.0
            coded = bool(q_codes) and q_codes <= (d & self._all_codes)  # its model code names it outright
            coded = coded or bool(q_pairs & pairs)  # so does its name with its number ("Rockerz 450")
            share = hit / total * (1.0 if coded else min(1.0, (0.3 if named else 0.0) + 1.5 * named / own))
            out.append(share * (0.8 if kinds and not coded and not kinds & asked else 1.0))
        return out

    def siblings(self, product: Product) -> list[Product]:
        """The same title on every platform we carry, ``product`` included (platform order)."""
        if not product.platform or product.base_title == product.title:
            return [product]
        same = [p for p in self.products if p.base_title == product.base_title and p.platform]
        return sorted(same, key=lambda p: p.platform) if len(same) > 1 else [product]

    def find(self, question: str, focus: Product | None = None, dense=None) -> Resolution:
        """The product ``question`` names (``focus``: the product of the previous turns, used when
        the question names none). ``dense``: per-product similarities to use instead of this
        finder's own embedder (a cross-lingual model's, for a question in another language)."""
        if not self.products:
            return Resolution(None)
        q_tokens = set(tokens(question))
        q_codes = {c for c in codes(question) if not _SIZE.fullmatch(c)}
        lexical = self._lexical(q_tokens, (q_codes & self._all_codes) - self._platform_codes, name_numbers(tokens(question)))
        if dense is None:
            dense = self._dense(question)
        fused = [lx + (self.DENSE_WEIGHT * float(dense[i]) if dense is not None else 0.0)
                 for i, lx in enumerate(lexical)]
        order = sorted(range(len(self.products)), key=lambda i: -fused[i])
        best = order[0]
        if lexical[best] < self.MIN_LEXICAL:
            for i in sorted(range(len(self.products)), key=lambda i: -lexical[i])[:3]:
                other = _other_model_number(question, self.products[i]) if lexical[i] >= NAME_NUMBER_FLOOR else ""
                if other:  # "boAt Airdopes 131" asked, only the Airdopes 121v2 carried
                    return Resolution(None, missing=other, alternatives=[self.products[j] for j in order[:3]])
            unknown = q_codes - self._all_codes
            if unknown and _looks_like_model(unknown):
                return Resolution(None, missing=" ".join(sorted(unknown)).upper(),
                                  alternatives=[self.products[i] for i in order[:3]])
            named = unknown_name(question, self._words, self._doc_sets)
            if named:  # "How much is the iPhone 16?": a product name no title of ours has
                close = [self.products[i] for i in order[:3] if dense is not None and float(dense[i]) >= ALTERNATIVE_FLOOR]
                return Resolution(None, missing=named, alternatives=close)
            return Resolution(focus)
        # The model-number guard: the product must carry every model code the shopper gave.
        # Platform codes ("PS4" in "does the PS5 play PS4 games?") need only one of them carried.
        model_codes = {c for c in q_codes if c in self._all_codes or _looks_like_model({c})}
        platforms, model_codes = model_codes & self._platform_codes, model_codes - self._platform_codes
        brands = q_tokens & self._brands  # the brand the shopper named: another brand's product is not it
        for i in order[:10]:
            if lexical[i] < self.MIN_LEXICAL:
                break
            if brands and not brands & self._doc_sets[i]:
                continue
            carried = self._codes[i] | _platform_codes(self.products[i])
            if all(_carries(carried, c) for c in model_codes) and (not platforms or platforms & carried):
                found = self.products[i]
                other = _other_model_number(question, found)
                if other:  # "Nord 3" asked, "Nord 2T" found: a different model
                    return Resolution(None, missing=other, alternatives=[self.products[j] for j in order[:3]])
                family = self.siblings(found)
                named_platform = any(set(tokens(p.platform)) & q_tokens for p in family) if len(family) > 1 else True
                return Resolution(found, score=fused[i], family=[] if named_platform else family)
        missing = " ".join(sorted(model_codes - self._codes[best])).upper()
        if brands and not brands & self._doc_sets[best]:  # "Duracell CR2032": only another brand's CR2032
            named = brands | model_codes
            missing = " ".join(w for w in re.findall(r"[\w+-]+", question) if set(tokens(w)) & named) or missing
        return Resolution(None, missing=missing, alternatives=[self.products[i] for i in order[:3]])

    def sibling_named(self, product: Product, question: str) -> Product | None:
        """Another variant of ``product`` that ``question`` picks by its own words only ("and the
        4GB one?" after the 6GB iQOO Z6): a product with the same name whose title carries every
        word the question gives and ``product``'s title does not."""
        q = {t for t in tokens(question) if t not in _STOP and t not in _GENERIC and len(t) > 1} - {"one", "ones"}
        own = set(tokens(product.title))
        new = q - own
        if not new or not q:
            return None
        for other in self.products:
            if other.id != product.id and other.name == product.name and q <= set(tokens(other.title)):
                return other
        return None

    def cheaper(self, product: Product, n: int = 2) -> list[Product]:
        """Up to ``n`` products of ``product``'s kind (its sub-category, else its category) priced below
        it, the most alike first (title words shared, then rating)."""
        if product.price is None:
            return []
        kind = product.subcategory or product.category
        own = set(tokens(product.title)) - _STOP
        same = [p for p in self.products if p.id != product.id and p.price is not None and p.price < product.price
                and kind and (p.subcategory or p.category) == kind and p.name != product.name]
        def alike(p: Product) -> tuple:
            words = set(tokens(p.title)) - _STOP
            return (len(own & words) / (len(own | words) or 1), p.rating or 0.0, -p.price)
        picked: list[Product] = []
        for p in sorted(same, key=alike, reverse=True):
            if all(p.name != q.name for q in picked):
                picked.append(p)
            if len(picked) == n:
                break
        return picked

    def variant(self, product: Product, platform: str) -> Product | None:
        """The same title on another platform: ``variant(ember_ps4, "PC")`` → Chronicles of Ember (PC)."""
        want = platform.lower()
        for p in self.products:
            if p.id != product.id and p.base_title == product.base_title and p.platform.lower() == want:
                return p
        return None

    def platforms_of(self, product: Product) -> list[str]:
        return sorted({p.platform for p in self.products if p.base_title == product.base_title and p.platform})


def fits_focus(question: str, product: Product) -> bool:
    """Whether every word ``question`` might name a product by is a word of ``product``'s own text
    ("what's the tank capacity?" after the Eureka Forbes vacuum, whose text has its 20-litre
    tank): the follow-up is about it, not about a product with "tank" in its title."""
    naming = {t for t in tokens(question) if t not in _STOP and t not in FEATURE_WORDS and t not in MEANS
              and len(t) > 2 and not t.isdigit()}
    text = set(tokens(f"{product.title} {product.text}"))
    return bool(naming) and naming <= text


def _after_for(title: str) -> str:
    """``"Screen Protector for Xiaomi Pad 5"`` → ``"Xiaomi Pad 5"`` (what an accessory fits)."""
    m = re.search(r"\b(for|compatible with|fits|suitable for)\b(.*)", title, re.I)
    return m.group(2) if m and m.start() > 0 else ""


def short_title(title: str, limit: int = 60) -> str:
    """A product name as a person says it: a long export title cut at its first clause (comma,
    bar, bracket or spaced slash; then a dash or "with" clause).

    >>> short_title("Karcher WD3 EU Wet and Dry Vacuum Cleaner, 1000 Watts Powerful Suction, 17 L Capacity")
    'Karcher WD3 EU Wet and Dry Vacuum Cleaner'
    >>> short_title("Samsung Galaxy M33 5G (Mystique Green, 8GB, 128GB Storage) | 6000mAh Battery | Upto 16GB RAM")
    'Samsung Galaxy M33 5G'
    >>> short_title("PlayStation 5 Console - Disc Edition")
    'PlayStation 5 Console - Disc Edition'
    """
    if len(title) <= limit:
        head = re.split(r"\s*,\s*|\s+\|\s+", title)[0].strip()
        if head.count("(") > head.count(")"):  # "OnePlus Nord 2T 5G (Jade Fog, 8GB RAM…)": before the bracket
            head = head[: head.rfind("(")].strip()
        return head if head != title and _names_alone(head) else title
    for pattern in (r"\s*[,|(\[]\s*|\s+/\s+", r"\s+[-–]\s+(?=[A-Z0-9])|\s+with\s+"):
        head = re.split(pattern, title)[0].strip()
        if len(head.split()) >= 2 and len(head) <= limit + 20 and _names_alone(head):
            return head
        title = head if len(head.split()) >= 2 and _names_alone(head) else title
    return title if len(title) <= limit + 20 else title[:limit].rsplit(" ", 1)[0]


def _names_alone(head: str) -> bool:
    """Whether a title's head names a product by itself: some word after its first (the brand)
    that is not a size — "JBL Go 2" or "Redmi 10A" do, "MI 108 cm" does not."""
    words = head.split()
    return len(words) >= 2 and any(not _SIZE_WORD.fullmatch(w.strip("()[],")) for w in words[1:])


_SIZE_WORD = re.compile(r"\d+(\.\d+)?(cm|mm|m|inch|inches|gb|tb|w|l|kg|g|ml)?|cm|mm|inch|inches|\"", re.I)


def spoken_name(p: Product, question: str = "") -> str:
    """The product's name as the shopper said it, when its title is a long export title: the
    title's first words up to the last one the question used ("the Rockerz 450" → "boAt
    Rockerz 450"); else :attr:`Product.name`.

    >>> spoken_name(Product("1", "boAt Rockerz 450 Bluetooth On Ear Headphones with Mic, Upto 15 Hours Playback"),
    ...             "How long does the battery last on the Rockerz 450?")
    'boAt Rockerz 450'
    """
    name = p.name
    if len(p.title) <= 60 or not question:
        return name
    said = _said_name(p, question)
    if said:
        return said
    asked = {t for t in tokens(question) if t not in _STOP}
    words = name.split()
    last = max((i for i, w in enumerate(words) if set(tokens(w)) & asked), default=-1)
    return " ".join(words[: last + 1]) if last >= 1 else name


_SPAN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+]*(?:[-./][A-Za-z0-9+]+)*(?:\s?(?:inch(?:es)?|\"))?")
_SPAN_GLUE = frozenset("and & +".split())


def _said_name(p: Product, question: str) -> str:
    """The words the shopper named ``p`` by ("the Dyazo laptop stand", "the Mi Air Purifier 3"),
    spelt as the title spells them, when every one of them is in the title and they start with
    the title's first word (its brand); else ``""``."""
    title: dict[str, str] = {}
    for w in _SPAN_WORD.findall(p.title):
        for t, raw in zip(tokens(w), re.findall(r"[A-Za-z0-9]+(?:\s?inch(?:es)?|\")?", w) if len(tokens(w)) > 1 else [w]):
            title.setdefault(t, raw)
    words = [(w, tokens(w)) for w in _SPAN_WORD.findall(question)]
    first = tokens(p.title)[:1]
    start = next((i for i, (_, t) in enumerate(words) if t[:1] == first), None)
    if start is None:
        return ""
    span: list[str] = []
    rest = words[start:]
    for n, (word, toks) in enumerate(rest):
        tok = toks[0] if toks else ""
        if tok in _SPAN_GLUE and span:  # "Wet & Dry", "Keyboard and Mouse"
            span.append(word)
            continue
        inside = tok in title and n + 1 < len(rest) and rest[n + 1][1][:1] and rest[n + 1][1][0] in title
        if (tok in FEATURE_WORDS or tok in MEANS or tok in _STOP) and not inside:  # "Is the JBL Go 2 waterproof?"
            break
        if tok in title:
            span.append(title[tok] if not re.search(r"\d", word) or title[tok].lower() == word.lower() else word)
        elif tok and any(t.endswith(tok) and t[: -len(tok)].isdigit() for t in title):  # "Y1" of "32Y1"
            span.append(word)
        else:
            break
    while span and tokens(span[-1])[:1] and tokens(span[-1])[0] in _SPAN_GLUE:
        span.pop()
    return " ".join(span) if len(span) >= 2 else ""


def _with_models(toks: list[str]) -> list[str]:
    """``toks`` plus the model of each size-prefixed code: ``["tv", "32y1"]`` → ``["tv", "32y1", "y1"]``."""
    extra = [m.group(1) for t in toks if (m := re.fullmatch(r"\d{2,3}([a-z]+\d+[a-z]*)", t))]
    return toks + extra


def _platform_codes(p: Product) -> set[str]:
    return codes(p.platform) | {t for t in tokens(p.platform)}


def _carries(product_codes: set[str], code: str) -> bool:
    """``code`` is one of the product's codes, or one of them is it with a size prefix ("32y1" for "y1")."""
    return code in product_codes or any(c.endswith(code) and c[: -len(code)].isdigit() for c in product_codes)


def _other_model_number(question: str, product: Product) -> str:
    """The "name number" the shopper gave when the product has the same name with another number:
    ``"OnePlus Nord 3"`` against "OnePlus Nord 2T 5G" → ``"Nord 3"``; ``""`` otherwise."""
    title = tokens(product.title)
    for m in re.finditer(r"\b([A-Za-z][A-Za-z]+)\s+(\d{1,4}[a-z]{0,2})\b(?![.,]?\d)(?!-\w)(?!\s*(gb|tb|mb|w|watts?|players?|pcs?|pack|inch|mm|l)\b)",
                         question, re.I):
        word, number = m.group(1).lower(), m.group(2).lower()
        if word in title and number not in title:
            i = title.index(word)
            nxt = title[i + 1] if i + 1 < len(title) else ""
            if nxt and nxt != number and re.match(r"\d", nxt):
                return f"{m.group(1)} {m.group(2)}"
            if word in tokens(short_title(product.title)) and not re.search(r"[a-z]", number):
                return f"{m.group(1)} {m.group(2)}"  # "Ninja 2" asked, the "Fire-Boltt Ninja Calling" found
    return ""


# A product name as shoppers write it: a word with inner capitals ("iPhone", "QuietComfort") or
# capitalised words with a model number ("Google Pixel 9", "Switch 2") — never a size, a count or a date.
_NAME_WORD = r"(?:[a-z]+[A-Z][A-Za-z]*|[A-Z][a-z]+[A-Z][A-Za-z]*|[A-Z][a-z]{2,}|[A-Z]{2,5})"
_PRODUCT_NAME = re.compile(
    rf"(?<![\w'-])({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}(?:\s+(\d{{1,4}}[a-z]{{0,3}}))?)\b"
    r"(?!\s*(?:gb|tb|mb|w|watts?|players?|pcs?|pack|inch|mm|l|days?|weeks?|months?|years?|hours?|minutes?|items?|"
    r"orders?|units?|am|pm|percent|%|dollars?)\b)(?![.,:/-]?\d)")
_CAMEL = re.compile(r"[a-z][A-Z]")
# Words that make a capitalised run an occasion or a reference, not a product ("Black Friday 2026", "Section 3").
_NOT_A_NAME = CALENDAR_WORDS | frozenset(
    "christmas easter prime singles day week year black cyber section step page chapter version level gen generation "
    "order number room size gift card".split())
ALTERNATIVE_FLOOR = 0.45  # a product this close (dense cosine) to a name we do not carry is worth offering


def unknown_name(question: str, words: set[str], titles: list[set[str]] = ()) -> str:
    """The product name in ``question`` that we do not carry (``""`` when there is none): a name
    with a word none of our titles has, or known words with a model number no title has with them
    (``titles``: each title's words).

    >>> titles = [{"nintendo", "switch", "oled"}, {"playstation", "5"}]
    >>> unknown_name("How much is the iPhone 16?", set().union(*titles), titles)
    'iPhone 16'
    >>> unknown_name("Do you sell the Switch 2?", set().union(*titles), titles)
    'Switch 2'
    >>> unknown_name("Is the PlayStation 5 in stock?", set().union(*titles), titles), unknown_name("Is 2 enough?", set())
    ('', '')
    """
    for m in _PRODUCT_NAME.finditer(question):
        name, number = m.group(1), m.group(2)
        if not (number or _CAMEL.search(name)) or _NOT_A_NAME & set(name.lower().split()):
            continue
        name_words = [w for w in tokens(name) if not w.isdigit() and w not in _STOP]
        if not name_words or (m.start() == 0 and len(name_words) == 1 and not number):
            continue
        if any(w not in words for w in name_words):
            return name
        if number and not any(set(name_words) <= t and number.lower() in t for t in titles):
            return name
    return ""


def name_numbers(toks: list[str]) -> set[tuple[str, str]]:
    """A name word followed by its model number: ``["boat", "rockerz", "450", "bluetooth"]`` →
    ``{("rockerz", "450")}`` (a count or a size is not a model number)."""
    return {(a, b) for a, b in zip(toks, toks[1:])
            if b.isdigit() and len(b) <= 4 and a.isalpha() and len(a) > 2 and a not in _STOP}


def _looks_like_model(found: set[str]) -> bool:
    """A code like ``v236w`` / ``dx11`` / ``rw300`` (not a size such as ``64gb`` or ``2tb``)."""
    return any(not re.fullmatch(r"\d+(\.\d+)?[a-z]{1,3}", c) for c in found)
