"""Policy and FAQ answers: the sentence(s) that answer the question, not the whole entry.

A source body is cut into **answer units** (:class:`Unit`) that keep the document's structure:
the sentences of a paragraph, one unit per list item, one per table row (the row spoken with
its column headers: "Gold plan — Price: $59 a year; Benefits: …"). A unit never merges two
list items or two rows, so a fact that belongs to one item ("bronze members: 90 days") is never
answered from its neighbour ("guest members: 30 days"). Each unit keeps its **context** — the
heading path and the lead-in sentence of its list ("Confirm the order can be returned, by
checking the membership level:") — which scopes it without being shown. A sentence that sets
two parallel cases side by side ("Standard shipping takes 3-5 days, while express shipping
takes 1-2 days") also yields each clause, for a question that names one of them.

Units are ranked by how much of the question they answer: the rare question words they carry
(IDF over the candidate units; words of the unit's context count half), plus the embedder's
cosine when one is given. **Qualifiers** decide between parallel units: when units are about
several kinds of one thing (gold / silver / bronze / guest *members*; standard / express
*shipping*) and the question names one kind, units about another kind drop far behind. The
best unit comes first; at most one more from the same place follows, in document order.
:func:`compose` puts the yes or no first when the question is a yes/no question and the unit
decides it. Text written for staff ("Ask the customer …") is turned into what it means for the
shopper first (:mod:`bot.answers.agent_text`).

>>> body = "Guest members have 30 days to return an item. Bronze members have 90 days. Refunds take 5 days."
>>> select("I'm a bronze member, how long do I have to return an item?", body, n=1)
['Bronze members have 90 days.']
>>> select("How long does express shipping take?", "Standard shipping takes 3-5 days, while express shipping takes 1-2 days.")
['Express shipping takes 1-2 days.']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from bot.answers import agent_text

_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_MD_MARK = re.compile(r"(\*\*|__|`)")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])|(?<=[。！？])")
_RAW_SENT = re.compile(r"(?<=[.!?])\s+(?=(?:\*\*|__)?[A-Z0-9“\"(])|(?<=[。！？])")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*|[\u3400-\u9fff]", re.I)
_STOP = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been it its this that these "
    "those you your we our us they their i me my can could will would should may do does did have has had not "
    "so than then there what which who when where why how all any each some more most also just only very "
    "i'm i've it's there's what's how's i'd i'll please back".split()
)
_YES_NO = re.compile(r"^\s*(?:(?:and|so|but|ok|okay|also)\s*,?\s+)?(can|could|do|does|did|is|are|was|were|will|would|"
                     r"should|may|am|have|has)\b", re.I)
_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)")
_HEADING = re.compile(r"^\s*(#{1,6})\s+(.*)")
# Where a sentence sets two parallel cases side by side: "A takes 3-5 days, while B takes 1-2 days".
_PARALLEL = re.compile(r",?\s+(?:while|whereas)\s+|;\s+|,\s+but\s+", re.I)
# Words that end a unit's label (its leading noun phrase: "Silver members", "Express shipping").
_LABEL_END = frozenset(
    "can cannot can't could get gets have has had is are was were be will would may might must should do does did "
    "don't doesn't won't need needs usually typically generally normally only always never also take takes cost "
    "costs require requires qualify qualifies receive receives pay pays allow allows offer offers vary varies "
    "carry carries include includes apply applies ship ships arrive arrives come comes start starts begin begins "
    "expire expires last lasts".split()
)
_CONDITIONAL = frozenset("if when once for to since because after before while during unless".split())
# Words that ask for the same thing, added to the question's words (and to a unit's: "charge" ~ "cost").
_SYNONYMS = {"much": ("price", "amount"), "cost": ("price",), "costs": ("price",), "fee": ("price",),
             "fees": ("price",), "charge": ("price",), "charged": ("price",), "pay": ("price",),
             "membership": ("member",), "quick": ("long",), "fast": ("long",), "soon": ("long",)}
# Head words that name one thing ("express shipping" asks about "Express delivery …").
_SAME_HEAD = {"ship": "delivery", "shipment": "delivery", "deliver": "delivery"}


@dataclass
class Unit:
    """One answer unit: what the shopper reads, and what scopes it."""

    text: str  # what the shopper reads
    context: str = ""  # heading path and list lead-in: scopes the unit, never shown
    label: str = ""  # the unit's leading noun phrase or "Label:" ("Silver members"), when it has one
    group: int = 0  # units of one paragraph, list or table share a group
    index: int = 0  # document order in its source
    source: int = 0  # which source of a pool it came from
    clause: bool = False  # one side of a parallel sentence: only for a question naming that side
    of: int = -1  # for a side of a parallel sentence: the pool position of the whole sentence
    lead: str = ""  # the sentence its list hangs from ("Options include:" answers "how would you like to …")
    words: set[str] = field(default_factory=set, repr=False)
    context_words: set[str] = field(default_factory=set, repr=False)
    label_words: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.label = self.label or _label_of(self.text)
        self.label_words = [_stem(w) for w in _WORD.findall(self.label.lower()) if w not in _STOP]
        if self.label_words:
            self.label_words[-1] = _SAME_HEAD.get(self.label_words[-1], self.label_words[-1])
        self.words = stems(self.text) | set(self.label_words) | {
            _stem(s) for w in _words(self.text) if w in _SYNONYMS for s in _SYNONYMS[w]}
        self.context_words = stems(self.context) - self.words


_HAN_CHAR = "\u3400-\u9fff，。；：！？、（）"
# the space a writer puts around a bold span between Chinese characters ("可在 **签收后** 退货"),
# which Chinese does not keep once the marks are gone
_CJK_MARK_GAP = re.compile(f"(?<=[{_HAN_CHAR}])[ \t]+(?=(?:\\*\\*|__)[{_HAN_CHAR}])"
                           f"|(?<=[{_HAN_CHAR}](?:\\*\\*|__))[ \t]+(?=[{_HAN_CHAR}])")


def strip_markdown(text: str) -> str:
    """``"Click **Save** in [Account](/a)"`` → ``"Click Save in Account"``; Chinese keeps no space
    where a bold span sat between characters.

    >>> strip_markdown("可在 **签收后 30 天内** 退货；Use **Apex Rush** now")
    '可在签收后 30 天内退货；Use Apex Rush now'
    """
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARK.sub("", _CJK_MARK_GAP.sub("", text))
    return re.sub(r"^\s*#+\s*", "", text, flags=re.M)


_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


def _words(text: str) -> set[str]:
    """Latin words, and for Chinese (written without spaces) each character and each pair of
    neighbouring characters ("运费怎么算" → 运费, 费怎, 怎么, 么算): a pair is the usual unit of a
    Chinese word, so "运费" in a question matches the sentence about shipping fees."""
    words = {w.lower().removesuffix("'s") for w in _WORD.findall(text)} - _STOP
    for run in _CJK_RUN.findall(text):
        words.update(run[i:i + 2] for i in range(len(run) - 1))
    return words


_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ments", "ment", "ables", "able", "ies", "es", "ed",
             "s", "e")


def _stem(word: str) -> str:
    """A light suffix stripper: "reservations" ~ "reserve", "shipping" ~ "ship", "payment" ~ "pay"."""
    if len(word) <= 3 or not word.isalpha() or word.endswith("ss"):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if len(suffix) > 1 or len(word) == 4 else 4):
            stem = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiousl":
                stem = stem[:-1]  # "shipp" → "ship"
            return stem
    return word


def stems(text: str) -> set[str]:
    """The stemmed content words of ``text``."""
    return {_stem(w) for w in _words(text)}


def _question_words(question: str) -> set[str]:
    words = _words(question)
    return {_stem(w) for w in words} | {_stem(s) for w in words if w in _SYNONYMS for s in _SYNONYMS[w]}


def _label_of(text: str) -> str:
    """The unit's label: ``"Label: …"`` or its leading noun phrase ("Express shipping can …");
    none for Chinese text (no spaces to find a phrase by)."""
    if re.search(r"[\u3400-\u9fff]", text):
        return ""
    m = re.match(r"^([^:>.!?]{2,60}?):\s", text)
    if m and len(m.group(1).split()) <= 6:
        return m.group(1)
    words = []
    for w in re.findall(r"[\w'-]+|[—–(:,]", text)[:8]:
        low = w.lower()
        if not words and low in _CONDITIONAL:
            return ""
        if low in _LABEL_END or w in "—–(:" or (w == "," and words):
            break
        if w != ",":
            words.append(w)
    return " ".join(words) if 0 < len(words) <= 5 else ""


# --------------------------------------------------------------------------- segmentation
def _table_units(lines: list[str]) -> list[tuple[str, str]]:
    """``(text, label)`` per row of a Markdown table."""
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
    if len(rows) < 2:
        return [(" ".join(" ".join(r) for r in rows), "")]
    header, out = rows[0], []
    for row in rows[1:]:
        cells = [f"{h}: {c}" for h, c in zip(header[1:], row[1:]) if c]
        name = f"{row[0]} {header[0].lower()}" if header[0] else row[0]  # "Gold plan"
        out.append((f"{name} — " + "; ".join(cells) + "." if cells else name, name))
    return out


def _clauses(sentence: str) -> list[str]:
    """The sides of a sentence that sets parallel cases side by side, as sentences (else ``[]``)."""
    parts = [p.strip(" ,;.") for p in _PARALLEL.split(sentence) if p.strip(" ,;.")]
    if len(parts) < 2:
        return []
    labels = [_label_of(p) for p in parts]
    heads = [lab.lower().split()[-1] if lab else "" for lab in labels]
    if not all(heads) or len({_stem(h) for h in heads}) != 1 or len(set(labels)) < 2:
        return []  # not parallel: the sides are not kinds of one thing
    return [p[0].upper() + p[1:] + ("" if p[-1] in ".!?" else ".") for p in parts]


_BOLD = re.compile(r"\*\*([^*]{1,40})\*\*|__([^_]{1,40})__")
_ITEM_SEP = re.compile(r"(?:,\s+(?:and|or)|,|\s+(?:and|or))\s*$")
_VALUE = re.compile(r"\d|\(|\b(?:one|two|three|four|five|six|seven|ten|next|same|free)\b", re.I)
_KIND_OF = re.compile(r"\b([a-z]+) (?:speeds|options|levels|types|plans|tiers|kinds|methods|classes)\b", re.I)
_LEADING_ADVERBIAL = re.compile(r"^(?:after|before|once|within|for|in|on|from|during)\b[^,:;]{0,40},\s*$", re.I)


def _list_sides(raw: str) -> list[str]:
    """The items of a sentence that lists bold-named kinds side by side, each as a sentence of its
    own (else ``[]``); a verb the writer left out after the first item is put back:

    >>> _list_sides("After dispatch, **Standard** delivery takes 3–5 business days, **Express** 1–2 business days "
    ...             "and **Next-Day** one business day; remote areas take longer.")[1]
    'Express delivery takes 1–2 business days after dispatch.'
    >>> _list_sides("Two delivery speeds: **Standard** (3–5 days, $5.99) and **Express** (1–2 days, $14.99).")
    ['Standard delivery: 3–5 days, $5.99.', 'Express delivery: 1–2 days, $14.99.']
    """
    body = re.split(r";\s", raw, maxsplit=1)[0].rstrip(" .!?")
    spans = list(_BOLD.finditer(body))
    if len(spans) < 2:
        return []
    pre = body[: spans[0].start()]
    items = []
    for k, m in enumerate(spans):
        seg = body[m.end(): spans[k + 1].start() if k + 1 < len(spans) else len(body)]
        if k + 1 < len(spans):
            sep = _ITEM_SEP.search(seg)
            if not sep:
                return []
            seg = seg[: sep.start()]
        seg = seg.strip()
        if not seg or len(seg) > 90 or not _VALUE.search(seg) or re.search(r"[.!?:]\s", seg):
            return []  # not a list of kinds, each with its value
        items.append(((m.group(1) or m.group(2)).strip(), seg))
    first = _VALUE.search(items[0][1])
    frame = items[0][1][: first.start()].strip() if first else ""  # "delivery takes" of the first item
    out = []
    for k, (name, seg) in enumerate(items):
        if pre.rstrip().endswith(":") or seg.startswith("("):
            kind = _KIND_OF.search(pre)  # "three delivery speeds:" → "Express delivery: …"
            name = f"{name} {kind.group(1).lower()}" if kind and kind.group(1).lower() not in name.lower() else name
            text = f"{name}: {seg.strip('()')}" if seg.startswith("(") and seg.endswith(")") else f"{name} {seg}"
        else:
            if k and frame and _VALUE.match(seg) and not seg.startswith(frame):
                seg = f"{frame} {seg}"
            text = f"{name} {seg}"
            if pre.strip():
                if not _LEADING_ADVERBIAL.match(pre):
                    return []  # "We ship **A** …": the sides would lose their subject
                adverbial = pre.strip().rstrip(",")
                text += " " + adverbial[0].lower() + adverbial[1:]
        out.append(strip_markdown(text).rstrip(" .") + ".")
    return out


def parse(body: str, context: str = "", source: int = 0) -> list[Unit]:
    """The answer units of a source body (see the module docstring); ``context`` is what scopes
    the whole body (a heading path, an FAQ question)."""
    staff = agent_text.addressed_to_staff(body)
    out: list[Unit] = []
    headings: list[str] = []
    group = 0
    paragraph: list[str] = []
    lead = ""  # the paragraph a list hangs from
    table: list[str] = []
    parents: list[tuple[int, str]] = []  # (indent, item text) of the open list items

    def scope(*extra: str) -> str:
        return " ".join(x for x in (context, " ".join(headings), *extra) if x)

    def add(raw: str, ctx: str, label: str = "", lead_of: str = "") -> Unit | None:
        text = strip_markdown(raw).strip()
        if staff:
            text = agent_text.for_shopper(text) or ""
        if len(text) <= 2:
            return None
        out.append(Unit(text, ctx, label, group, len(out), source, lead=lead_of))
        return out[-1]

    def flush_paragraph() -> None:
        nonlocal paragraph, group, lead
        if not paragraph:
            return
        text = " ".join(s.strip() for s in paragraph)
        group += 1
        raw = {strip_markdown(s).strip(): s for s in _RAW_SENT.split(text)}
        for sentence in (s.strip() for s in _SENT.split(strip_markdown(text)) if s.strip()):
            unit = add(sentence, scope())
            sides = (_clauses(unit.text) or _list_sides(raw.get(sentence, ""))) if unit and not staff else []
            for side in sides:
                out.append(Unit(side, scope(), "", group, len(out), source, clause=True, of=unit.index))
        sentences = [x for x in _SENT.split(strip_markdown(text)) if x.strip()]
        lead, paragraph = (sentences[-1].strip() if sentences else ""), []

    for line in body.splitlines() + [""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            flush_paragraph()
            table.append(stripped)
            continue
        if table:
            group += 1
            for text, label in _table_units(table):
                add(text, scope(lead), strip_markdown(label))
            table = []
        heading = _HEADING.match(line)
        if heading:
            flush_paragraph()
            level = len(heading.group(1))
            headings = headings[: level - 1] + [strip_markdown(heading.group(2)).strip()]
            lead, parents = "", []
            continue
        item = _ITEM.match(line)
        if item:
            if paragraph:
                flush_paragraph()
            if not parents:
                group += 1
            indent = len(item.group(1).expandtabs(4))
            parents = [(i, t) for i, t in parents if i < indent]
            add(item.group(2).strip(), scope(lead, *(t for _, t in parents)), lead_of=lead)
            parents.append((indent, strip_markdown(item.group(2)).strip()))
            continue
        if not stripped:
            flush_paragraph()
            if parents:
                lead, parents = "", []
            continue
        if parents and line[:1].isspace():  # a continuation line of a list item
            continue
        parents = []
        paragraph.append(stripped)
    flush_paragraph()
    return out


def units(text: str) -> list[str]:
    """The texts of the answer units of a body (see the module docstring).

    >>> units("Intro. Second sentence.\\n- Item one\\n- Item two\\n| Plan | Price |\\n| --- | --- |\\n| Gold | $59 |")
    ['Intro.', 'Second sentence.', 'Item one', 'Item two', 'Gold plan — Price: $59.']
    """
    return [u.text for u in parse(text) if not u.clause]


# --------------------------------------------------------------------------- ranking
QUALIFIED, OTHER_KIND, RESTATES_HEADING = 1.3, 0.35, 0.6
QUALIFIED_COVERAGE = 0.75  # what a unit about the very kind asked about counts as covering


def _kinds(pool: list[Unit]) -> dict[str, set[str]]:
    """Per thing the units' labels name (their head word), the kinds of it they name:
    ``{"member": {"gold", "silver", "bronze", "guest"}}``."""
    kinds: dict[str, set[str]] = {}
    for u in pool:
        if len(u.label_words) >= 2:
            kinds.setdefault(u.label_words[-1], set()).update(u.label_words[:-1])
    return kinds


def qualifiers(question: str, pool: list[Unit]) -> dict[str, set[str]]:
    """The kinds the question names, per thing with several kinds among the units' labels:
    ``{"member": {"bronze"}}`` for "I'm a bronze member…" over gold / silver / bronze / guest items."""
    q = _question_words(question)
    return {head: mods & q for head, mods in _kinds(pool).items() if len(mods) >= 2 and mods & q}


def _named_before(question: str, head: str) -> set[str]:
    """The question's words just before ``head`` ("for *silver* members", "*express* shipping")."""
    toks = [_stem(w.lower()) for w in _WORD.findall(question)]
    head = _SAME_HEAD.get(head, head)
    return {t for i, h in enumerate(toks) if _SAME_HEAD.get(h, h) == head for t in toks[max(0, i - 3): i]}


