"""Deterministic routing, follow-up resolution and intent from sources."""

import pytest

from knowledge.store import Source
from bot.router import intent_from_sources, resolve_followup, route


@pytest.mark.parametrize(
    "message, label",
    [
        ("hi", "greeting"), ("Hello!", "greeting"), ("你好", "greeting"),
        ("thanks!", "thanks"), ("thank you so much", "thanks"), ("谢谢", "thanks"),
        ("let me talk to a real person", "contact_human_agent"), ("I want to speak with an agent", "contact_human_agent"),
        ("转人工", "contact_human_agent"),
        ("can you recommend a racing game?", "recommend"), ("any gift ideas for my dad?", "recommend"),
        ("给我推荐一款耳机", "recommend"), ("推薦一款跑鞋", "recommend"), ("PS5 手柄推荐哪个", "recommend"),
        ("有没有适合送礼的耳机推荐", "recommend"), ("帮我挑一个帐篷", "recommend"), ("幫我選一款耳機", "recommend"),
        ("哪款耳机比较好", "recommend"), ("买哪个手柄好", "recommend"),
        ("选哪种配送方式", None), ("哪种付款方式比较好", None), ("哪个颜色好看", None), ("我的订单在哪", None),
        ("where is my order?", None), ("hi, where is my order?", None), ("is this a real leather wallet?", None),
    ],
)
def test_route(message, label):
    assert route(message) == label


@pytest.mark.parametrize(
    "message, expected",
    [
        ("and how long does that take?", "Do you ship express? and how long does that take?"),
        ("what about Canada?", "Do you ship express? what about Canada?"),
        ("how much is it", "Do you ship express? how much is it"),
        ("How do I reset my password for the website?", "How do I reset my password for the website?"),
        ("Do you sell tents?", "Do you sell tents?"),
    ],
)
def test_resolve_followup(message, expected):
    assert resolve_followup(message, ["Do you ship express?"]) == expected


def test_resolve_followup_without_history():
    assert resolve_followup("and that?", []) == "and that?"


def src(kind, score, intent=""):
    return Source(id="x", title="t", text="t", score=score, kind=kind, intent=intent)


def test_intent_from_sources():
    assert intent_from_sources([src("faq", 0.8, "track_order")]) == "track_order"
    assert intent_from_sources([src("faq", 0.3, "track_order")]) == "track_order"  # falls through to intent
    assert intent_from_sources([src("product", 0.8)]) == "product_question"
    assert intent_from_sources([src("policy", 0.8)]) == "policy_question"
    assert intent_from_sources([]) == "unknown"
