"""Follow-ups: what "it", "that", "and express?" and "is there a PC version?" refer to.

The conversation's **focus** is the product and the question of the previous turns. A new
message is read against it:

- :func:`elliptical` — "and express?" after "How long does standard shipping take?" swaps the
  word of the same kind (shipping speeds, platforms, membership tiers, payment methods) into
  the previous question: "How long does express shipping take?";
- :func:`wanted_platform` — "is there a PC version?" / "有PC版吗" asks for the focused title on
  another platform;
- :func:`refers_back` — "how much does it cost?" / "那它多少钱" leans on the focused product;
  :func:`elliptical_fact` — "多少钱？" / "price?" asks a fact and names nothing else;
- :func:`resolve_followup` — retrieval's question for a short anaphoric follow-up: the previous
  question prefixed ("Do you offer express shipping? and how long does that take?").

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
# What makes a short message lean on the previous turns: a pronoun, or an opening "and"/"what about".
_ANAPHORA = re.compile(r"\b(it|its|it's|that|this|those|these|they|them|one)\b|它|这个|那个|这款|那款|该|还有", re.I)
_OPENING = re.compile(r"^\s*(and|also|but|so|then|what about|how about)\b|^\s*那", re.I)
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


# The same kinds in Chinese questions ("标准配送要几天" / "加急呢？" → "加急配送要几天").
ZH_SLOTS = {
    "speed": ["标准", "加急", "次日达", "国际"],
    "platform": ["PS4", "PS5", "PC", "Switch", "Xbox"],
    "tier": ["普通会员", "Standard", "Gold", "Platinum", "企业账户"],
    "payment": ["PayPal", "信用卡", "借记卡", "Apple Pay", "Google Pay", "礼品卡", "商店余额", "支付宝", "微信支付", "Affirm"],
}
_ZH_LEAD = re.compile(r"^\s*(那么|那|还有|如果是|换成|改成|要是)\s*")
_ZH_TAIL = re.compile(r"\s*(的话|呢|吗|嗎|呀|啊)?\s*[?？!！。.]*\s*$")


def _find_zh(words: list[str], text: str) -> str | None:
    for w in sorted(words, key=len, reverse=True):
        if (re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text, re.I) if w.isascii()
                else w in text):
            return w
    return None


def _elliptical_zh(message: str, previous: str) -> str | None:
    """"加急呢？" after "标准配送要几天": the previous question with the word of the same kind swapped."""
    rest = _ZH_TAIL.sub("", _ZH_LEAD.sub("", message.strip()))
    if not rest or len(_CJK.findall(rest)) > 6 or len(re.findall(r"[A-Za-z0-9]+", rest)) > 3:
        return None
    for words in ZH_SLOTS.values():
        new = _find_zh(words, rest)
        if not new or _strip_word(rest, new):  # the message must be the word and nothing more
            continue
        old = _find_zh([w for w in words if w.lower() != new.lower()], previous)
        if old:
            return previous.replace(old, new, 1) if not old.isascii() else \
                re.sub(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])", new, previous, count=1, flags=re.I)
    return None


def _strip_word(rest: str, word: str) -> str:
    """What is left of ``rest`` without ``word`` and the words that only name a kind of it (版, 配送, 会员)."""
    left = re.sub(re.escape(word), "", rest, count=1, flags=re.I)
    return re.sub(r"(版本?|配送|快递|会员|支付|付款|的)", "", left).strip()


def elliptical(message: str, previous: str) -> str | None:
    """The previous question with the follow-up's word swapped in, or ``None`` if ``message`` is
    not such an ellipsis (see the module docstring).

    >>> elliptical("加急呢？", "标准配送要几天")
    '加急配送要几天'
    """
    if previous and _CJK.search(message):
        return _elliptical_zh(message, previous)
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


def _short(message: str, words: int = 10, cjk_chars: int = 20) -> bool:
    return len(re.findall(r"\w+", message)) <= words or (len(message) <= cjk_chars and bool(_CJK.search(message)))


_CJK = re.compile(r"[\u3400-\u9fff]")


def refers_back(message: str) -> bool:
    """True when a short message leans on what was discussed ("how much does it cost?", "and in stock?"),
    or, in Chinese, names nothing but a version of it ("PS5 版呢", "PS4 版有货吗")."""
    return _short(message) and bool(_ANAPHORA.search(message) or _LEAD.match(message) or _OPENING.match(message)
                                    or _only_a_version(message))


_ZH_VERSION = re.compile(r"(pc|ps4|ps5|switch|xbox)\s*版", re.I)


def _only_a_version(message: str) -> bool:
    """"PS5 版呢？": a Chinese message whose only name is a platform version, with a few words of question."""
    m = _ZH_VERSION.search(message)
    if not m:
        return False
    rest = message[: m.start()] + message[m.end():]
    return not re.search(r"[A-Za-z0-9]", rest) and len(_CJK.findall(rest)) <= 6


def elliptical_fact(message: str) -> bool:
    """True for a question too short to name anything but the fact it asks: "price?", "多少钱？",
    "有货吗？", "the rating?" (the caller checks that it does ask a fact and names no product)."""
    latin = re.findall(r"[A-Za-z0-9]+", message)
    if _CJK.search(message):
        return not latin and len(_CJK.findall(message)) <= 6
    return len(latin) <= 3


def same_question(message: str) -> bool:
    """True for "and the FX-82MS?" / "what about the PC one?" / "那PC版呢？": a short opening that
    asks nothing of its own, so it asks the previous question again about something else."""
    m = _OPENING.match(message)
    if not m or len(message.split()) > 6:
        return False
    rest = message[m.end():]
    return not re.search(r"\b(what|which|how|does|do|did|is|are|can|could|who|why|when|where|will)\b", rest, re.I) \
        and not re.search(r"吗|什么|怎么|多少|几", rest)


def resolve_followup(message: str, previous_questions: list[str]) -> str:
    """Retrieval's question for a short follow-up that leans on the previous question: that
    question prefixed (else ``message`` itself).

    >>> resolve_followup("and how long does that take?", ["Do you offer express shipping?"])
    'Do you offer express shipping? and how long does that take?'
    >>> resolve_followup("how long do I have?", ["I'm a bronze member and I want to return a shirt"])
    "I'm a bronze member and I want to return a shirt how long do I have?"
    >>> resolve_followup("Do you sell tents?", ["Do you offer express shipping?"])
    'Do you sell tents?'
    >>> resolve_followup("一个订单最多能用几张", ["礼品卡会过期吗"])
    '礼品卡会过期吗 一个订单最多能用几张'
    """
    if previous_questions and _short(message, 10, 16) and (
            _ANAPHORA.search(message) or _OPENING.match(message) or not topic_words(message)
            or _BARE_MEASURE.search(message)):
        return f"{previous_questions[-1].strip()} {message.strip()}"
    return message


# A Chinese question ending on a measure word with no noun after it ("一个订单最多能用几张？") counts
# things the previous question named.
_BARE_MEASURE = re.compile(r"(几|幾|多少)(张|張|个|個|件|台|臺|款|种|種|位|次)\s*[吗嗎呢?？!！。]*\s*$")

_FUNCTION_WORDS = frozenset(
    "a an the and or but so of to in on at by for with from as is are was were be been am do does did have has had "
    "i i'm me my we you your it its can could will would should may might must how what when where which who why "
    "long much many soon often there here then now still get got any anything please ok okay".split()
)


def topic_words(message: str) -> set[str]:
    """The words of ``message`` that name a topic ("how long do I have?" names none; Chinese
    characters always count)."""
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z']*|\d+", message)}
    return (words - _FUNCTION_WORDS) | set(_CJK.findall(message))
