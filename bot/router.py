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
    r"anything (like|similar)|similar to|you might like|show me (some|a few))\b|推[荐薦]|有[什甚][么麼]好|"
    r"^\s*(有没有|有沒有|有什么|有什麼)?[适適]合.{1,12}的|想[买買]|想要[一个個款]|有[没沒]有(什[么麼]|好)",
    re.I,
)
# Chinese ways of asking which product to pick ("帮我挑一个帐篷", "哪款耳机好"), unless it is a
# shipping, payment or return option that is being picked ("选哪种配送方式").
_PICK_ZH = re.compile(r"(帮|幫|给|給)(我|忙)?(挑|[选選])|[挑选選]一?[款个個件双雙台部把]|"
                      r"哪(一)?[款个個种種][^，。？?,]{0,8}(比[较較])?(好|值得|适合|適合)|[买買]哪[个個款种種一]")
_NOT_PICK_ZH = re.compile(r"[颜顏]色|尺[码碼寸]|配送|快[递遞]|物流|付款|支付|方式|退[货貨款换換]|[订訂]单|[运運]费|地址|密码|密碼|账户|帳戶")


def route(message: str) -> str | None:
    """``"greeting" | "thanks" | "contact_human_agent" | "recommend"`` or ``None``."""
    if _GREETING.match(message):
        return "greeting"
    if small_talk(message) == "thanks":
        return "thanks"
    from desk.escalation import human_request

    if human_request(message):
        return "contact_human_agent"
    if _RECOMMEND.search(message) or (_PICK_ZH.search(message) and not _NOT_PICK_ZH.search(message)):
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
