"""Complaints answered from the policy that fits them, not from whatever text is nearest.

"My headphones arrived broken… unacceptable" is about the damaged-item policy, yet its
nearest text by embedding can be a care tip about headphones. :func:`complaint_query` names
the kind of problem (damaged, late or lost, wrong item, missing part, refund not received,
charged twice) and returns the store-neutral question that retrieves its policy. None of these
questions is a yes/no question: the reply to a complaint never opens with a "Yes," or "No,"
the shopper did not ask for (a yes/no question the shopper does ask is kept beside it).

>>> complaint_query("My headphones arrived broken, this is unacceptable!")
'My item arrived damaged or defective. What should I do? What are my options for a replacement, repair or refund?'
>>> complaint_query("Where is my order? It's two weeks late") is not None, complaint_query("How much is the PS5?")
(True, None)
"""

from __future__ import annotations

import re

_KINDS = [
    ("damaged", r"\b(broken|broke|damaged|cracked|smashed|shattered|defective|faulty|doesn'?t work|does not work|"
                r"not working|stopped working|dead on arrival|won'?t turn on|scratched|dented)\b|坏了|破损|损坏|故障|不能用",
     {"en": "My item arrived damaged or defective. What should I do? What are my options for a replacement, repair or refund?",
      "zh": "收到的商品损坏或有质量问题怎么办？"}),
    ("wrong", r"\b(wrong (item|product|size|colou?r|order)|not what i ordered|sent me the wrong|different item|"
              r"(sent|delivered|received|got) (me )?(a|an|the|some) [\w -]{2,40} instead)\b|发错|错发",
     {"en": "What can I do if I received the wrong item?", "zh": "收到的商品发错了怎么办？"}),
    ("missing", r"\b(missing (part|piece|item|items|accessor(y|ies))|incomplete|only got part)\b|少发|漏发|缺少",
     {"en": "What can I do if part of my order is missing?", "zh": "订单少发了商品怎么办？"}),
    ("late", r"\b(never (arrived|came|received)|hasn'?t (arrived|come)|has not (arrived|come)|not (arrived|received) yet|"
             r"still (waiting|not here)|(is|are|so|very|days|weeks) late|lost (package|parcel|order)|delayed)\b|"
             r"还没到|没收到|迟迟|延误|丢件",
     {"en": "My order hasn't arrived. What can I do about a late or lost package?", "zh": "订单迟迟没有送到怎么办？"}),
    ("refund", r"\b(refund (hasn'?t|has not|never|still)|still (no|haven'?t got|not got) (my )?refund|where is my refund)\b|"
               r"退款(还)?没(到|收到)",
     {"en": "Where is my refund?", "zh": "退款什么时候到账？"}),
    ("charged", r"\b(charged twice|double charged|charged two times|overcharged|duplicate charge)\b|重复扣款|扣了两次",
     {"en": "I was charged twice for my order. What should I do?", "zh": "被重复扣款怎么办？"}),
]


def complaint_kind(message: str) -> str | None:
    """``"damaged" | "wrong" | "missing" | "late" | "refund" | "charged"`` or ``None``."""
    for kind, pattern, _ in _KINDS:
        if re.search(pattern, message, re.I):
            return kind
    return None


_ASKS = re.compile(r"^\s*(is|are|does|do|can|could|will|would|how|what|which|why|when|where|has|have|should)\b|[?？吗呢]\s*$",
                   re.I)
_RECEIVED = re.compile(r"\b(you sent|i (got|received|bought|ordered)|arrived|came|delivered|my)\b|收到|寄来|买的|我的", re.I)


def reports(message: str) -> bool:
    """Whether ``message`` reports a problem with what the shopper has, rather than asking about a
    product ("The Ninja 3 you sent me has a cracked screen!" reports; "Does the screen scratch?" asks).

    >>> reports("The Ninja 3 you sent me has a cracked screen!"), reports("Is the screen scratched easily?")
    (True, False)
    """
    return bool(_RECEIVED.search(message)) and not _ASKS.search(message)


def complaint_query(message: str, lang: str = "en") -> str | None:
    """The question that retrieves the policy for the complaint in ``message``, or ``None``."""
    for _, pattern, queries in _KINDS:
        if re.search(pattern, message, re.I):
            return queries.get(lang, queries["en"])
    return None
