"""Product facts as sentences: what the shopper asked (:func:`facets`), stated from the
catalogue's structured fields in the store's currency — exact, never generated.

>>> from bot.answers.products import Product
>>> p = Product("HL-1", "PlayStation 5 Console - Disc Edition", price=499.99, stock=1)
>>> compose(p, {"price"}, "en")
'The PlayStation 5 Console - Disc Edition is $499.99, and we have 1 left.'
"""

from __future__ import annotations

import re

from bot.answers.features import feature_answer
from bot.answers.products import Product, short_title, spoken_name
from knowledge.prices import format_price


# --------------------------------------------------------------------------- facets

_FACETS = {
    "price": r"\b(how much(?!\s+(power|space|storage|memory|ram|battery|weight|data|capacity|water|noise|time|"
             r"does it weigh|current|load|volume))|price|prices|priced|cost|costs|cheap|expensive|pay|"
             r"(do|would|will) you charge|charge for)\b|多少钱|价格|售价|价钱|[卖賣]多少(?!天|久)|几块钱|多少块|什么价|啥价|贵不贵|贵吗",
    "stock": r"\b(in stock|stock|available|availability|have any|left|sold out|out of stock)\b|有货|库存|还有吗|缺货|"
             r"现货|还有没有|卖完|售罄|有没有货|还剩",
    "rating": r"\b((?<!pressure )(?<!energy )(?<!power )(?<!ip )(?<!bee )(?<!voltage )(?<!safety )rating|"
              r"(?<!refresh )(?<!frame )(?<!sample )(?<!heart )(?<!data )(?<!bit )rate|"
              r"(?<!pressure )(?<!energy )(?<!power )(?<!ip )(?<!bee )(?<!voltage )(?<!safety )rated|ratings|reviews?|"
              r"reviewed|reviewers|(?<!\d )(?<!\d-)stars?|score|out of (5|five))\b|评分|评价|几星",
    "discount": r"\b(discount|discounted|mrp|list price|original price|savings?|how much off|per ?cent(age)? off)\b|"
                r"% off|折扣|原价|优惠",
    "brand": r"\b(who (makes|made|manufactures)|what brand|which brand|brand is|brand of|manufacturer|made by|maker)\b|"
             r"什么牌子|哪个牌子|品牌",
    "platform": r"\b(platform|platforms|which console|what console|play it on|runs? on)\b|平台|哪个主机",
    "included": r"\b(included|include|includes|come with|comes with|in the box)\b|包含|附带|配件",
    "specs": r"\b(specs?|specifications?|features?|details|dimensions|storage|battery|weight|size|capacity|"
             r"players?|multiplayer|genre|age rating|colou?rs?|screen|resolution|connectivity|material|charging time|"
             r"refresh rate|processor|chipset|dpi|waterproof|water resistant|playback|playtime|wattage|ram|"
             r"batteries|weigh|weighs|pressure|coverage|area|compatible|compatibility|works? with|speed|how fast|"
             r"ports?|devices|connect|(one|a single|per|full) charge|warranty|guarantee|"
             r"how many (?!(ratings?|reviews?|stars?|people|customers|shoppers|users|buyers)\b))\b|"
             r"规格|参数|配置|"
             r"几个玩家|几人|玩家|存储|容量|颜色|重量|电池|续航|屏幕|类型|分辨率|材质|尺寸",
}
# Chinese names of the catalogue's attributes: the words a question uses, the label a reply uses.
ATTR_ZH = {
    "players": ("玩家|几人|几个人", "玩家人数"), "storage": ("存储|内存|硬盘", "存储"), "platform": ("平台|主机", "平台"),
    "color": ("颜色", "颜色"), "colors": ("颜色", "颜色"), "includes": ("包含|附带|配件|送", "包含"),
    "genre": ("类型|类别", "类型"), "battery": ("电池|续航", "电池"), "weight": ("重量|多重", "重量"),
    "capacity": ("容量|几人用", "容量"), "screen": ("屏幕", "屏幕"), "age rating": ("分级|年龄", "年龄分级"),
    "online": ("联机|在线", "联机"), "resolution": ("分辨率", "分辨率"), "material": ("材质|材料", "材质"),
    "size": ("尺寸|尺码|大小", "尺寸"), "connectivity": ("连接", "连接方式"), "condition": ("成色|新旧", "成色"),
    "warranty": ("保修|质保", "保修"), "disc drive": ("光驱", "光驱"), "format": ("格式", "格式"),
    "pages": ("页数|多少页", "页数"), "author": ("作者", "作者"),
    "playtime": ("玩多久|游戏时长|通关|时长", "游戏时长"), "rotation": ("转多少度|旋转|转角|角度", "旋转角度"),
    "water resistance": ("防水", "防水等级"), "waterproof": ("防水", "防水"),
    "keeps cold": ("保冷|冷多久", "保冷时长"), "keeps hot": ("保温多久|保热|热多久", "保温时长"),
    "pieces": ("多少块|几块|块数|颗粒|零件数", "块数"), "power": ("功率|多少瓦|瓦数", "功率"),
    "speed": ("多快|速度|时速", "速度"), "runtime": ("续航|運行時間|运行时间|用多久", "续航"),
    "flight time": ("飞多久|飞行时间|续航", "飞行时间"), "charge time": ("充电时间|充满|充多久", "充电时间"),
    "age": ("年龄|几岁|多大的孩子|适合多大", "适用年龄"), "sizes": ("尺码|尺寸|大小", "尺码"),
    "length": ("长度|多长", "长度"), "temperature rating": ("温标|适用温度|多少度", "适用温度"),
    "brightness": ("亮度", "亮度"), "heat settings": ("档位|几档", "档位"), "fill": ("填充", "填充物"),
}
# Traditional spellings and wider phrasings of the words above ("續航", "幾個人", "能用多长时间").
_ZH_MORE = {"players": "幾個人|幾人|一起玩|多少人|多人", "battery": "電池|續航|能用多长时间|能用多長時間|用多久",
            "weight": "重量|多重|几斤|几公斤|幾公斤", "storage": "存储空间|儲存|空間|硬碟", "screen": "屏幕|螢幕|屏",
            "capacity": "几升|能装多少|多少升", "runtime": "續航"}
