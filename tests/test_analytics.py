"""Analytics: the pure frame computation on hand-made rows, and loading from a real store
(a SQLite file, and PostgreSQL in the slow run)."""

from __future__ import annotations

from datetime import datetime, timedelta

from desk import analytics
from desk.analytics import Row, Rows, compute
from desk.handoff import HandoffDesk
from desk.sessions import SessionStore
from tests.fixtures.postgres import db_url, postgres, postgres_db  # noqa: F401 - fixtures

T0 = datetime(2025, 3, 1, 9, 15)


def user(at, intent, label="neutral", polarity=0.0):
    return Row("user", at, {"intent": intent, "sentiment": {"label": label, "score": 0.9, "polarity": polarity}})


def answer(at, abstained=False, recs=0, mode="faq"):
    return Row("assistant", at, {"abstained": abstained, "mode": mode, "recommendations": [{"item_id": str(i)} for i in range(recs)]})


def test_hourly_frames_hand_computed():
    h1 = T0 + timedelta(hours=1)
    rows = Rows(
        turns=[
            user(T0, "refund", "negative", -0.8), answer(T0, abstained=True),
            user(T0, "refund", "neutral", 0.0), answer(T0, recs=2),
            user(h1, "recommend", "positive", 0.6), answer(h1, recs=3),
            user(h1, "greeting"), answer(h1, mode="smalltalk"),
        ],
        sessions=[T0, T0, h1],
        handoffs=[T0],
        clicks=[h1],
    )
    f = compute(rows)
    p0, p1 = datetime(2025, 3, 1, 9), datetime(2025, 3, 1, 10)
    assert f["summary"]["bucket"] == "hour"
    assert {(r["period"], r["intent"]): r["questions"] for r in f["intents"].to_dict("records")} == {
        (p0, "refund"): 2, (p1, "greeting"): 1, (p1, "recommend"): 1,
    }
    assert dict(zip(f["sentiment"]["label"], f["sentiment"]["turns"])) == {"negative": 1, "neutral": 2, "positive": 1}
    assert f["sentiment_timeline"]["polarity"].tolist() == [-0.4, 0.3]
    rates = {(r["metric"], r["period"]): r["rate"] for r in f["rates"].to_dict("records")}
    # smalltalk is not an answer: hour 10 has one real answer, not abstained
    assert rates == {("abstention", p0): 0.5, ("abstention", p1): 0.0, ("handoff", p0): 0.5, ("handoff", p1): 0.0}
    recs = {(r["period"], r["kind"]): r["count"] for r in f["recommendations"].to_dict("records")}
    assert recs == {(p0, "shown"): 2, (p1, "shown"): 3, (p1, "clicked"): 1}
    s = f["summary"]
    assert (s["questions"], s["conversations"], s["abstention_rate"], s["handoff_rate"]) == (4, 3, 0.333, 0.333)
    assert (s["recommendations_shown"], s["recommendations_clicked"], s["click_through_rate"]) == (5, 1, 0.2)


def test_daily_buckets_for_longer_spans():
    rows = Rows(turns=[user(T0, "a"), user(T0 + timedelta(days=3), "a")], sessions=[T0])
    f = compute(rows)
    assert f["summary"]["bucket"] == "day"
    assert [str(p.date()) for p in f["intents"]["period"]] == ["2025-03-01", "2025-03-04"]


def test_empty_store_gives_empty_frames():
    f = compute(Rows())
    assert all(len(f[k]) == 0 for k in ("intents", "sentiment", "sentiment_timeline", "rates", "recommendations"))
    assert f["summary"]["questions"] == 0 and f["summary"]["click_through_rate"] == 0.0


def test_load_reads_turns_handoffs_and_clicks_and_skips_excluded_sessions(db_url):  # noqa: F811
    store = SessionStore(db_url)
    sid = store.ensure_session(None, "u1")
    store.add_exchange(sid, "refund?", {"intent": "refund", "sentiment": {"label": "negative", "polarity": -0.7}},
                       "sorry", {"abstained": False, "recommendations": [{"item_id": "P-1"}]})
    HandoffDesk(store).escalate(sid, "angry", {})
    store.add_turn(sid, "staff", "hello")  # staff turns are not questions
    trial = store.ensure_session("staff-try-1", None)
    store.add_exchange(trial, "test", {"intent": "x"}, "y", {})
    analytics.record_click(store, "P-1", sid, "u1")
    rows = analytics.load(store, days=1, exclude_prefix="staff-try-")
    assert [r.role for r in rows.turns] == ["user", "assistant"]
    assert len(rows.sessions) == 1 and len(rows.handoffs) == 1 and len(rows.clicks) == 1
    assert len(analytics.load(store, days=1).sessions) == 2
    f = compute(rows)
    assert f["summary"]["handoff_rate"] == 1.0 and f["summary"]["recommendations_clicked"] == 1
