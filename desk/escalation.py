"""When to hand a shopper to a human: a pure, deterministic policy over the whole conversation.

:class:`EscalationPolicy.decide` reads every shopper turn since the last handoff was resolved
(one :class:`TurnSignal` each, oldest first) and returns a :class:`Decision`. It knows nothing
about databases or models: the caller scores each turn (sentiment, intent, whether Kefu
abstained) and passes the signals in, so the policy is tested with scripted conversations.

Rules, checked in this order; the first that fires wins:

1. ``human_request`` — the latest turn asks for a person, in English or Chinese, phrased many
   ways ("let me talk to a person", "real human please", "agent!", "转人工", "人工客服",
   "我要投诉", "找客服"). Near-misses ("is this real leather?", "human hair wig", "人工智能") do not count,
   and neither does a negated request ("no need to talk to a person").
2. ``threat`` — legal action, chargebacks, reporting the shop ("I'll sue", "起诉", "12315").
3. ``profanity`` — swearing or insults, unless the turn is clearly positive
   ("this is fucking awesome" is not a complaint).
4. ``negative_streak`` — at least ``negative_turns`` of the last ``window`` turns were very
   negative (polarity < ``negative_below``) and the latest one is among them.
5. ``negative_trend`` — over the last ``window`` turns sentiment falls (least-squares slope
   ≤ ``trend_slope``) and its exponentially weighted mean (``ewma_alpha``) is below
   ``trend_below``, with the latest turn negative: a shopper growing angrier.
6. ``complaint`` — the latest turn is a complaint (intent ``"complaint"``) and either it is very
   negative or it is the ``complaint_turns``-th complaint in the window.
7. ``abstentions`` — Kefu abstained on the last ``abstentions`` turns in a row.
8. ``repeated_question`` — the shopper asked (nearly) the same thing ``repeats`` + 1 times in a
   row, or once again while negative (token Jaccard ≥ ``repeat_jaccard`` or difflib ratio ≥
   ``repeat_ratio`` on normalised text).

Trade-offs: keyword rules are transparent and multilingual but miss creative phrasings; the
sentiment rules catch those when the shopper is also upset. A single mild complaint followed by
a positive turn never escalates.

Example::

    >>> policy = EscalationPolicy()
    >>> policy.decide([TurnSignal("let me talk to a person", 0.0, "neutral")]).reason
    'human_request'
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

URGENCY_NONE, URGENCY_NORMAL, URGENCY_HIGH = "none", "normal", "high"


@dataclass
class TurnSignal:
    """What the policy knows about one shopper turn.

    ``polarity`` is P(positive) − P(negative) in −1..1; ``label`` is "negative", "neutral" or
    "positive"; ``intent`` is the router's label (``"complaint"`` matters here);
    ``abstained`` is whether Kefu declined to answer that turn.
    """

    text: str
    polarity: float = 0.0
    label: str = "neutral"
    intent: str | None = None
    abstained: bool = False


@dataclass(frozen=True)
class Decision:
    """``escalate``; ``reason`` is a rule name (empty when not escalating); ``urgency`` is
    "none", "normal" or "high"; ``detail`` says what fired, for the staff packet."""

    escalate: bool
    reason: str = ""
    urgency: str = URGENCY_NONE
    detail: str = ""


# What a person reads for each rule name (the handoff packet's summary, the staff console).
REASON_LABELS = {
    "human_request": "asked for a person",
    "threat": "threat",
    "profanity": "profanity",
    "negative_streak": "very unhappy",
    "negative_trend": "mood falling",
    "complaint": "complaint",
    "abstentions": "bot could not answer",
    "repeated_question": "asked again",
}


def reason_label(reason: str) -> str:
    """``"human_request"`` → ``"asked for a person"``; an unknown rule name as words."""
    return REASON_LABELS.get(reason or "", (reason or "").replace("_", " "))


# --- phrase lists ------------------------------------------------------------------------
# Nouns for "a human" after talk/speak/connect…; qualifiers make a person noun a request.
_PEOPLE = (
    r"(?:a |an |the |some |your |one of your |any )?(?:real |live |actual |human |proper )?"
    r"(?:human(?:s| being)?|person|people|someone|somebody|anyone|anybody|agent|"
    r"representative|rep|operator|manager|supervisor|staff(?: member)?|employee|"
    r"customer (?:service|support|care)(?: agent| rep(?:resentative)?| team)?|"
    r"support(?: team| staff| agent)?|team member|advisor|adviser)\b"
)
_ASK_VERBS = (
    r"(?:talk|speak|chat|connect|transfer|switch|escalate|pass|hand|forward|redirect|route|"
    r"put)(?:ing)?(?: me)?(?: (?:back|over|through))?(?: to| with)"
)
_EN_REQUEST = [
    # "let me talk to a person", "connect me with an agent", "transfer to customer service"
    re.compile(rf"\b{_ASK_VERBS} {_PEOPLE}"),
    # "I want a real human", "get me a live agent", "real person please"
    re.compile(r"\b(?:real|live|actual) (?:human|person|people|agent|rep|representative|"
               r"operator|someone|somebody)\b(?! (?:hair|skin|leather|size|model))"),
    # "agent!", "human please", "representative now", "a person, please"
    re.compile(r"^(?:(?:i want|i need|get me|give me|gimme|can i (?:get|have)|"
               r"could i (?:get|have)|may i (?:get|have)|please|pls|just)\s+)?(?:a |an |the )?"
               r"(?:real |live )?(?:human|person|agent|representative|rep|operator|manager|"
               r"supervisor|customer service)(?:\s+(?:please|pls|now|asap|right now))?$"),
    re.compile(r"\b(?:human|agent|representative|operator|manager|supervisor)\s+(?:please|pls|"
               r"now|asap|right now)\b"),
    # "I want/need/demand (to speak to) your manager"
    re.compile(r"\b(?:want|need|demand|request|ask for|get me|give me|let me have)\s+"
               r"(?:to (?:see|reach|contact|call) )?(?:a |an |the |your |some )?"
               r"(?:human|manager|supervisor|representative|operator|live agent|"
               r"customer service rep)\b(?! (?:hair|body|rights))"),
    # "I don't want to talk to a bot", "stop the bot", "no more robots"
    re.compile(r"\b(?:don'?t|do not|won'?t|will not) (?:want to )?(?:talk|speak|chat) "
               r"(?:to|with) (?:a |the |this |your )?(?:bot|robot|machine|ai|computer)\b"),
    re.compile(r"\b(?:not|no more|stop|enough of) (?:a |the |this |your )?"
               r"(?:bot|robot|chatbot|machine)\b.*\b(?:human|person|someone|agent)\b"),
    re.compile(r"\b(?:is there|are there|isn'?t there) (?:a |an |any )?(?:real |live )?"
               r"(?:human|person|people|someone|somebody|anyone|anybody|agent)\b"
               r".*\b(?:talk|speak|chat|help|there)\b"),
    # "escalate this", "escalate my case", "call me back"
    re.compile(r"\bescalate (?:this|it|my (?:case|complaint|issue|ticket|problem))\b"),
    re.compile(r"\b(?:call|phone|ring) me(?: back)?\b"),
    re.compile(r"\b(?:human|live) (?:support|help|assistance|agent)\b"),
]
_EN_NEGATED = re.compile(
    r"\b(?:no need|don'?t need|do not need|don'?t want|do not want|not necessary|"
    r"without|never|no)\b[\w ,']{0,20}$"
)
_ZH_REQUEST = [
    re.compile(r"转人工|找人工|要人工|接人工|转接人工|转到人工|叫人工|呼叫人工|联系人工"),
    re.compile(r"人工(?:客服|服务|坐席|座席|处理|帮助|回复|介入)"),
    re.compile(r"^\W*人工\W*$|人工[吧呢啊吗！!]|^\W*投诉\W*$"),
    re.compile(r"(?:找|要|转|换|叫|来)(?:你们|你们的)?(?:个|一个)?(?:真人|活人|客服人员|客服主管|经理|主管|领导|负责人)"),
    re.compile(r"真人客服|客服人员|(?:你|你们)是(?:不是)?(?:机器人|真人)"),
    re.compile(r"(?:找|转|要|换|叫|接|联系|呼叫)(?:一下|下)?(?:你们的?)?(?:个|一个)?(?:真人|人工)?客服(?!电话|邮箱|时间)"),
    re.compile(r"我要投诉|我要举报|投诉你们|要投诉|我想投诉|(?:怎么|如何|哪里|在哪|去哪)投诉|"
               r"投诉(?:你们|你|客服|商家|卖家|店家|快递)"),
    re.compile(r"不(?:想|要)(?:跟|和)?机器人"),
]
_ZH_NEGATED = re.compile(r"(?:不|别|没|无需|不用|不必)(?:想|要|用|需要|必|再)?(?:去|再)?$")
_THREAT = [
    re.compile(r"\b(?:i'?ll|i will|i'?m going to|gonna|going to|will) (?:sue|take (?:you|this) "
               r"to court|report you|call my (?:lawyer|attorney|bank))\b"),
    re.compile(r"\b(?:sue you|suing|lawsuit|lawyer|attorney|legal action|small claims|"
               r"take legal|see you in court)\b"),
    re.compile(r"\b(?:charge ?back|dispute (?:the|this|my) (?:charge|payment|transaction)|"
               r"cancel (?:the|my) (?:card )?payment with my bank)\b"),
    re.compile(r"\b(?:better business bureau|bbb|consumer protection|trading standards|ftc|"
               r"report (?:you|this|your (?:shop|store|company)) to)\b"),
    re.compile(r"起诉|告你们|告到|律师|法院|打官司|消协|消费者协会|12315|工商局|市场监管|曝光你们|"
               r"媒体曝光|报警|信用卡拒付|拒付"),
]
_PROFANITY = [
    re.compile(r"\b(?:fuck\w*|f\*+k\w*|motherfuck\w*|shit(?:ty|s|head)?|bullshit|wtf|"
               r"asshole\w*|arsehole\w*|bitch\w*|bastard\w*|dumbass\w*|jackass|"
               r"piss(?:ed)? off|screw (?:you|this|u)|crap(?:py)?|damn(?:ed|it)?|goddamn\w*)\b"),
    re.compile(r"\b(?:you|your|u) (?:\w+ )?(?:idiots?|morons?|clowns|imbeciles?|incompetent|"
               r"useless|pathetic)\b"),
    re.compile(r"\b(?:stupid|useless|dumb|worthless|garbage|pathetic) (?:bot|robot|ai|machine|"
               r"service|company|shop|store)\b"),
    re.compile(r"傻逼|傻b|煞笔|沙比|妈的|他妈|操你|草泥马|尼玛|你妈|去死|废物|脑残|滚蛋|滚开|"
               r"^\W*滚\W*$|垃圾(?!袋|桶|分类|篓|箱|处理)|坑爹|骗子|混蛋|王八蛋"),
]
_WORDS = re.compile(r"[a-z0-9']+|[\u3400-\u9fff]")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, lower-case, single spaces, no edge punctuation.

    >>> normalise("  Let me   TALK to a Person!! ")
    'let me talk to a person'
    """
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return _SPACES.sub(" ", text).strip().strip(".!?,;:~ 。！？，")


