"""The session store contract (:class:`desk.sessions.ConversationStore`), on every engine.

Each test runs on a real SQLite file and on a real PostgreSQL server (the ``postgresql``
cases are marked slow and skip with a message when PostgreSQL is not installed): turns,
feedback, events, search, persistence across instances, lock retries, rollback.
"""

import pytest
from sqlalchemy.exc import OperationalError

from desk.sessions import ConversationStore, SessionStore
from desk.tables import Turn
from tests.fixtures.postgres import db_url, postgres, postgres_db  # noqa: F401 - fixtures


@pytest.fixture
def store(db_url):  # noqa: F811 - the imported fixture
    return SessionStore(db_url)


def test_the_store_implements_the_protocol(store):
    assert isinstance(store, ConversationStore)
    assert store.healthy()


def test_session_turns_persist_across_instances(store, db_url):  # noqa: F811
    sid = store.ensure_session(None, user_id="u1")
    store.add_exchange(sid, "where is my order?", {"intent": "track_order"}, "Open Account > Orders.", {"abstained": False})
    again = SessionStore(db_url)
    turns = again.turns(sid)
    assert [(t.role, t.text) for t in turns] == [("user", "where is my order?"), ("assistant", "Open Account > Orders.")]
    assert turns[0].data == {"intent": "track_order"}
    assert again.get_session(sid).user_id == "u1" and again.get_session(sid).handoff_state == "bot"


def test_text_and_data_round_trip(store):
    sid = store.ensure_session(None)
    data = {"sentiment": {"label": "negative", "polarity": -0.75}, "sources": ["faq/返品.md#1"], "ok": True}
    tid = store.add_turn(sid, "user", "我要退货 — où est ma commande? 👎", data)
    (turn,) = store.turns(sid)
    assert turn.id == tid and turn.text == "我要退货 — où est ma commande? 👎" and turn.data == data
    assert turn.created_at.tzinfo is None  # naive UTC on every engine


def test_given_session_id_is_created_then_reused(store):
    assert store.ensure_session("abc") == "abc"
    assert store.ensure_session("abc", user_id="u2") == "abc"
    assert store.get_session("abc").user_id == "u2"
    assert store.ensure_session("abc", user_id="u3") == "abc" and store.get_session("abc").user_id == "u2"
    assert store.get_session("nope") is None


def test_set_state(store):
    sid = store.ensure_session(None)
    store.set_state(sid, "waiting_for_human")
    assert store.get_session(sid).handoff_state == "waiting_for_human"
    with pytest.raises(KeyError):
        store.set_state("nope", "human")


def test_turn_limit_returns_latest_in_order(store):
    sid = store.ensure_session(None)
    for i in range(5):
        store.add_turn(sid, "user", f"m{i}")
    assert [t.text for t in store.turns(sid, limit=2)] == ["m3", "m4"]
    assert [t.text for t in store.turns(sid)] == [f"m{i}" for i in range(5)]


def test_add_exchange_returns_the_reply_turn(store):
    sid = store.ensure_session(None)
    tid = store.add_exchange(sid, "hi", {}, "hello", {"mode": "smalltalk"})
    assert [(t.id == tid, t.role) for t in store.turns(sid)] == [(False, "user"), (True, "assistant")]


def test_feedback_validation(store):
    sid = store.ensure_session(None)
    tid = store.add_turn(sid, "assistant", "hello")
    assert store.add_feedback(sid, tid, -1, "wrong") > 0
    with pytest.raises(ValueError):
        store.add_feedback(sid, tid, 5)
    with pytest.raises(KeyError):
        store.add_feedback("nope", tid, 1)
    other = store.ensure_session(None)
    with pytest.raises(KeyError):
        store.add_feedback(other, tid, 1)  # turn of another session
    store.add_feedback(other, None, 1, by="ann")
    assert [f.rating for f in store.feedback(sid)] == [-1]
    assert [(f.rating, f.by) for f in store.feedback()] == [(-1, "shopper"), (1, "ann")]


def test_events_in_order_and_validated(store):
    store.add_event("u1", "P-1", "view")
    store.add_event("u1", "P-2", "purchase")
    store.add_event("u2", "P-3", "cart")
    assert store.events("u1") == [("P-1", "view"), ("P-2", "purchase")]
    assert store.events("u1", limit=1) == [("P-2", "purchase")]
    assert store.events("nobody") == []
    with pytest.raises(ValueError):
        store.add_event("u1", "P-1", "like")


def test_list_sessions_with_search(store):
    a = store.ensure_session(None, "u1")
    store.add_exchange(a, "refund please", {}, "ok", {})
    b = store.ensure_session(None, "u2")
    store.add_exchange(b, "track my parcel", {}, "ok", {})
    assert [s["session_id"] for s in store.list_sessions()] == [b, a]  # most recently updated first
    (found,) = store.list_sessions(search="REFUND")  # case-insensitive on every engine
    assert found["session_id"] == a and found["first_message"] == "refund please" and found["turns"] == 2
    assert found["handoff_state"] == "bot" and found["user_id"] == "u1"
    assert len(store.list_sessions(limit=1)) == 1


def test_locked_database_is_retried(store, monkeypatch):
    calls = {"n": 0}
    real = store._sessions.begin

    def flaky():
        calls["n"] += 1
        if calls["n"] < 3:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real()

    monkeypatch.setattr(store._sessions, "begin", flaky)
    assert store.ensure_session("x") == "x" and calls["n"] == 3


def test_failed_transaction_stores_nothing(store):
    sid = store.ensure_session(None)

    def boom(db):
        db.add(Turn(session_id=sid, role="user", text="half"))
        db.flush()
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        store.run(boom)
    assert store.turns(sid) == []

