"""Escalation policy: scripted conversations, phrasings that must and must not hand off."""

from __future__ import annotations

import pytest

from desk.escalation import (
    Decision,
    EscalationPolicy,
    TurnSignal,
    ewma,
    human_request,
    profanity,
    similar,
    slope,
    threat,
)


def turn(text: str, polarity: float = 0.0, intent: str | None = None, abstained: bool = False):
    label = "negative" if polarity < -0.2 else "positive" if polarity > 0.2 else "neutral"
    return TurnSignal(text, polarity, label, intent, abstained)


@pytest.fixture
def policy() -> EscalationPolicy:
    return EscalationPolicy()


def first_escalation(policy: EscalationPolicy, turns: list[TurnSignal]) -> tuple[int, Decision]:
    """(1-based turn at which the policy first escalates, its decision); (0, no) if never."""
    for i in range(1, len(turns) + 1):
        decision = policy.decide(turns[:i])
        if decision.escalate:
            return i, decision
    return 0, Decision(False)


CALM = [
    turn("Hi, do you sell waterproof hiking boots?", 0.1),
    turn("What sizes do they come in?", 0.0),
    turn("How long does shipping to Berlin take?", 0.0),
    turn("Can I pay with PayPal?", 0.05),
    turn("What is your return policy?", -0.1),
    turn("Do the boots come in brown?", 0.0),
    turn("Is there a discount for newsletter subscribers?", 0.2),
    turn("How do I track my order?", 0.0),
    turn("Great, and do you ship to Austria too?", 0.4),
    turn("Thanks, that's all!", 0.8),
]


def test_calm_shopper_never_escalates(policy):
    assert first_escalation(policy, CALM) == (0, Decision(False))


def test_empty_conversation(policy):
    assert policy.decide([]) == Decision(False)


def test_growing_anger_escalates_by_fourth_turn_not_first(policy):
    angry = [
        turn("My parcel hasn't arrived yet, where is it?", -0.1),
        turn("It was supposed to be here three days ago.", -0.35),
        turn("This is really frustrating, nobody tells me anything.", -0.55),
        turn("Unbelievable. Worst delivery experience I've had.", -0.8),
    ]
    at, decision = first_escalation(policy, angry)
    assert 2 <= at <= 4
    assert decision.reason in {"negative_trend", "negative_streak"}


def test_two_very_negative_turns_escalate_high(policy):
    at, decision = first_escalation(
        policy, [turn("The blender broke after one day.", -0.75), turn("Awful product.", -0.9)]
    )
    assert (at, decision.reason, decision.urgency) == (2, "negative_streak", "high")


def test_one_very_negative_turn_alone_does_not_escalate(policy):
    assert not policy.decide([turn("ugh, the colour is awful", -0.8)]).escalate


def test_mild_complaint_with_positive_follow_up_does_not_escalate(policy):
    turns = [
        turn("The box was a bit dented when it arrived.", -0.4, intent="complaint"),
        turn("The product itself works fine though, thanks!", 0.7),
        turn("Do you have the matching lid?", 0.0),
    ]
    assert first_escalation(policy, turns) == (0, Decision(False))


def test_repeated_complaints_escalate(policy):
    turns = [
        turn("The zip on my jacket broke.", -0.4, intent="complaint"),
        turn("And the lining is torn too.", -0.45, intent="complaint"),
    ]
    assert first_escalation(policy, turns)[1].reason == "complaint"


def test_very_negative_complaint_escalates_at_once(policy):
    decision = policy.decide([turn("You sent me a broken TV!", -0.85, intent="complaint")])
    assert decision.escalate and decision.reason == "complaint"


def test_two_abstentions_in_a_row_escalate(policy):
    turns = [
        turn("Does the kettle descale automatically?", 0.0, abstained=True),
        turn("What voltage does the kettle use in Japan?", 0.0, abstained=True),
    ]
    assert first_escalation(policy, turns)[0] == 2
    assert policy.decide(turns).reason == "abstentions"


def test_abstentions_not_in_a_row_do_not_escalate(policy):
    turns = [
        turn("Does the kettle descale automatically?", 0.0, abstained=True),
        turn("How much is shipping?", 0.0),
        turn("What voltage does it use in Japan?", 0.0, abstained=True),
    ]
    assert first_escalation(policy, turns) == (0, Decision(False))


def test_abstention_threshold_comes_from_settings():
    class S:
        escalate_negative_below = -0.6
        escalate_after_negative_turns = 2
        escalate_after_abstentions = 3

    policy = EscalationPolicy.from_settings(S())
    turns = [turn(f"question number {w}", abstained=True) for w in ("one", "two", "three")]
    assert first_escalation(policy, turns)[0] == 3


def test_settings_object_is_accepted():
    from settings import Settings

    policy = EscalationPolicy.from_settings(Settings(escalate_after_negative_turns=3))
    assert policy.negative_turns == 3 and policy.negative_below == -0.6


