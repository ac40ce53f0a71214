"""Reasons a person would write for a suggestion, in English or Chinese.

Not the shopper's words echoed back but what matched: the item's own facts that the stated
taste asked for — its genre or kind ("racing", "headphones"), its age rating when the taste
names an age ("rated E10+"), its platform ("for Switch"), its brand, the price cap
("under $40") — or the history behind it ("because you bought Apex Rush (PS4)").

Facts come from the product row (``subcategory``, ``brand`` and the ``attributes`` string
``key: value; key: value``). A Chinese taste is matched through :data:`ZH_TERMS`, the Chinese
words shoppers use for the catalogue's English facet words ("赛车" → racing); a facet with
no Chinese word is shown as written (platforms and brands are names).

Example::

    >>> row = {"title": "Apex Rush (Switch)", "category": "Video Games", "subcategory": "racing",
    ...        "attributes": "platform: Switch; genre: racing; age rating: E10+"}
    >>> taste_reason(row, "racing games for a 10 year old on Switch", age=10)
    'racing, rated E10+, for Switch'
    >>> taste_reason(row, "适合十岁孩子的赛车游戏", age=10, lang="zh")
    '赛车类，适合 10 岁及以上（ESRB E10+）'
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w']+")
_ATTR = re.compile(r"\s*([^:;]+?)\s*:\s*([^;]*)")
_GLOSS = re.compile(r"\s*[(（][^()（）]*[)）]")  # "E10+ (Everyone 10+)": the rating's name after its code
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_LATIN = re.compile(f"(?<=[{_HAN}])(?=[A-Za-z0-9$€£])|(?<=[A-Za-z0-9)\\]+%])(?=[{_HAN}])")

#: ESRB ratings → the youngest age they are meant for.
ESRB_MIN_AGE = {"ec": 3, "e": 0, "e10+": 10, "t": 13, "m": 17, "ao": 18}
#: PEGI ratings (``PEGI 12``) and plain ``12+`` / ``4-8`` ages are read by :func:`min_age`.

#: English facet words (genres, kinds of product, categories) → the Chinese words shoppers
#: use for them. The first word is the one a Chinese reason shows.
ZH_TERMS: dict[str, tuple[str, ...]] = {
    "racing": ("赛车", "竞速", "飙车"),
    "rpg": ("角色扮演", "rpg"),
    "sports": ("体育", "运动"),
    "shooter": ("射击", "枪战"),
    "platformer": ("平台跳跃", "跳跃", "闯关"),
    "puzzle": ("益智", "解谜", "拼图"),
    "strategy": ("策略", "战略"),
    "adventure": ("冒险",),
    "simulation": ("模拟", "经营"),
    "fighting": ("格斗",),
    "action": ("动作",),
    "horror": ("恐怖",),
    "video games": ("电子游戏", "游戏", "电玩"),
    "consoles": ("游戏主机", "主机", "游戏机"),
    "controllers": ("手柄", "控制器"),
    "racing wheels": ("赛车方向盘", "方向盘"),
    "headsets": ("游戏耳机", "耳麦"),
    "headphones": ("耳机",),
    "earbuds": ("耳塞", "耳机"),
    "speakers": ("音箱", "音响"),
    "cameras": ("相机", "摄像机"),
    "chargers": ("充电器",),
    "cables": ("数据线", "线缆"),
    "memory cards": ("存储卡", "内存卡"),
    "smart home": ("智能家居",),
    "e-readers": ("电子阅读器",),
    "wearables": ("智能手表", "手环"),
    "coffee": ("咖啡",),
    "cookware": ("锅具", "炊具", "锅"),
    "small appliances": ("小家电",),
    "tents": ("帐篷",),
    "sleeping bags": ("睡袋",),
    "camping gear": ("露营装备", "露营"),
    "backpacks": ("背包", "双肩包"),
    "fitness": ("健身",),
    "shoes": ("鞋",),
    "jackets": ("夹克", "外套"),
    "books": ("图书", "书籍", "书"),
    "cookbooks": ("菜谱", "食谱"),
    "fiction": ("小说",),
    "children's": ("童书", "儿童读物", "绘本", "儿童书"),
    "toys": ("玩具",),
    "building sets": ("积木", "拼搭"),
    "board games": ("桌游",),
    "games & puzzles": ("桌游", "拼图"),
    "plush": ("毛绒玩具", "毛绒"),
    "remote control": ("遥控",),
    "skin care": ("护肤",),
    "hair care": ("护发",),
    "oral care": ("口腔护理", "牙刷"),
}

# History and fixed reasons are bot/prompts.py's templates (one place for shopper-facing text),
# so the web layer can read one back (``parse_reason``) and show it in another language.
_FIXED = {"popular": "popular", "similar": "also_bought", "alternative": "alternative"}
_CLOSE = {"en": "close to what you described", "zh": "与您描述的相近"}
#: The kind of each reason, for monitoring (``Recommendation.kind``; bot/prompts.py REASON_GROUP).
KINDS = ("taste", "purchase", "cart", "view", "popular", "also_bought", "alternative")


def text(key: str, lang: str = "en", *args: str) -> str:
    """A fixed reason (``popular``, ``similar``, ``alternative``, ``sponsored``, ``close``) in ``lang``."""
    from bot.prompts import SPONSORED_LABEL, local, reason_text

    if key == "sponsored":
        return local(SPONSORED_LABEL, lang)
    if key == "close":
        return local(_CLOSE, lang)
    return reason_text(_FIXED[key], lang, **({"title": args[0]} if args else {}))


def because(kind: str, title: str, lang: str = "en") -> str:
    """``because("cart", "Aurora")`` → ``"because you added Aurora to your cart"``."""
    from bot.prompts import reason_text

    return reason_text(kind if kind in ("purchase", "cart", "view") else "purchase", lang, title=title)


def spaced(text: str) -> str:
    """Chinese text with a space between a Han character and a Latin word or number, as Chinese
    typesetting writes a product name inside a sentence (and as the facet reasons already do:
    "Switch 版", "适合 10 岁"); punctuation and text without Han characters are left alone.

    >>> spaced("购买Apex Rush (PS4)的顾客也买了它"), spaced("因为您购买过Aurora"), spaced("符合“racing”")
    ('购买 Apex Rush (PS4) 的顾客也买了它', '因为您购买过 Aurora', '符合“racing”')
    """
    return _HAN_LATIN.sub(" ", text or "")


def rating_code(rating: str) -> str:
    """An age rating without the gloss a catalogue may add: ``"E10+ (Everyone 10+)"`` → ``"E10+"``."""
    return _GLOSS.sub("", rating or "").strip() or (rating or "").strip()


def attributes(row: dict) -> dict[str, str]:
    """``"platform: PS4; genre: racing"`` → ``{"platform": "PS4", "genre": "racing"}`` (keys lower-cased)."""
    out = {}
    for part in (row.get("attributes") or "").split(";"):
        m = _ATTR.match(part)
        if m and m.group(2).strip():
            out[m.group(1).strip().lower()] = m.group(2).strip()
    return out


def min_age(row: dict) -> int | None:
    """The youngest age the item is rated for: ESRB ``age rating: T`` → 13, ``age: 8+`` → 8,
    ``age: 4-12`` → 4, ``PEGI 16`` → 16; ``None`` when the row says nothing about age."""
    attrs = attributes(row)
    rating = rating_code(attrs.get("age rating") or attrs.get("esrb") or attrs.get("pegi") or "")
    r = rating.lower().replace(" ", "")
    if r in ESRB_MIN_AGE:
        return ESRB_MIN_AGE[r]
    m = re.search(r"(\d{1,2})", rating or attrs.get("age", ""))
    return int(m.group(1)) if m else None


def _stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ies", "es", "s"):
        if len(w) > 4 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


def _words(s: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(s.lower())}


def _named(value: str, taste: str, taste_words: set[str], lang: str) -> bool:
    """Whether the taste asks for the facet ``value`` ("racing"; "赛车" in Chinese)."""
    v = value.strip().lower()
    if not v:
        return False
    vw = _words(v)
    if vw and vw <= taste_words:
        return True
    if lang == "zh" or re.search(r"[\u3400-\u9fff]", taste):
        terms = ZH_TERMS.get(v, ()) or next((t for k, t in ZH_TERMS.items() if _words(k) == vw), ())
        return any(t in taste for t in terms)
    return False


def _zh(value: str) -> str:
    v = value.strip().lower()
    terms = ZH_TERMS.get(v) or next((t for k, t in ZH_TERMS.items() if _words(k) == _words(v)), None)
    return terms[0] if terms else value


def taste_facets(row: dict, taste: str, age: int | None = None, max_price: float | None = None,
                 price_text: str | None = None, lang: str = "en") -> list[str]:
    """The item's facts the taste asked for, as short phrases in ``lang`` (see :func:`taste_reason`)."""
    attrs = attributes(row)
    tw = _words(taste)
    out: list[str] = []
    genre = attrs.get("genre", "")
    kind = row.get("subcategory", "")
    for value in dict.fromkeys(v for v in (genre, kind) if v):  # genre first; the subcategory when it differs
        if _named(value, taste, tw, lang):
            out.append(f"{_zh(value)}类" if lang == "zh" and value == genre else (_zh(value) if lang == "zh" else value))
            break
    rating = rating_code(attrs.get("age rating") or attrs.get("pegi") or "")
    youngest = min_age(row)
    if age is not None and youngest is not None:
        if rating and lang == "zh":  # the code alone inside the brackets: no brackets within brackets
            esrb = "ESRB " if rating.lower().replace(" ", "") in ESRB_MIN_AGE else ""
            who = "适合所有年龄" if youngest == 0 else f"适合 {youngest} 岁及以上"
            out.append(f"{who}（{esrb}{rating}）")
        elif rating:
            out.append(f"rated {rating}")
        else:
            out.append(f"适合 {attrs.get('age')} 岁" if lang == "zh" else f"for ages {attrs.get('age')}")
    platforms = [p.strip() for p in attrs.get("platform", "").split(",") if p.strip()]
    named = [p for p in platforms if _named(p, taste, tw, lang) or (p.lower().split()[0] in tw)]
    if named:
        out.append(f"{named[0]} 版" if lang == "zh" else f"for {named[0]}")
    brand = row.get("brand", "")
    if brand and _words(brand) <= tw:
        out.append(f"{brand} 品牌" if lang == "zh" else f"by {brand}")
    if max_price is not None and price_text:
        out.append(f"低于 {price_text}" if lang == "zh" else f"under {price_text}")
    return out


def taste_reason(row: dict, taste: str, age: int | None = None, max_price: float | None = None,
                 price_text: str | None = None, lang: str = "en") -> str | None:
    """What matched between the stated taste and the item ("racing, rated E10+, for Switch"), or
    ``None`` when none of the item's facts was asked for."""
    facets = taste_facets(row, taste, age, max_price, price_text, lang)
    if not facets:
        return None
    return "，".join(facets) if lang == "zh" else ", ".join(facets)


def describe(row: dict, lang: str = "en") -> str:
    """What the item is, when a taste found it by meaning rather than by a named fact:
    ``"racing, for Switch"`` / ``"赛车类，Switch 版"``; its kind alone for items without attributes."""
    attrs = attributes(row)
    genre, kind = attrs.get("genre", ""), row.get("subcategory", "")
    platform = attrs.get("platform", "").split(",")[0].strip()
    parts = []
    if genre:
        parts.append(f"{_zh(genre)}类" if lang == "zh" else genre)
    elif kind:
        parts.append(_zh(kind) if lang == "zh" else kind)
    if platform:
        parts.append(f"{platform} 版" if lang == "zh" else f"for {platform}")
    if not parts:
        return text("close", lang)
    return "，".join(parts) if lang == "zh" else ", ".join(parts)