def _qualifier_factor(u: Unit, asked: dict[str, set[str]], kinds: dict[str, set[str]], question: str = "") -> float:
    """:data:`QUALIFIED` for a unit about the kind the question names ("bronze members" for "I'm a
    bronze member"), :data:`OTHER_KIND` for one about another kind of the same thing, else 1. A
    kind named without the thing ("guests") only sets the other kinds back."""
    if len(u.label_words) < 2 or u.label_words[-1] not in asked:
        return 1.0
    head, mods = u.label_words[-1], set(u.label_words[:-1])
    if mods & asked[head]:
        return QUALIFIED if mods & asked[head] & _named_before(question, head) else 1.0
    return OTHER_KIND if mods & kinds[head] else 1.0


def rank_units(question: str, pool: list[Unit], cosine=None, prior=None, heading_only: set[int] = frozenset()
               ) -> list[tuple[float, int]]:
    """``(score, index)`` per eligible unit of ``pool``, best first.

    ``cosine``: embedding similarity of each unit to the question; ``prior``: a per-unit addend
    (how well its source was retrieved); ``heading_only``: sources whose heading is all the
    question names — their opening unit (the topic sentence) answers it."""
    q = _question_words(question)
    n = len(pool)
    df = {w: sum(w in u.words or w in u.context_words for u in pool) for w in q}
    idf = {w: math.log(1 + n / df[w]) if df[w] else 0.0 for w in q}
    total = sum(idf.values()) or 1.0
    kinds = _kinds(pool)
    asked = qualifiers(question, pool)
    wanted = _answer_type(question)
    typed = {i for i, u in enumerate(pool) if wanted is not None and q & u.words and wanted.search(u.text)}
    opening = {}
    for i, u in enumerate(pool):
        opening.setdefault(u.source, i)
    factors = [_qualifier_factor(u, asked, kinds, question) for u in pool]
    # A sentence one of whose sides is the kind asked about gives way to that side.
    split = {(u.source, u.of) for u, f in zip(pool, factors) if u.clause and f == QUALIFIED}
    scores = []
    for i, u in enumerate(pool):
        factor = factors[i]
        if (u.source, u.index) in split and not u.clause:
            continue
        if u.clause and factor != QUALIFIED:
            continue  # a side of a parallel sentence answers only a question naming that side
        own = sum(idf[w] for w in q & u.words)
        scoped = sum(idf[w] for w in q & u.context_words)
        score = (own + 0.5 * scoped) / total + 0.6 * (float(cosine[i]) if cosine is not None else 0.0)
        if u.words and u.words <= u.context_words | stems(u.context):
            score *= RESTATES_HEADING  # "Shipping Issue: check our update a shipment" under "Shipping Issue"
        if u.source in heading_only and opening[u.source] == i:
            score += 1.0
        if i in typed:
            score += ANSWER_TYPE  # "How long …?" ~ "within 90 days"
        elif typed:
            score *= UNTYPED
        score = score * factor + (prior[i] if prior is not None else 0.0)
        scores.append((score, i))
    return sorted(scores, key=lambda s: -s[0])


