"""Language and slug helpers shared by the loaders, the chunker and the chat pipeline."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def detect_lang(text: str) -> str:
    """``"zh"`` when a good share of the text is CJK ideographs, else ``"en"``. An ideograph is
    weighed against a Latin *word* (one Chinese character carries about as much as a word), so a
    Chinese question naming an English product stays Chinese.

    >>> detect_lang("我的订单在哪里"), detect_lang("where is my order")
    ('zh', 'en')
    >>> detect_lang("Chronicles of Ember (PS4) 多少钱？"), detect_lang("How much is the 小米 phone?")
    ('zh', 'en')
    """
    cjk = len(_CJK.findall(text))
    if not cjk:
        return "en"
    words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk / (cjk + words) > 0.4 else "en"


def slugify(text: str) -> str:
    """``"How do I cancel an order?"`` → ``"how-do-i-cancel-an-order"`` (CJK kept)."""
    slug = re.sub(r"[^\w\u3400-\u9fff]+", "-", text.lower()).strip("-")
    return slug[:80] or "section"
