"""How a reply's text is cut into the pieces that stream to the shopper.

The answer steps yield checked text as it becomes ready: one sentence at a time for generated
replies, a whole reply at once for answers that need no generation (product facts from the
catalogue, quoted policy sentences, small talk). :func:`pieces` cuts each such delta into short
phrases — a few words, or a few characters of Chinese/Japanese text, ending early at
punctuation — so that the shopper page, the widget and ``/v1/chat/completions`` stream every
reply the same way, as many small chunks. Joining the pieces gives the text back exactly.

>>> list(pieces("The PlayStation 5 Disc Edition is $499.99, and we have 1 left."))
['The PlayStation 5 ', 'Disc Edition is ', '$499.99, ', 'and we have ', '1 left.']
>>> list(pieces("大多数商品可在签收后30天内退货。"))
['大多数商品可', '在签收后30', '天内退货。']
>>> "".join(pieces("Hi!\\n\\nHow can I help?")) == "Hi!\\n\\nHow can I help?"
True
"""

from __future__ import annotations

import re
from collections.abc import Iterator

WORDS_PER_PIECE = 3
CHARS_PER_PIECE = 6  # CJK characters in one piece (about three words' worth)

# One unit: a run of CJK characters' single character, or a word with its trailing space.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65"
_UNIT = re.compile(rf"[{_CJK}{_CJK_PUNCT}]\s*|[^\s{_CJK}{_CJK_PUNCT}]+\s*|\s+")
_ENDS = re.compile(rf"[.,;:!?)\]{_CJK_PUNCT}]\s*$|\n\s*$")


def pieces(text: str, words: int = WORDS_PER_PIECE, chars: int = CHARS_PER_PIECE) -> Iterator[str]:
    """``text`` in short phrases (``words`` words or ``chars`` CJK characters, cut after punctuation)."""
    piece, weight = "", 0.0
    for unit in _UNIT.findall(text):
        piece += unit
        weight += 1.0 / chars if re.match(rf"[{_CJK}{_CJK_PUNCT}]", unit) else (1.0 / words if unit.strip() else 0.0)
        if weight >= 1.0 - 1e-9 or (_ENDS.search(unit) and unit.strip()):
            yield piece
            piece, weight = "", 0.0
    if piece:
        yield piece


def split_deltas(events: Iterator[tuple[str, object]], **sizes) -> Iterator[tuple[str, object]]:
    """``events`` with every ``("delta", text)`` cut into :func:`pieces`; other events as they come.

    A ``("final", reply)`` whose ``reply.reply`` continues what was streamed (or was never streamed:
    a note to a shopper waiting for a person) is preceded by the rest of its text, in pieces."""
    shown = ""
    for kind, value in events:
        if kind == "delta" and isinstance(value, str):
            shown += value
            for piece in pieces(value, **sizes):
                yield kind, piece
            continue
        text = getattr(value, "reply", None) if kind == "final" else None
        if isinstance(text, str) and text.startswith(shown) and text[len(shown):].strip():
            for piece in pieces(text[len(shown):], **sizes):
                yield "delta", piece
        yield kind, value