def embedded(u: Unit) -> str:
    """What the embedder compares with the question: a list item with the sentence it answers."""
    return f"{u.lead} {u.text}" if u.lead else u.text


def rank(question: str, candidates: list[str], cosine=None) -> list[tuple[float, int]]:
    """``(score, index)`` per candidate text, best first (texts ranked as units of one body)."""
    pool = [Unit(c, index=i) for i, c in enumerate(candidates)]
    return rank_units(question, pool, cosine)


def coverage(question: str, pool: list[Unit]) -> float:
    """How much of the question the best-covering unit of ``pool`` carries, by words alone: the
    IDF-weighted share of the question's words found in the unit or its context (a word no unit
    has counts as rare); a unit about the very kind the question names that also carries what is
    asked about it counts as :data:`QUALIFIED_COVERAGE`. Units about another kind than the
    question names do not count, nor units that carry fewer than two of its words themselves."""
    q = {_stem(w) for w in _words(question)}
    if not pool or not q:
        return 0.0
    n = len(pool)
    df = {w: sum(w in u.words or w in u.context_words for u in pool) for w in q}
    idf = {w: math.log(1 + n / max(df[w], 1)) for w in q}
    total = sum(idf.values())
    kinds, asked = _kinds(pool), qualifiers(question, pool)
    best = 0.0
    for u in pool:
        factor = _qualifier_factor(u, asked, kinds, question)
        own = q & u.words
        if factor == OTHER_KIND or len(own) < 2:
            continue
        share = sum(idf[w] for w in q & (u.words | u.context_words)) / total
        if factor == QUALIFIED and own - set(u.label_words):
            share = max(share, QUALIFIED_COVERAGE)  # exactly the kind asked about, and what about it
        best = max(best, share)
    return best


