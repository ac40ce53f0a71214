"""Reasons a person would write (what matched, or the history behind it) and the handoff profile."""

from __future__ import annotations

import pytest

from recommender import reasons
from recommender.service import Event, RecommenderService
from tests.test_sponsored import write_store

GAME = {"title": "Apex Rush (Switch)", "category": "Video Games", "subcategory": "racing", "brand": "Redline Studios",
        "attributes": "platform: Switch; genre: racing; age rating: E10+; players: 1-4"}


@pytest.mark.parametrize(
    "taste, age, expected",
    [
        ("racing games for a 10 year old on Switch", 10, "racing, rated E10+, for Switch"),
        ("a Switch game", None, "for Switch"),
        ("something by Redline Studios", None, "by Redline Studios"),
        ("a puzzle game", None, None),
    ],
)
def test_taste_reason_names_what_matched(taste, age, expected):
    assert reasons.taste_reason(GAME, taste, age=age) == expected


def test_taste_reason_in_chinese_and_with_a_price_cap():
    assert reasons.taste_reason(GAME, "适合十岁孩子的赛车游戏", age=10, lang="zh") == "赛车类，适合 10 岁及以上（ESRB E10+）"
    assert reasons.taste_reason(GAME, "racing under 40", max_price=40, price_text="$40") == "racing, under $40"
    assert reasons.taste_reason(GAME, "40元以下的赛车游戏", max_price=40, price_text="$40", lang="zh") == "赛车类，低于 $40"
    assert reasons.describe(GAME, "zh") == "赛车类，Switch 版" and reasons.describe({"title": "x"}) == "close to what you described"


def test_min_age_reads_esrb_pegi_and_plain_ages():
    assert reasons.min_age({"attributes": "age rating: T"}) == 13
    assert reasons.min_age({"attributes": "age rating: E"}) == 0
    assert reasons.min_age({"attributes": "age: 8+"}) == 8
    assert reasons.min_age({"attributes": "age: 4-12"}) == 4
    assert reasons.min_age({"attributes": "pegi: PEGI 16"}) == 16
    assert reasons.min_age({"attributes": "color: red"}) is None


def test_history_reasons_in_both_languages():
    assert reasons.because("purchase", "Aurora") == "because you bought Aurora"
    assert reasons.because("cart", "Aurora") == "because you added Aurora to your cart"
    assert reasons.because("view", "Aurora", "zh") == "因为您浏览过Aurora"
    assert reasons.text("popular", "zh") == "近期热销"


@pytest.fixture
def svc(tmp_path, settings):
    products = write_store(tmp_path, campaigns=None)
    s = settings.model_copy(update={"products_path": products, "interactions_path": tmp_path / "interactions.csv",
                                    "recommender_model": "itemknn"})
    return RecommenderService(s)


def test_service_reasons_say_what_matched_and_never_echo_the_query(svc):
    recs = svc.recommend(None, k=3, query="Could you recommend racing games for a 10-year-old?")
    assert recs and all(svc.item(r.item_id)["subcategory"] == "racing" for r in recs)
    assert "g3" not in [r.item_id for r in recs] and "g5" not in [r.item_id for r in recs]  # rated T / M
    for r in recs:
        assert r.kind == "taste" and r.reason.startswith("racing, rated ") and "10-year-old" not in r.reason
    bought = svc.recommend("new", k=2, events=[Event("h1", "purchase")])
    assert any(r.reason == "because you bought Aurora Headphones" and r.kind == "purchase" for r in bought)
    assert svc.recommend("new", k=1, events=[Event("h1", "cart")])[0].kind == "cart"


def test_history_lists_the_log_events_with_titles(svc):
    hist = svc.history("u0")
    assert [e["item_id"] for e in hist] == ["g1", "g2", "c1", "g3", "g5"]
    assert hist[0] == {"item_id": "g1", "title": "Turbo Racer 2", "type": "purchase", "at": None}
    assert svc.history("u0", limit=2)[-1]["item_id"] == "g5" and len(svc.history("u0", limit=2)) == 2
    assert svc.history("nobody") == [] and svc.history(None) == []


def test_handoff_packet_shows_the_customers_history(svc, settings):
    from bot import handoff_packet
    from desk.sessions import SessionStore

    class Parts:
        recommender = svc
        sessions = SessionStore("sqlite://")

    Parts.sessions.add_event("u0", "h2", "view")
    events = handoff_packet.customer_events(Parts, "u0")
    assert [e["item_id"] for e in events] == ["g1", "g2", "c1", "g3", "g5", "h2"]
    assert events[-1] == {"item_id": "h2", "title": "Nimbus Earbuds", "type": "view"}
    summary = handoff_packet.history_summary(events)
    assert summary.startswith("bought Night Shooter, Rally Legends") and summary.endswith("; viewed Nimbus Earbuds")
    assert handoff_packet.customer_events(Parts, None) == []
    assert handoff_packet.history_summary([]) == "no purchases or views on record"

    class Turn:
        history, text, user_id, recommendations = [], "I want a person", "u0", []

        class answer:
            sources = []

    packet = handoff_packet.packet(Turn, [], "the customer asked for a person", events)
    assert packet["customer"]["events"][0]["title"] == "Turbo Racer 2" and packet["customer"]["history"] == summary
    legacy = handoff_packet.packet(Turn, [], "x", [("g1", "purchase")])
    assert legacy["customer"]["events"] == [{"item_id": "g1", "type": "purchase"}]
