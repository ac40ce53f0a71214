"""Stated taste: pull a price cap and category words out of a shopper's sentence.

``parse_taste("racing games for PS4 under 40 dollars", categories=["Games", "Audio"])``
→ ``Taste(text="racing games for PS4", max_price=40.0, category="Games")``. The remaining
text is what the hybrid embeds (it keeps platform words such as "PS4", which the text
embedding understands better than a filter would). Rules are plain regular expressions:
they are predictable, and a miss only means no filter, never a wrong answer.

Price phrases understood: "under 40", "below $40", "less than 40 dollars", "cheaper than 40",
"up to 40", "at most 40", "max 40", "< 40", "<= 40", "$40 or less", "40 bucks or under".
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
_WORD = re.compile(r"[\w']+")


@dataclass
class Taste:
    text: str
    max_price: float | None = None
    category: str | None = None


def parse_max_price(text: str) -> tuple[float | None, str]:
    """(price cap or None, text without the price phrase).

    Example: ``parse_max_price("a mouse below $25.50")`` → ``(25.5, "a mouse")``.
    """
    for pattern in (_PRICE_BEFORE, _PRICE_AFTER):
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


def match_category(text: str, categories: Iterable[str]) -> str | None:
    """The category whose every word occurs in ``text`` (plural-insensitive); longest wins.

    Example: ``match_category("cheap headphones", ["Headphones", "Games"])`` → ``"Headphones"``.
    """
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


def strip_request(text: str) -> str:
    """The taste without the request around it.

    Example: ``strip_request("Can you recommend a racing game for PS4?")`` → ``"a racing game for PS4"``.
    """
    core = _REQUEST.sub("", text.strip())
    return re.sub(r"\s+([?!.,])", r"\1", core).strip(" ?!.,") or text.strip()


def parse_taste(text: str, categories: Iterable[str] = ()) -> Taste:
    """Split a stated preference into embeddable text, a price cap and a category."""
    price, rest = parse_max_price(strip_request(text))
    rest = rest.strip(" ?!.,")
    return Taste(text=rest or text.strip(), max_price=price, category=match_category(rest, categories))