# What kind of answer a question asks for, and how a unit that gives one reads.
_ANSWER_TYPES = [
    (re.compile(r"\bhow (long|soon|quick|quickly|fast)\b|\bhow many (days|weeks|months|hours)\b|\bwindow\b|"
                r"\bwhen will (it|they|my \w+|the \w+) (arrive|get here|come|be delivered|reach)|"
                r"\bdeadline\b|\bexpire|\bvalid\b|多久|多长时间|几天|什么时候", re.I),
     re.compile(r"\d+\s*(?:[-–]|to)?\s*\d*\s*(?:business |working )?(?:days?|weeks?|months?|years?|hours?)\b|"
                r"\b(?:same|next)[- ]day\b|\bovernight\b|\bunlimited\b|"
                r"\d+\s*(?:minutes?|mins?)\b|\d+\s*(?:[-–~至到])?\s*\d*\s*个?(?:工作日|天|周|星期|个月|月|小时|分钟)", re.I)),
    (re.compile(r"\bhow much (is|are|to|for)\b(?!.*\b(time|longer|days?|back|refund\w*)\b)|\bwhat does .* cost\b|"
                r"\b(fee|fees|charge|charged|cost|costs|price)\b|多少钱|费用|收费", re.I),
     re.compile(r"[$₹€£]\s?\d|\d+(\.\d+)?\s?(dollars|rupees|usd|inr|eur)\b|\bfree\b|\bwaived?\b|"
                r"\bno (extra |additional )?(charge|fee|cost)\b|\b(additional|extra) (fee|charge|cost)\b|免费|\d\s*(?:美元|元|块)",
                re.I)),
]
ANSWER_TYPE = 0.4  # added to a unit that gives the kind of answer the question asks for …
UNTYPED = 0.85  # … and a unit that does not is multiplied by this, when some unit gives one