def test_same_question_three_times_escalates(policy):
    turns = [
        turn("Where is my order #1234?"),
        turn("where is my order 1234"),
        turn("Where is my order #1234??"),
    ]
    at, decision = first_escalation(policy, turns)
    assert (at, decision.reason) == (3, "repeated_question")


def test_repeated_question_while_negative_escalates(policy):
    turns = [turn("How do I get a refund?", -0.1), turn("How do I get a refund??", -0.3)]
    assert first_escalation(policy, turns)[1].reason == "repeated_question"


def test_different_questions_are_not_repeats(policy):
    turns = [turn("Where is my order?"), turn("Where is your shop?"), turn("Where is the manual?")]
    assert not policy.decide(turns).escalate


HUMAN_REQUESTS = [
    "let me talk to a person",
    "Let me speak to a human",
    "real human please",
    "agent!",
    "AGENT",
    "Representative.",
    "human please",
    "operator",
    "Can I talk to someone?",
    "I want to speak with a real person",
    "connect me to an agent",
    "transfer me to customer service",
    "put me through to a manager",
    "I need a live agent",
    "get me a human",
    "I want your supervisor",
    "Is there a human I can talk to?",
    "are there any real people there?",
    "I don't want to talk to a bot",
    "stop the bot, I need a person",
    "can someone call me back?",
    "please escalate this",
    "I demand to speak to the manager",
    "talk to human",
    "speak with customer support team",
    "转人工",
    "人工客服",
    "我要投诉",
    "人工！",
    "帮我转接人工服务",
    "找你们经理来",
    "我不想跟机器人说话",
    "有没有真人客服",
    "投诉你们",
]


@pytest.mark.parametrize("text", HUMAN_REQUESTS)
def test_human_requests_escalate_at_once(policy, text):
    assert human_request(text), text
    decision = policy.decide([turn("hi", 0.3), turn(text, 0.0)])
    assert (decision.escalate, decision.reason) == (True, "human_request")


NEAR_MISSES = [
    "is this a real leather wallet?",
    "the person I bought it for loved it",
    "human hair wig",
    "Do you sell real human hair extensions?",
    "Is the travel agent discount still valid?",
    "What's the best gift for a person who likes cooking?",
    "Does this cream suit sensitive human skin?",
    "Can someone else pick up my parcel?",
    "Is it a live plant or fake?",
    "no need to talk to a person, thanks",
    "I don't need an agent, just the tracking link",
    "My manager asked me to order ten chairs",
    "Which operator networks does this phone support?",
    "人工智能音箱有货吗",
    "这是人工合成的钻石吗",
    "模特是真人照片吗",
    "垃圾袋多少钱",
    "滚筒洗衣机有几种颜色",
    "Is this crappie fishing rod any good?",
    "Does the shiitake kit ship fast?",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_do_not_escalate(policy, text):
    assert policy.decide([turn(text, 0.0)]) == Decision(False), (
        human_request(text), threat(text), profanity(text),
    )


@pytest.mark.parametrize(
    "text",
    [
        "I'll sue you",
        "My lawyer will hear about this",
        "I'm filing a chargeback with my bank",
        "I will report you to the Better Business Bureau",
        "I'm taking legal action",
        "我要去消协",
        "再不退款我就打12315",
        "我要起诉你们",
    ],
)
def test_threats_escalate_with_high_urgency(policy, text):
    decision = policy.decide([turn(text, -0.3)])
    assert (decision.escalate, decision.reason, decision.urgency) == (True, "threat", "high")


@pytest.mark.parametrize(
    "text",
    ["this is fucking ridiculous", "wtf is wrong with you", "you idiots", "useless bot",
     "what a load of bullshit", "傻逼客服", "垃圾", "滚"],
)
def test_profanity_escalates(policy, text):
    decision = policy.decide([turn(text, -0.2)])
    assert (decision.escalate, decision.reason) == (True, "profanity")


def test_positive_swearing_does_not_escalate(policy):
    assert not policy.decide([turn("this jacket is fucking awesome", 0.9)]).escalate


def test_decide_is_deterministic(policy):
    turns = [turn("this is getting annoying", -0.5), turn("still nothing??", -0.7)]
    assert {policy.decide(turns) for _ in range(5)} == {policy.decide(turns)}


def test_helpers_hand_checked():
    assert slope([1.0, 1.0, 1.0]) == 0.0
    assert slope([0.0, 1.0]) == 1.0
    assert ewma([1.0], 0.3) == 1.0
    assert ewma([0.0, 0.0, 1.0], 0.5) == 0.5
    assert similar("转人工", "转人工!")
    assert not similar("", "anything")


def test_invalid_thresholds_are_refused():
    with pytest.raises(ValueError):
        EscalationPolicy(abstentions=0)


def test_angry_human_request_is_high_urgency(policy):
    calm = policy.decide([turn("can I talk to a person?", 0.0)])
    angry = policy.decide([turn("get me a human now or I'll sue", -0.2)])
    assert (calm.urgency, angry.urgency) == ("normal", "high")
    assert angry.reason == "human_request"
