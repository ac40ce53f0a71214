"""Stated taste: pull a price cap and category words out of a shopper's sentence.

``parse_taste("racing games for PS4 under 40 dollars", categories=["Games", "Audio"])``
→ ``Taste(text="racing games for PS4", max_price=40.0, category="Games")``. The remaining
text is what the hybrid embeds (it keeps platform words such as "PS4", which the text
embedding understands better than a filter would). Rules are plain regular expressions:
they are predictable, and a miss only means no filter, never a wrong answer.

Price phrases understood: "under 40", "below $40", "less than 40 dollars", "cheaper than 40",
"up to 40", "at most 40", "max 40", "< 40", "<= 40", "$40 or less", "40 bucks or under", and in
Chinese "40元以下", "低于40美元", "不超过 40 块", "40以内".

Ages: "for a 10-year-old", "my 8 year old", "ages 12+", "for kids" (10), "适合十岁孩子", "8岁",
"儿童" → ``Taste.age``: the shopper's age, so that nothing rated for older players is offered.
Chinese requests ("推荐一款赛车游戏", "有什么游戏推荐？") lose their request words the same way
("赛车游戏", "游戏"); ``Taste.lang`` is ``"zh"`` for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_NUM = r"(\d+(?:[.,]\d{1,2})?)"
_CUR = r"(?:\$|usd|eur|€|£|gbp)?"
_UNIT = r"(?:\s*(?:dollars?|usd|bucks|euros?|eur|pounds?|gbp|\$|€|£))?"
_PRICE_BEFORE = re.compile(
    rf"(?:under|below|less\s+than|cheaper\s+than|up\s+to|at\s+most|max(?:imum)?|no\s+more\s+than|within|<=?|≤)"
    rf"\s*{_CUR}\s*{_NUM}{_UNIT}",
    re.IGNORECASE,
)
_PRICE_AFTER = re.compile(rf"{_CUR}\s*{_NUM}{_UNIT}\s+(?:or\s+(?:less|under|below|cheaper)|max(?:imum)?)", re.IGNORECASE)
_ZH_UNIT = r"(?:\s*(?:元|块钱|块|美元|美金|刀|欧元|英镑))?"
_ZH_PRICE_BEFORE = re.compile(rf"(?:价格)?(?:低于|不超过|不高于|少于|小于|便宜于|最多|最高|不到)\s*{_CUR}\s*{_NUM}{_ZH_UNIT}")
_ZH_PRICE_AFTER = re.compile(rf"{_CUR}\s*{_NUM}{_ZH_UNIT}\s*(?:以下|以内|之内|左右以内)")
_WORD = re.compile(r"[\w']+")


@dataclass
class Taste:
    text: str
    max_price: float | None = None
    category: str | None = None
    age: int | None = None  # the age of whoever it is for ("for a 10-year-old" → 10)
    lang: str = "en"
    said: str = ""  # the whole sentence without the price phrase (what a sentence embedder reads best)


def parse_max_price(text: str) -> tuple[float | None, str]:
    """(price cap or None, text without the price phrase).

    Example: ``parse_max_price("a mouse below $25.50")`` → ``(25.5, "a mouse")``.
    """
    for pattern in (_PRICE_BEFORE, _PRICE_AFTER, _ZH_PRICE_BEFORE, _ZH_PRICE_AFTER):
        m = pattern.search(text)
        if m:
            value = float(m.group(1).replace(",", "."))
            rest = (text[: m.start()] + text[m.end():]).strip(" ,.;")
            return value, re.sub(r"\s{2,}", " ", rest)
    return None, text


def _stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ies", "es", "s"):
        if len(w) > 4 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


#: Chinese words that only name a whole department ("游戏" in "射击游戏"): the taste's other
#: category word, when it has one, is the more specific filter.
_ZH_DEPARTMENT_WORDS = frozenset({"游戏", "电子游戏", "电玩", "玩具", "书", "图书", "书籍"})


def match_category_zh(text: str, categories: Iterable[str]) -> str | None:
    """The category a Chinese taste names, through the Chinese words of
    :data:`recommender.reasons.ZH_TERMS`: the last category word of the sentence (its head noun,
    "露营的帐篷" → tents), a word inside a longer one ignored ("游戏机" is not "游戏"), a
    department word only when nothing more specific is named ("射击游戏" → shooter).

    Example: ``match_category_zh("推荐几款射击游戏", ["Video Games", "shooter"])`` → ``"shooter"``.
    """
    from recommender.reasons import ZH_TERMS

    by_lower = {c.lower(): c for c in categories}
    spans: list[tuple[int, int, str, str]] = []  # (start, end, Chinese word, category)
    for name, words in ZH_TERMS.items():
        if name not in by_lower:
            continue
        for word in words:
            for m in re.finditer(re.escape(word), text.lower()):
                spans.append((m.start(), m.end(), word, by_lower[name]))
    kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
                                        for o in spans)]
    if not kept:
        return None
    specific = [s for s in kept if s[2] not in _ZH_DEPARTMENT_WORDS] or kept
    return max(specific, key=lambda s: (s[1], -s[0]))[3]


def match_category(text: str, categories: Iterable[str]) -> str | None:
    """The category whose every word occurs in ``text`` (plural-insensitive); longest wins.
    A Chinese taste is matched by :func:`match_category_zh`.

    Example: ``match_category("cheap headphones", ["Headphones", "Games"])`` → ``"Headphones"``.
    """
    categories = list(categories)
    if _CJK.search(text):
        found = match_category_zh(text, categories)
        if found:
            return found
    words = {_stem(w) for w in _WORD.findall(text)}
    best = None
    for cat in categories:
        cw = {_stem(w) for w in _WORD.findall(cat) if len(w) > 1}
        if cw and cw <= words and (best is None or len(cat) > len(best)):
            best = cat
    return best


_REQUEST = re.compile(
    r"^(?:(?:hi|hello|hey)[,!]?\s+)?(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?"
    r"(?:recommend(?:\s+me)?|suggest(?:\s+me)?|show\s+me|find\s+me|i(?:'m|\s+am)\s+looking\s+for|"
    r"i\s+(?:want|need|would\s+like)|looking\s+for|any\s+(?:recommendations?|suggestions?)\s+for)\s+",
    re.IGNORECASE,
)


# Chinese request words around the taste: "请推荐一款…", "有什么…推荐吗？", "我想买…", "给我找…".
_ZH_REQUEST_HEAD = re.compile(
    r"^(?:你好|您好)?[，,！!\s]*(?:请问?|麻烦)?(?:(?:能|可以)(?:不能)?(?:帮我|给我)?)?"
    r"(?:推荐|介绍|找|挑|选)?(?:给我|一下|下)?(?:有没有|有什么|有啥|有哪些|想要|想买|我想要|我想买|我要|我需要|需要|求|求推荐)?"
    r"(?:推荐|介绍)?(?:一下|下)?(?:[一几两]?(?:款|个|本|双|件|台|部|套|份|些|点|只|张|瓶|条|副|把|口))?"
)
_ZH_REQUEST_TAIL = re.compile(r"(?:可以)?(?:推荐|介绍)?(?:一下|下)?(?:吗|嘛|呢|吧|呀|啊)?[？?！!。.，,\s]*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _is_zh(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and len(_CJK.findall(text)) / len(letters) > 0.3


def strip_request(text: str) -> str:
    """The taste without the request around it.

    Example: ``strip_request("Can you recommend a racing game for PS4?")`` → ``"a racing game for PS4"``;
    ``strip_request("推荐一款赛车游戏")`` → ``"赛车游戏"``.
    """
    if _is_zh(text):
        core = _ZH_REQUEST_TAIL.sub("", _ZH_REQUEST_HEAD.sub("", text.strip())).strip()
        return core or text.strip()
    core = _REQUEST.sub("", text.strip())
    return re.sub(r"\s+([?!.,])", r"\1", core).strip(" ?!.,") or text.strip()


_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUM = r"[零一二两三四五六七八九十\d]{1,3}"
_AGE_PATTERNS = [
    re.compile(r"(\d{1,2})\s*[- ]?\s*(?:years?|yrs?)[- ]?old", re.I),  # "10-year-old", "8 years old"
    re.compile(r"\b(?:aged?|ages)\s*(\d{1,2})\s*\+?", re.I),  # "age 10", "ages 12+"
    re.compile(r"\b(\d{1,2})\s*\+?\s*(?:yo|y/o)\b", re.I),
    re.compile(rf"({_ZH_NUM})\s*(?:周岁|岁)"),  # "十岁", "10岁"
]
_KID_WORDS = re.compile(r"\b(?:kids?|child|children|toddlers?)\b|孩子|儿童|小孩|小朋友|宝宝", re.I)


def _zh_int(s: str) -> int | None:
    """``"十二"`` → 12, ``"八"`` → 8, ``"10"`` → 10 (1–99)."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _ZH_DIGITS.get(tens, None) if tens else 1
        o = _ZH_DIGITS.get(ones, None) if ones else 0
        return None if t is None or o is None else 10 * t + o
    return _ZH_DIGITS.get(s) if len(s) == 1 else None


def parse_age(text: str) -> int | None:
    """The age a gift or game is for: ``"for a 10-year-old"`` → 10, ``"适合十岁孩子"`` → 10,
    ``"for my kids"`` → 10 (a child of unstated age), none stated → ``None``."""
    for pattern in _AGE_PATTERNS:
        m = pattern.search(text)
        if m:
            age = _zh_int(m.group(1))
            if age is not None and 0 < age < 100:
                return age
    return 10 if _KID_WORDS.search(text) else None


def parse_taste(text: str, categories: Iterable[str] = ()) -> Taste:
    """Split a stated preference into embeddable text, a price cap, a category and an age."""
    price, rest = parse_max_price(strip_request(text))
    rest = rest.strip(" ?!.,？！。，").lstrip("的")
    said = parse_max_price(text.strip())[1].strip() or text.strip()
    return Taste(text=rest or text.strip(), max_price=price, category=match_category(rest, categories),
                 age=parse_age(text), lang="zh" if _is_zh(text) else "en", said=said)