def _answer_type(question: str):
    """The pattern of the kind of answer ``question`` asks for (a duration, an amount), or ``None``."""
    return next((says for asks, says in _ANSWER_TYPES if asks.search(question)), None)


_CONTINUES = re.compile(r"^(however|but|instead|alternatively|otherwise|in that case|in this case|"
                        r"we will|we'll)\b", re.I)  # "Please contact us." + "We will arrange for the correct item…"


@dataclass
class Choice:
    units: list[Unit]  # the best first, then what adds to it in document order
    score: float  # how well the best unit covers the question (lexical share + 0.6 × cosine)

    @property
    def texts(self) -> list[str]:
        return [u.text for u in self.units]

    @property
    def source(self) -> int:
        return self.units[0].source if self.units else 0


def choose(question: str, pool: list[Unit], n: int = 2, embed=None, max_chars: int = 320, prior=None,
           heading_only: set[int] = frozenset(), yes_no_entries: set[int] = frozenset()) -> Choice:
    """The units of ``pool`` that answer ``question``: the best first, then at most ``n - 1`` more
    from the same source and list or paragraph that score nearly as well, in document order.
    ``embed`` (optional) maps a list of texts to unit vectors (the embedder). ``yes_no_entries``:
    sources that answer a yes/no heading question ("Do you take trade-ins?"); for a yes/no question
    whose best unit does not decide it, their opening "Yes, …" / "No, …" comes first."""
    if not pool:
        return Choice([], 0.0)
    plain = [u for u in pool if not u.clause]
    if len(plain) == 1 and len(pool) == 1:
        return Choice(pool, 1.0)
    cosine = None
    if embed is not None:
        import numpy as np

        vecs = np.asarray(embed([question] + [embedded(u) for u in pool]), dtype="float32")
        cosine = vecs[1:] @ vecs[0]
    ranked = rank_units(question, pool, cosine, prior, heading_only)
    if not ranked:
        return Choice([], 0.0)
    best_score, best = ranked[0]
    first = pool[best]
    coverage = best_score - (prior[best] if prior is not None else 0.0)
    chosen = [first]
    follow = next((u for u in pool if u.source == first.source and u.group == first.group
                   and u.index == first.index + 1 and not u.clause), None)
    if not first.clause and follow is not None and _CONTINUES.match(follow.text) and \
            len(first.text) + len(follow.text) <= max_chars:
        chosen.append(follow)  # "We do not offer reservations." + "However, you can sign up for notifications."
    if not first.clause:
        for score, i in ranked[1:]:
            u = pool[i]
            if len(chosen) >= n or score < 0.75 * best_score:
                break
            if u in chosen or u.clause or u.source != first.source or u.group != first.group or abs(u.index - first.index) > 2:
                continue
            if sum(len(c.text) for c in chosen) + len(u.text) <= max_chars:
                chosen.append(u)
    if first.source in yes_no_entries and is_yes_no(question) and not _DECIDES.match(first.text) \
            and verdict(question, first.text) is None:
        opening = next((u for u in pool if u.source == first.source and not u.clause), None)
        if opening is not None and opening is not first and _DECIDES.match(opening.text):
            rest = [first] if len(opening.text) + len(first.text) <= max_chars else []
            return Choice([opening] + rest, coverage)  # "Yes, through Harbor Lane Trade-In: …" before its conditions
    return Choice([first] + sorted(chosen[1:], key=lambda u: u.index), coverage)