def _first_match(patterns: Sequence[re.Pattern[str]], text: str) -> str:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(0)
    return ""


def human_request(text: str) -> str:
    """The words that ask for a human, or "" (English and Chinese; negations don't count).

    >>> human_request("Real human please!")
    'real human'
    >>> human_request("is this a real leather wallet?")
    ''
    >>> human_request("我要找客服"), human_request("我不想投诉你们")
    ('找客服', '')
    """
    norm = normalise(text)
    for pattern in _EN_REQUEST:
        for match in pattern.finditer(norm):
            if not _EN_NEGATED.search(norm[: match.start()]):
                return match.group(0)
    for pattern in _ZH_REQUEST:
        for match in pattern.finditer(norm):
            if not _ZH_NEGATED.search(norm[max(0, match.start() - 4) : match.start()]):
                return match.group(0)
    return ""


def threat(text: str) -> str:
    """Legal or payment threats ("I'll sue", "chargeback", "12315"), or ""."""
    return _first_match(_THREAT, normalise(text))


def profanity(text: str) -> str:
    """Swearing or insults ("wtf", "you idiots", "傻逼"), or "" ("垃圾袋" is a bin bag)."""
    return _first_match(_PROFANITY, normalise(text))


def tokens(text: str) -> set[str]:
    """Word tokens of normalised text; each CJK character is a token.

    >>> sorted(tokens("Where is my order?"))
    ['is', 'my', 'order', 'where']
    """
    return set(_WORDS.findall(normalise(text)))


