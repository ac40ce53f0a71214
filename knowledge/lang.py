"""Language and slug helpers shared by the loaders, the chunker and the chat pipeline."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")


def detect_lang(text: str) -> str:
    """``"zh"`` when a good share of the letters are CJK ideographs, else ``"en"``.

    >>> detect_lang("我的订单在哪里"), detect_lang("where is my order")
    ('zh', 'en')
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    return "zh" if len(_CJK.findall(text)) / len(letters) > 0.3 else "en"


def slugify(text: str) -> str:
    """``"How do I cancel an order?"`` → ``"how-do-i-cancel-an-order"`` (CJK kept)."""
    slug = re.sub(r"[^\w\u3400-\u9fff]+", "-", text.lower()).strip("-")
    return slug[:80] or "section"