ATTR_ZH.update({k: (f"{ATTR_ZH[k][0]}|{v}", ATTR_ZH[k][1]) for k, v in _ZH_MORE.items()})
# A question naming one of these asks for a spec (not "光驱" or "平台": "光驱版" names an edition).
_SPEC_ATTRS = ("playtime", "rotation", "water resistance", "waterproof", "keeps cold", "keeps hot", "pieces", "power",
               "speed", "runtime", "flight time", "charge time", "sizes", "length", "temperature rating", "brightness",
               "heat settings", "fill", *_ZH_MORE)
_FACETS["specs"] += "|" + "|".join(ATTR_ZH[a][0] for a in _SPEC_ATTRS)


def facets(question: str) -> set[str]:
    """What the shopper asks about a product: ``facets("How much is it, and is it in stock?")``
    → ``{'price', 'stock'}``; an empty set means "tell me about it"."""
    found = {name for name, rx in _FACETS.items() if re.search(rx, question, re.I)}
    if "price" in found and re.search(r"\bweigh", question, re.I) and not re.search(
            r"\b(price|prices|priced|cost|costs|cheap|expensive|pay)\b", question, re.I):
        found.discard("price")  # "How much does the stand weigh?" asks its weight
    return found


def asked_attributes(question: str, product: Product) -> list[str]:
    """The product's attribute names the question mentions (``players``, ``storage``, …)."""
    q = question.lower()
    named = [a for a in product.attributes if re.search(rf"\b{re.escape(a)}\b", q)]
    if re.search(r"\b(multiplayer|how many (people|players))\b", q) and "players" in product.attributes:
        named.append("players")
    named += [a for a in product.attributes if a in ATTR_ZH and re.search(ATTR_ZH[a][0], question)]
    if _HAN.search(question):  # a Chinese question names an English attribute in Latin letters
        own = {w.lower() for w in re.findall(r"[A-Za-z]+", product.title)}
        heads = {m.group(1).lower() for m in _LATIN_VALUE.finditer(question)} | (
            {w.lower() for w in re.findall(r"(?<![A-Za-z])[A-Za-z]{1,6}(?![A-Za-z])", question)} - own)
        named += [a for a in product.attributes if a.lower() in heads or re.split(r"[- ]", a.lower())[0] in heads]
    return list(dict.fromkeys(named))


_HAN = re.compile(r"[\u4e00-\u9fff]")
# A Latin measure named in a Chinese question: "R值" asks the r-value, "SPF值" / "UPF 指数" the spf / upf;
# a Latin word that is an attribute's name or its first part: "有没有 MIPS" (mips), "需要 C 线吗" (c-wire).
_LATIN_VALUE = re.compile(r"(?<![A-Za-z])([A-Za-z]{1,5})\s*(?:值|指数|系数|等级)")