def similar(a: str, b: str, jaccard: float = 0.6, ratio: float = 0.8) -> bool:
    """Whether two turns ask (nearly) the same thing: token Jaccard or difflib ratio.

    >>> similar("where is my order?", "Where is my order??")
    True
    >>> similar("where is my order?", "do you sell hats?")
    False
    """
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return False
    if len(ta & tb) / len(ta | tb) >= jaccard:
        return True
    return difflib.SequenceMatcher(None, normalise(a), normalise(b)).ratio() >= ratio


def ewma(values: Sequence[float], alpha: float) -> float:
    """Exponentially weighted mean, the latest value weighted ``alpha``.

    >>> ewma([0.0, -1.0], 0.5)
    -0.5
    """
    out = values[0]
    for v in values[1:]:
        out = alpha * v + (1 - alpha) * out
    return out


def slope(values: Sequence[float]) -> float:
    """Least-squares slope per turn.

    >>> slope([0.0, -0.5, -1.0])
    -0.5
    """
    n = len(values)
    if n < 2:
        return 0.0
    mx = (n - 1) / 2
    my = sum(values) / n
    num = sum((i - mx) * (v - my) for i, v in enumerate(values))
    den = sum((i - mx) ** 2 for i in range(n))
    return num / den


class EscalationPolicy:
    """Decides, from the whole conversation, whether to hand the shopper to a human.

    Build it with :meth:`from_settings` (``escalate_negative_below``,
    ``escalate_after_negative_turns``, ``escalate_after_abstentions``) or directly.
    """

    def __init__(
        self,
        negative_below: float = -0.6,
        negative_turns: int = 2,
        abstentions: int = 2,
        window: int = 4,
        trend_below: float = -0.4,
        trend_slope: float = -0.1,
        ewma_alpha: float = 0.5,
        complaint_turns: int = 2,
        repeats: int = 2,
        repeat_jaccard: float = 0.6,
        repeat_ratio: float = 0.8,
        positive_above: float = 0.5,
    ):
        if negative_turns < 1 or abstentions < 1 or repeats < 1 or window < 2:
            raise ValueError("negative_turns, abstentions and repeats must be ≥ 1, window ≥ 2")
        self.negative_below = negative_below
        self.negative_turns = negative_turns
        self.abstentions = abstentions
        self.window = window
        self.trend_below = trend_below
        self.trend_slope = trend_slope
        self.ewma_alpha = ewma_alpha
        self.complaint_turns = complaint_turns
        self.repeats = repeats
        self.repeat_jaccard = repeat_jaccard
        self.repeat_ratio = repeat_ratio
        self.positive_above = positive_above

    @classmethod
    def from_settings(cls, settings: object, **overrides: float) -> EscalationPolicy:
        """Thresholds from a :class:`settings.Settings` (missing ones keep their defaults)."""
        names = {
            "negative_below": "escalate_negative_below",
            "negative_turns": "escalate_after_negative_turns",
            "abstentions": "escalate_after_abstentions",
            "window": "escalate_window",
            "trend_below": "escalate_trend_below",
            "repeats": "escalate_after_repeats",
        }
        kwargs = {k: getattr(settings, s) for k, s in names.items() if hasattr(settings, s)}
        kwargs.update(overrides)
        return cls(**kwargs)

    def decide(self, turns: Sequence[TurnSignal]) -> Decision:
        """Escalate or not, after the latest of ``turns`` (oldest first, since the last handoff)."""
        if not turns:
            return Decision(False)
        last = turns[-1]
        recent = list(turns[-self.window :])
        negative = last.polarity < 0

        said = human_request(last.text)
        if said:
            upset = last.polarity < self.negative_below or threat(last.text) or profanity(last.text)
            urgency = URGENCY_HIGH if upset else URGENCY_NORMAL
            return Decision(True, "human_request", urgency, said)
        said = threat(last.text)
        if said:
            return Decision(True, "threat", URGENCY_HIGH, said)
        said = profanity(last.text)
        if said and not (last.label == "positive" and last.polarity > self.positive_above):
            return Decision(True, "profanity", URGENCY_HIGH, said)

        very_negative = [t for t in recent if t.polarity < self.negative_below]
        if last.polarity < self.negative_below and len(very_negative) >= self.negative_turns:
            return Decision(
                True, "negative_streak", URGENCY_HIGH,
                f"{len(very_negative)} of the last {len(recent)} turns very negative",
            )
        if len(recent) >= 3 and negative:
            polarities = [t.polarity for t in recent]
            trend, level = slope(polarities), ewma(polarities, self.ewma_alpha)
            if trend <= self.trend_slope and level < self.trend_below:
                return Decision(
                    True, "negative_trend", URGENCY_NORMAL,
                    f"sentiment falling {trend:+.2f}/turn, weighted mean {level:+.2f}",
                )
        if last.intent == "complaint":
            complaints = sum(t.intent == "complaint" for t in recent)
            if last.polarity < self.negative_below or complaints >= self.complaint_turns:
                return Decision(True, "complaint", URGENCY_NORMAL, f"{complaints} complaint turn(s)")

        streak = 0
        for t in reversed(turns):
            if not t.abstained:
                break
            streak += 1
        if streak >= self.abstentions:
            return Decision(True, "abstentions", URGENCY_NORMAL, f"{streak} unanswered turns in a row")

        repeats = 0
        for prev, cur in zip(reversed(turns[:-1]), reversed(turns)):
            if not similar(prev.text, cur.text, self.repeat_jaccard, self.repeat_ratio):
                break
            repeats += 1
        if repeats >= self.repeats or (repeats >= 1 and negative):
            return Decision(True, "repeated_question", URGENCY_NORMAL, f"asked {repeats + 1} times")
        return Decision(False)