_DECIDES = re.compile(r"^\s*(yes|no)\b", re.I)


def scored(question: str, body: str, n: int = 2, embed=None, max_chars: int = 320,
           heading: str = "") -> tuple[list[str], float]:
    """:func:`select` and the best unit's score (the IDF-weighted share of the question's words it
    carries, plus 0.6 × its cosine when ``embed`` is given). A question that only names the
    section's ``heading`` ("What is the return window?" under "Return window") is answered by
    the section's opening unit, its topic sentence."""
    pool = parse(body, heading)
    choice = choose(question, pool, n, embed, max_chars, heading_only={0} if names_only(question, heading) else set())
    return choice.texts, choice.score


def select(question: str, body: str, n: int = 2, embed=None, max_chars: int = 320) -> list[str]:
    """The units of ``body`` that answer ``question`` (see :func:`choose`)."""
    return scored(question, body, n, embed, max_chars)[0]


def names_only(question: str, heading: str) -> bool:
    """True when the question's words are all in ``heading`` ("What is the return window?")."""
    q = {_stem(w) for w in _words(question)}
    return bool(heading and q and q <= stems(heading))


# --------------------------------------------------------------------------- composing
_NEGATION = re.compile(
    r"\b(not|no|cannot|can't|don't|doesn't|won't|isn't|aren't|never|unfortunately|no longer|unable|non-\w+)\b", re.I)