def attr_label_zh(name: str) -> str:
    """The Chinese label of an attribute (its own name when there is none)."""
    return ATTR_ZH.get(name, ("", name))[1]


# --------------------------------------------------------------------------- sentences

_ATTR_PHRASES = {  # each attribute as a verb phrase of an English sentence
    "platform": "is for {v}", "storage": "has {v} of storage", "color": "comes in {v}", "colors": "comes in {v}",
    "includes": "comes with {v}", "players": "is for {v} players", "genre": "is a {v} game",
    "battery": "has {v} of battery life", "weight": "weighs {v}", "capacity": "holds {v}",
    "screen": "has a {v} screen", "age rating": "is rated {v}", "online": "has online play ({v})",
    "format": "comes as a {v}", "pages": "has {v} pages", "author": "is by {v}", "size": "is size {v}",
    "material": "is made of {v}", "connectivity": "connects by {v}", "resolution": "has {v} resolution",
}


def attribute_phrase(name: str, value: str) -> str:
    """``attribute_phrase("storage", "1 TB SSD")`` → ``'has 1 TB SSD of storage'``."""
    return _ATTR_PHRASES.get(name, "has {n} {v}").format(n=name, v=value)


def _join(parts: list[str], lang: str) -> str:
    if lang == "zh":
        return "，".join(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def be(title: str) -> str:
    """``"are"`` for a plural product name ("Wireless Headphones", "Racing Wheel and Pedals"), else ``"is"``.

    >>> be("Aurora Wireless Headphones"), be("Turbo Karts Party (Switch)"), be("Trail Dome Tent")
    ('are', 'is', 'is')
    """
    head = re.sub(r"\s*(\([^)]*\)|-.*)$", "", title).split()
    last = head[-1].lower() if head else ""
    plural = last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3
    return "are" if plural or last in {"jeans", "pants", "scissors", "glasses"} else "is"


def stock_clause(p: Product, lang: str) -> str:
    if p.stock is None:
        return ""
    if lang == "zh":
        return "目前缺货" if p.stock <= 0 else (f"目前有货（仅剩 {p.stock} 件）" if p.stock <= 5 else "目前有货")
    if p.stock <= 0:
        return "it's out of stock right now"
    return f"we have {p.stock} left" if p.stock <= 5 else "it's in stock"


def compose(p: Product, asked: set[str], lang: str = "en", attributes: list[str] | None = None,
            question: str = "", common: frozenset = frozenset(), embed=None) -> str:
    """One or two natural sentences with exactly the asked facts of ``p`` (see the module docstring).

    ``question``: the shopper's words — a feature the structured fields do not hold is answered
    from the product's own text (:mod:`bot.answers.features`; ``common`` and ``embed`` go to it),
    and a long export title is called what the shopper called it."""
    if lang == "zh":
        return _compose_zh(p, asked, attributes or [])
    attributes = attributes or []
    name = spoken_name(p, question)
    wants_feature = question and not attributes and (not asked or (asked <= {"specs", "included"} and not p.attributes))
    feature = feature_answer(question, p, embed, common) if wants_feature else ""
    if feature:
        return feature
    first: list[str] = []
    if "brand" in asked and brand_of(p):
        first.append(f"The {name} {'are' if be(name) == 'are' else 'is'} made by {brand_of(p)}")
    if "discount" in asked and "price" not in asked and p.price is not None and _off(p) is not None:
        first.append(_discount_first(p, name, question))
    elif ("price" in asked or "discount" in asked or (not asked and not first)) and p.price is not None:
        first.append(f"The {name} {be(name)} {format_price(p.price, p.currency)}{_discount(p, asked)}")
    if "stock" in asked or ("price" in asked or not asked):
        clause = stock_clause(p, "en")
        if clause and first:
            first[0] += (", but " if p.stock is not None and p.stock <= 0 else ", and ") + clause
        elif clause:
            first.append(f"Sorry, the {name} {be(name)} out of stock right now" if p.stock <= 0 else
                         f"Yes, the {name} {be(name)} in stock — we have " +
                         (f"only {p.stock} left" if p.stock <= 5 else f"{p.stock}"))
    sentences = [s + "." for s in first]
    if "rating" in asked and p.rating is not None:
        count = f" from {p.rating_count:,} ratings" if p.rating_count else ""
        sentences.append(f"{'It' if sentences else 'The ' + name} {'is' if sentences else be(name)} rated "
                         f"{p.rating:g} out of 5{count}.")
    specs = attributes or (list(p.attributes) if "specs" in asked else [])
    if "platform" in asked and "platform" in p.attributes:
        specs = ["platform"] + [a for a in specs if a != "platform"]
    if "included" in asked and "includes" in p.attributes:
        specs = ["includes"] + [a for a in specs if a != "includes"]
    specs = [a for a in specs if a in p.attributes]
    if specs:
        phrases = [attribute_phrase(a, p.attributes[a]) for a in specs[:5]]
        subject = "It" if sentences else f"The {name}"
        sentences.append(f"{subject} {_join(phrases, 'en')}.")
    lead = p.description.split(". ")[0].rstrip(".") if p.description else ""
    if not asked and not attributes and not feature and lead and len(lead) <= 200:
        sentences.append(lead + ".")  # "tell me about it": the price, then what it is
    if not sentences:
        sentences.append(f"The {name}" + (f": {lead}." if lead else " is in our catalogue."))
    return " ".join(sentences)


def brand_of(p: Product) -> str:
    """The product's brand: its ``brand`` field, else the first word of its title (an export's
    titles start with the brand: "PTron Newly Launched Force X10 …")."""
    if p.brand:
        return p.brand
    first = re.sub(r"[®™©]+", "", p.title.split()[0]) if p.title.split() else ""
    return first if re.search(r"[A-Za-z]", first) else ""


def _off(p: Product) -> int | None:
    if not p.list_price or not p.price or p.list_price <= p.price:
        return None
    return round(100 * (1 - p.price / p.list_price))


def _discount_first(p: Product, name: str, question: str) -> str:
    """A discount question answered first: the list price when it asked the MRP, else the share off."""
    ours, listed = format_price(p.price, p.currency), format_price(p.list_price, p.currency)
    if re.search(r"\b(mrp|list price|original price|retail price)\b", question, re.I):
        return f"The {name}'s list price (MRP) is {listed}; we sell it for {ours}, {_off(p)}% off"
    return f"The {name} {be(name)} {_off(p)}% off: {ours} instead of {listed}"


def _discount(p: Product, asked: set[str]) -> str:
    """`` (list price ₹3,990, 69% off)`` when the shopper asked about the discount."""
    if "discount" not in asked or not p.list_price or not p.price or p.list_price <= p.price:
        return ""
    off = round(100 * (1 - p.price / p.list_price))
    return f" (list price {format_price(p.list_price, p.currency)}, {off}% off)"


def compose_family(family: list[Product], asked: set[str], lang: str = "en", attributes: list[str] | None = None) -> str:
    """A title sold for several platforms, asked about without naming one.

    >>> a = Product("1", "Ember (PS4)", price=49.99, attributes={"platform": "PS4", "players": "1"})
    >>> b = Product("2", "Ember (PC)", price=39.99, attributes={"platform": "PC", "players": "1"})
    >>> compose_family([b, a], {"specs"}, attributes=["players"])
    'Ember is for 1 players (PC and PS4).'
    >>> compose_family([b, a], {"price"})
    'Ember comes for PC ($39.99) and PS4 ($49.99).'
    """
    first = family[0]
    wanted = attributes or ([a for a in first.attributes if a != "platform"] if "specs" in asked else [])
    shared = [a for a in wanted if all(p.attributes.get(a) == first.attributes.get(a) for p in family)]
    platforms = [p.platform or p.title for p in family]
    differing = [a for a in wanted if a not in shared and all(a in p.attributes for p in family)]
    if differing and not shared and not asked & {"price", "stock"} and lang == "zh":
        a = differing[0]
        per = "，".join(f"{p.platform} 版 {p.attributes[a]}" for p in family)
        return f"{first.base_title} 的{attr_label_zh(a)}：{per}。"
    if differing and not shared and not asked & {"price", "stock"}:
        a = differing[0]
        per = [f"{attribute_phrase(a, p.attributes[a]).split(' ', 1)[1]} on {p.platform}" for p in family]
        return f"{first.base_title} {attribute_phrase(a, '').split(' ', 1)[0]} {_join(per, 'en')}."
    if shared and not asked & {"price", "stock"}:
        if lang == "zh":
            facts = "；".join(f"{attr_label_zh(a)}：{first.attributes[a]}" for a in shared[:5])
            return f"{first.base_title}（{'、'.join(platforms)}）{facts}。"
        phrases = [attribute_phrase(a, first.attributes[a]) for a in shared[:5]]
        return f"{first.base_title} {_join(phrases, 'en')} ({_join(platforms, 'en')})."
    priced = [f"{p.platform} ({format_price(p.price, p.currency)})" if p.price is not None else p.platform for p in family]
    if lang == "zh":
        return f"{first.base_title} 有这些版本：{'、'.join(priced)}。"
    return f"{first.base_title} comes for {_join(priced, 'en')}."


def _compose_zh(p: Product, asked: set[str], attributes: list[str]) -> str:
    parts: list[str] = []
    plain = not asked and not attributes  # "X 怎么样": its price and stock; "X 的R值是多少": that alone
    if ("price" in asked or plain) and p.price is not None:
        parts.append(f"{p.title} 售价 {format_price(p.price, p.currency)}")
    if "stock" in asked or "price" in asked or plain:
        clause = stock_clause(p, "zh")
        if clause:
            parts.append(clause if parts else f"{p.title} {clause}")
    if "rating" in asked and p.rating is not None:
        parts.append(f"评分 {p.rating:g}/5" + (f"（{p.rating_count:,} 条评价）" if p.rating_count else ""))
    specs = attributes or (list(p.attributes) if asked & {"specs", "platform", "included"} else [])
    specs = [a for a in specs if a in p.attributes][:5]
    if specs:
        parts.append(("" if parts else f"{p.title} 的") + "；".join(f"{attr_label_zh(a)}：{p.attributes[a]}" for a in specs))
    if not parts:
        parts.append(f"{p.title}" + (f"：{p.description}" if p.description else ""))
    return "，".join(parts) + "。"


_CHEAPER = re.compile(r"\b(cheaper|less expensive|lower[- ]priced|more affordable|budget (one|option|alternative)|"
                      r"anything (for )?less|something (for )?less)\b|更便宜|便宜一点|便宜点", re.I)


def asks_cheaper(question: str) -> bool:
    """"is there a cheaper one?", "anything less expensive?" — a cheaper alternative is asked for."""
    return bool(_CHEAPER.search(question))


def cheaper_reply(product: Product, options: list[Product], lang: str = "en") -> str:
    """The cheaper alternatives to ``product`` (from :meth:`ProductFinder.cheaper`), each with its price."""
    ours = format_price(product.price, product.currency) if product.price is not None else ""
    name = short_title(product.title, 45)
    if lang == "zh":
        if not options:
            return f"{name} 已经是我们同类商品里最便宜的了（{ours}）。"
        listed = "；".join(f"{short_title(p.title, 45)}，{format_price(p.price, p.currency)}" for p in options)
        return f"有的，比 {name}（{ours}）更便宜的有：{listed}。"
    if not options:
        return f"The {name} ({ours}) is already the lowest-priced one of its kind we carry."
    listed = _join([f"the {short_title(p.title, 45)} at {format_price(p.price, p.currency)}" for p in options], "en")
    return f"Yes — {listed} {'are' if len(options) > 1 else 'is'} cheaper than the {name} ({ours})."


def not_found(missing: str, alternatives: list[Product], lang: str = "en") -> str:
    """The reply when the shopper named a product we do not carry (never another product's facts as the answer)."""
    alts = list(dict.fromkeys(short_title(a.title, 45) for a in alternatives))  # names only, each once: another
    # product's price is never the answer
    if lang == "zh":
        text = f"抱歉，我们的商品目录里没有“{missing}”。"
        return text + (f"相近的商品有：{'；'.join(alts)}。" if alts else "")
    text = f"Sorry, I couldn't find the {missing} in our catalogue."
    return text + (f" The closest we carry: {'; '.join(alts)}. Would you like the details of one of them?" if alts else "")


def variant_reply(product: Product, platform: str, found: Product | None, platforms: list[str], lang: str = "en") -> str:
    """"Is there a PC version?" about ``product``: the variant's facts, or the platforms it comes on."""
    if found is not None:
        facts = compose(found, {"price"}, lang)
        return (f"有的，{facts}" if lang == "zh" else f"Yes — {facts[0].lower()}{facts[1:]}"
                if facts.startswith("The ") else f"Yes. {facts}")
    listed = _join(platforms, lang) if platforms else product.platform
    if lang == "zh":
        return f"抱歉，{product.base_title} 没有 {platform} 版，我们有：{listed}。"
    return f"No, we don't carry {product.base_title} for {platform}; we have it for {listed}."
