"""Turns that need no knowledge lookup: small talk, and requests outside the store's business.

:func:`small_talk` recognises a message made only of pleasantries ("thanks, that helps!",
"great, bye", "ok cool") and says which kind; :func:`off_topic` recognises general-knowledge
and creative requests ("What is the capital of Australia?", "Write me a poem about the sea")
that a shop assistant declines — unless the message also carries the store's own business
("Do you ship to Australia?" is a shipping question).

>>> small_talk("thanks, that helps!"), small_talk("great, bye"), small_talk("Where is my order?")
('thanks', 'goodbye', None)
>>> off_topic("Who won the 2018 World Cup?"), off_topic("Do you ship to Australia?")
(True, False)
"""

from __future__ import annotations

import re

_THANKS = (r"thanks?( you)?( (so|very) much| a lot| again)?|thank u|thx|ty|cheers|much appreciated|"
           r"appreciate it|谢谢(你|您)?|多谢|感谢")
_OK = (r"ok(ay)?|great|perfect|awesome|cool|nice|good|excellent|wonderful|fantastic|super|got it|understood|"
       r"that helps?|that('s| is| was) (helpful|great|perfect|all|it|everything)|this helps|helpful|"
       r"all good|sounds good|no problem|np|好的|好|明白了|知道了|太好了|没问题")
_BYE = r"bye|goodbye|good bye|bye bye|see (you|ya)|have a (nice|good|great) (day|one|evening)|take care|再见|拜拜"
_PIECE = re.compile(rf"^(?:(?P<t>{_THANKS})|(?P<o>{_OK})|(?P<b>{_BYE}))$", re.I)
_SPLIT = re.compile(r"[\s]*[,.!;:~，。！；]+[\s]*|\s+(?=and\b)|^\s*(?:and|so|oh|ah|well)\s+", re.I)

REPLIES = {
    "thanks": {"en": "You're welcome! Is there anything else I can help you with?",
               "zh": "不客气！还有什么可以帮您的吗？"},
    "goodbye": {"en": "Thanks for stopping by — have a great day!", "zh": "感谢您的光临，祝您愉快！"},
    "ok": {"en": "Glad that helped. Anything else you'd like to know?", "zh": "很高兴能帮到您。还有其他问题吗？"},
}


def small_talk(message: str) -> str | None:
    """``"thanks" | "goodbye" | "ok"`` when every piece of the message is a pleasantry, else ``None``."""
    pieces = [p.strip() for p in _SPLIT.split(message.strip()) if p and p.strip()]
    pieces = [re.sub(r"^(and|so|oh|ah|well|yes|yeah|yep)\s+", "", p, flags=re.I) for p in pieces]
    if not pieces or len(message) > 80:
        return None
    kinds: list[str] = []
    for piece in pieces:
        found = _pleasantries(piece)
        if found is None:
            return None
        kinds.extend(found)
    return "goodbye" if "goodbye" in kinds else "thanks" if "thanks" in kinds else "ok"


def _pleasantries(piece: str) -> list[str] | None:
    """The kinds of the pleasantries ``piece`` is made of, word runs matched longest first
    (``"ok cool thanks"`` → ``["ok", "ok", "thanks"]``), or ``None`` if anything else is in it."""
    words = piece.split()
    kinds, start = [], 0
    while start < len(words):
        for end in range(len(words), start, -1):
            m = _PIECE.match(" ".join(words[start:end]))
            if m:
                kinds.append("thanks" if m.group("t") else "goodbye" if m.group("b") else "ok")
                start = end
                break
        else:
            return None
    return kinds


_GENERAL = re.compile(
    r"\b(weather|forecast|capital (city )?of|who (won|invented|discovered|wrote|painted|is the (president|king|queen|"
    r"prime minister|ceo))|world cup|super bowl|olympics|election|president of|prime minister|population of|"
    r"meaning of life|horoscope|lottery|stock price|bitcoin|crypto|"
    r"(write|compose|tell|give) me (a|an|some) (poem|song|story|joke|essay|haiku|limerick|riddle)|"
    r"\b(poem|haiku|limerick|essay) (about|on)|tell me a joke|translate|solve (this|the) (equation|problem)|"
    r"recipe for|how do i cook|homework|capital|history of|what year did|when did .+ (die|born|happen))\b|"
    r"天气|首都|世界杯|写一首|写首诗|讲个笑话|总统|翻译",
    re.I,
)
_STORE = re.compile(
    r"\b(order|orders|ship|shipping|shipped|deliver|delivery|return|returns|refund|exchange|price|cost|buy|"
    r"purchase|cart|checkout|pay|payment|account|password|membership|warranty|stock|discount|coupon|promo|"
    r"gift card|invoice|track|tracking|store|shop|product|sell|catalogue|catalog)\b|订单|发货|配送|退货|退款|价格|"
    r"多少钱|购买|账户|会员|保修|优惠|库存",
    re.I,
)

DECLINE = {
    "en": "I'm the store's shopping assistant, so I can only help with our products, orders, shipping, "
          "returns, payment and your account. Is there something like that I can help you with?",
    "zh": "我是本店的购物助手，只能回答关于商品、订单、配送、退货、付款和账户的问题。有这方面需要帮忙的吗？",
}


def off_topic(message: str) -> bool:
    """True for a general-knowledge or creative request that names none of the store's business."""
    return bool(_GENERAL.search(message)) and not _STORE.search(message)
