"""Intent routing: cheap, deterministic rules before retrieval.

:func:`route` recognises what needs no knowledge lookup — greetings, thanks, requests
for recommendations, requests for a human — and returns ``None`` otherwise, in which
case the intent comes from the best retrieved FAQ entry (:func:`intent_from_sources`).

Thanks are recognised by :func:`bot.answers.smalltalk.small_talk` and follow-ups resolved by
:func:`bot.answers.followup.resolve_followup` (re-exported here): one copy of each rule.

    >>> route("hi"), route("thanks, that helps!"), route("where is my order?")
    ('greeting', 'thanks', None)
"""

from __future__ import annotations

import re

from bot.answers.followup import resolve_followup  # noqa: F401 - part of this module's interface
from bot.answers.smalltalk import small_talk

_GREETING = re.compile(
    r"^\s*(hi+|hello+|hey+|hiya|good (morning|afternoon|evening)|greetings|yo|你好|您好|哈喽|嗨)[\s!.,。！]*$", re.I
)
_RECOMMEND = re.compile(
    r"\b(recommend|recommendation|suggest|suggestion|gift ideas?|what should i (buy|get)|looking for (a|an|some)|"
    r"anything (like|similar)|similar to|you might like|show me (some|a few))\b|推荐|有什么好|"
    r"^\s*(有没有|有什么)?适合.{1,12}的|想买|想要[一个款]|有没有(什么|好)",
    re.I,
)


def route(message: str) -> str | None:
    """``"greeting" | "thanks" | "contact_human_agent" | "recommend"`` or ``None``."""
    if _GREETING.match(message):
        return "greeting"
    if small_talk(message) == "thanks":
        return "thanks"
    from desk.escalation import human_request

    if human_request(message):
        return "contact_human_agent"
    if _RECOMMEND.search(message):
        return "recommend"
    return None


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