_RESTRICTED = re.compile(r"\b(only|usually|typically|generally|may|might|depends|depending|some|select|certain)\b", re.I)
_CONDITION = re.compile(r"\b(if|unless|when|once|provided|as long as|except)\b", re.I)
_AUX = ("can", "could", "will", "would", "may", "do", "does", "did", "is", "are", "was", "were", "have", "has", "should")


# A question about one case ("Can I cancel after it shipped?") and a unit that answers for one case
# ("…while its status is Processing"): a yes would say the unit's case is the one asked about.
_ASKED_CASE = re.compile(r"\b(after|before|once|if|when|while|without|since)\b", re.I)
_UNIT_CASE = re.compile(r"\b(while|if|unless|once|until|provided|as long as|only)\b", re.I)


def is_yes_no(question: str) -> bool:
    """``is_yes_no("Can I return an opened game?")`` → ``True``; "How long…?" → ``False``."""
    last = re.split(r"(?<=[.!?])\s+", question.strip())[-1] if question.strip() else ""
    return bool(_YES_NO.match(last) or _YES_NO.match(question))


_NEXT_CLAUSE = re.compile(r";\s*|(?<=[.!?])\s+(?=[A-Z0-9“\"(])")  # "e.g. games" goes on


def _main_clause(text: str) -> str:
    """The answering clause of ``text``: its first sentence, cut at ";", without its condition
    ("You can cancel if it has not shipped" → "You can cancel"; "We replace it; no refund is
    needed." → "We replace it"): a "no" later in the unit does not decide the question.

    >>> _main_clause("Returns are free. We do not refund shipping.")
    'Returns are free.'
    """
    text = _NEXT_CLAUSE.split(text.strip(), maxsplit=1)[0]
    if re.match(r"^\s*(if|unless|when|once)\b", text, re.I):
        return text.split(",", 1)[1] if "," in text else ""
    m = _CONDITION.search(text)
    return text[: m.start()] if m else text


