"""Follow-ups: what "it", "that", "and express?" and "is there a PC version?" refer to.

The conversation's **focus** is the product and the question of the previous turns. A new
message is read against it:

- :func:`elliptical` — "and express?" after "How long does standard shipping take?" swaps the
  word of the same kind (shipping speeds, platforms, membership tiers, payment methods) into
  the previous question: "How long does express shipping take?";
- :func:`wanted_platform` — "is there a PC version?" / "有PC版吗" asks for the focused title on
  another platform;
- :func:`refers_back` — "how much does it cost?" / "那它多少钱" leans on the focused product.

>>> elliptical("And express?", "How long does standard shipping take?")
'How long does express shipping take?'
>>> elliptical("what about gold members?", "Do bronze members get free returns?")
'Do gold members get free returns?'
>>> wanted_platform("And is there a PC version?"), wanted_platform("有Switch版吗？")
('PC', 'Switch')
"""

from __future__ import annotations

import re

# Words of one kind: a follow-up naming one of them replaces its sibling in the previous question.
SLOTS = {
    "speed": ["standard", "express", "next-day", "next day", "same-day", "same day", "international", "economy"],
    "platform": ["PS4", "PS5", "PC", "Switch", "Xbox Series X", "Xbox"],
    "tier": ["guest", "standard", "bronze", "silver", "gold", "platinum", "business"],
    "payment": ["PayPal", "credit card", "debit card", "Apple Pay", "Google Pay", "Klarna", "gift card", "card"],
}
_LEAD = re.compile(r"^\s*(and|also|but|what about|how about|and what about|and for|for|with|by|via|using|then)\s+", re.I)
_ANAPHORA = re.compile(r"\b(it|its|it's|that|this|those|these|they|them|one)\b|它|这个|那个|这款|那款|该", re.I)
_PLATFORM_ASK = re.compile(
    r"\b(?:(?P<a>pc|ps4|ps5|switch|xbox(?: series x)?)\s+(?:version|edition|one)|(?:version|edition|available|out|it)\s+"
    r"(?:for|on)\s+(?:the\s+)?(?P<b>pc|ps4|ps5|switch|xbox(?: series x)?))\b|(?P<c>pc|ps4|ps5|switch|xbox)\s*版",
    re.I,
)
_CANON = {"pc": "PC", "ps4": "PS4", "ps5": "PS5", "switch": "Switch", "xbox": "Xbox Series X",
          "xbox series x": "Xbox Series X"}


def _find(words: list[str], text: str) -> str | None:
    for w in sorted(words, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.I):
            return w
    return None


def elliptical(message: str, previous: str) -> str | None:
    """The previous question with the follow-up's word swapped in, or ``None`` if ``message`` is
    not such an ellipsis (see the module docstring)."""
    rest = _LEAD.sub("", message.strip()).rstrip("?？!. ")
    if not previous or len(rest.split()) > 4 or not rest:
        return None
    for words in SLOTS.values():
        new = _find(words, rest)
        old = _find([w for w in words if new and w.lower() != new.lower()], previous) if new else None
        if new and old:
            return re.sub(rf"(?<![\w-]){re.escape(old)}(?![\w-])", new, previous, count=1, flags=re.I)
    return None


def wanted_platform(message: str) -> str | None:
    """The platform a "is there a … version?" follow-up asks for, canonically spelled."""
    m = _PLATFORM_ASK.search(message)
    if not m:
        return None
    return _CANON[(m.group("a") or m.group("b") or m.group("c")).lower()]


def refers_back(message: str) -> bool:
    """True when a short message leans on what was discussed ("how much does it cost?", "and in stock?")."""
    short = len(re.findall(r"\w+", message)) <= 10 or (len(message) <= 20 and re.search(r"[\u3400-\u9fff]", message))
    return bool(short and (_ANAPHORA.search(message) or _LEAD.match(message) or re.match(r"^\s*那", message)))
