"""Intent routing and follow-up resolution: cheap, deterministic rules before retrieval.

:func:`route` recognises what needs no knowledge lookup — greetings, thanks, requests
for recommendations, requests for a human — and returns ``None`` otherwise, in which
case the intent comes from the best retrieved FAQ entry (:func:`intent_from_sources`).

:func:`resolve_followup` makes a short, anaphoric follow-up self-contained for
retrieval by prefixing the previous question:

    >>> resolve_followup("and how long does that take?", ["Do you offer express shipping?"])
    'Do you offer express shipping? and how long does that take?'
    >>> resolve_followup("Do you sell tents?", ["Do you offer express shipping?"])
    'Do you sell tents?'
"""

from __future__ import annotations

import re

_GREETING = re.compile(
    r"^\s*(hi+|hello+|hey+|hiya|good (morning|afternoon|evening)|greetings|yo|你好|您好|哈喽|嗨)[\s!.,。！]*$", re.I
)
_THANKS = re.compile(
    r"^\s*(thanks?( you)?( so much| a lot)?|thank u|thx|ty|cheers|great,? thanks?|ok(ay)?,? thanks?|谢谢(你|您)?|多谢)[\s!.,。！]*$",
    re.I,
)
_RECOMMEND = re.compile(
    r"\b(recommend|recommendation|suggest|suggestion|gift ideas?|what should i (buy|get)|looking for (a|an|some)|"
    r"anything (like|similar)|similar to|you might like|show me (some|a few))\b|推荐|有什么好",
    re.I,
)
_ANAPHORA = re.compile(
    r"^(and|also|what about|how about|but|so|then)\b|\b(it|its|that|this|those|these|they|them|there|one)\b|"
    r"那个|这个|它|那|还有",
    re.I,
)


def route(message: str) -> str | None:
    """``"greeting" | "thanks" | "contact_human_agent" | "recommend"`` or ``None``."""
    if _GREETING.match(message):
        return "greeting"
    if _THANKS.match(message):
        return "thanks"
    from desk.escalation import human_request

    if human_request(message):
        return "contact_human_agent"
    if _RECOMMEND.search(message):
        return "recommend"
    return None


def resolve_followup(message: str, previous_questions: list[str]) -> str:
    """Prefix the previous question when ``message`` is a short follow-up that leans on it."""
    if not previous_questions:
        return message
    words = re.findall(r"\w+", message)
    short = len(words) <= 8 or (len(message) <= 16 and re.search(r"[\u3400-\u9fff]", message))
    if short and _ANAPHORA.search(message.strip()):
        return f"{previous_questions[-1].strip()} {message.strip()}"
    return message


def intent_from_sources(sources, min_score: float = 0.5) -> str:
    """The intent of the best FAQ source, or the kind of the best source."""
    if not sources:
        return "unknown"
    top = sources[0]
    if top.kind == "faq" and top.intent and top.score >= min_score:
        return top.intent
    if top.kind == "product":
        return "product_question"
    if top.intent:
        return top.intent
    return "policy_question" if top.kind in ("policy", "page", "text", "pdf") else "unknown"