# "Do you offer / have / sell … X?": a unit that lists X as one of the store's options says yes.
_OFFER = re.compile(r"^\s*(?:do|does) (?:you|we|harbor lane|the store|your store) (?:offer|have|provide|support|accept|"
                    r"do|sell|carry)\s+(?:an?\s+|any\s+)?(.+?)\s*[?.!]*$", re.I)


def verdict(question: str, unit: str) -> str | None:
    """``"yes"`` / ``"no"`` when ``unit`` plainly decides the yes/no ``question``, else ``None``.

    >>> verdict("Can I cancel my order?", "You can cancel your order if it has not been shipped yet.")
    'yes'
    >>> verdict("Can I return a final sale item?", "Final sale items are non-returnable.")
    'no'
    >>> verdict("Can I use two promo codes?", "Usually, only one promo code can be applied per order.") is None
    True
    >>> verdict("Do you offer express shipping?", "Express delivery: 1–2 business days, $14.99.")
    'yes'
    """
    if not is_yes_no(question) or _NEGATION.search(question) or re.match(r"^\s*(yes|no)\b", unit, re.I):
        return None
    offered = _OFFER.match(question)
    label = re.match(r"^([^:]{2,40}):\s", unit)
    if offered and label and not _NEGATION.search(unit):
        def heads(text: str) -> set[str]:
            return {_SAME_HEAD.get(_stem(w.lower()), _stem(w.lower())) for w in _WORD.findall(text) if w.lower() not in _STOP}

        asked = heads(offered.group(1))
        if asked and asked <= heads(label.group(1)):
            return "yes"  # "Do you offer express delivery?" ~ "Express delivery: 1–2 business days, $14.99."
    main = _main_clause(unit)
    if not main.strip():
        return None
    if _NEGATION.search(main):
        return "no"
    if _RESTRICTED.search(main):
        return None
    if _ASKED_CASE.search(question) and _UNIT_CASE.search(unit):
        return None  # "…after it shipped?" against "You can cancel while it is Processing": the cases may differ
    # Yes when the unit says the question's own predicate: "Can I cancel…" ~ "You can cancel…".
    q_words = [w.lower() for w in _WORD.findall(question)]
    predicate = {_stem(w) for w in q_words[1:] if w not in _STOP and w not in _AUX}
    said = [_stem(w.lower()) for w in _WORD.findall(main)]
    modal = any(w.lower() in _AUX for w in _WORD.findall(main))
    hits = {p for p in predicate if any(s == p or (len(p) >= 5 and s.startswith(p)) for s in said)}
    return "yes" if modal and len(hits) >= max(1, len(predicate) // 2) else None


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first == "I" or first.isupper() or any(c.isupper() for c in first[1:]):
        return text
    return text[:1].lower() + text[1:]


def compose(question: str, texts: list[str]) -> str:
    """The reply from the chosen units: the yes or no first where the question is a yes/no
    question and the best unit decides it ("No, final sale items are non-returnable.")."""
    if not texts:
        return ""
    texts = [t if t[-1:] in ".!?。！？…" else t + "." for t in texts]
    texts = texts[:1] + [re.sub(r"^(yes|no),\s+(\w)", lambda m: m.group(2).upper(), t, flags=re.I) for t in texts[1:]]
    said = verdict(question, texts[0])
    first = f"{said.capitalize()}, {_lower_first(texts[0])}" if said else texts[0]
    return " ".join([first, *texts[1:]])
