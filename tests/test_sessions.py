"""Sessions store on a real SQLite file: turns, feedback, events, persistence, lock retries."""

import pytest
from sqlalchemy.exc import OperationalError

from desk.sessions import SessionStore


@pytest.fixture
def store(tmp_path):
    return SessionStore(f"sqlite:///{tmp_path / 'kefu.db'}")


def test_session_turns_persist_across_instances(store, tmp_path):
    sid = store.ensure_session(None, user_id="u1")
    store.add_exchange(sid, "where is my order?", {"intent": "track_order"}, "Open Account > Orders.", {"abstained": False})
    again = SessionStore(f"sqlite:///{tmp_path / 'kefu.db'}")
    turns = again.turns(sid)
    assert [(t.role, t.text) for t in turns] == [("user", "where is my order?"), ("assistant", "Open Account > Orders.")]
    assert turns[0].data == {"intent": "track_order"}
    assert again.get_session(sid).user_id == "u1" and again.get_session(sid).handoff_state == "bot"


def test_given_session_id_is_created_then_reused(store):
    assert store.ensure_session("abc") == "abc"
    assert store.ensure_session("abc", user_id="u2") == "abc"
    assert store.get_session("abc").user_id == "u2"


def test_turn_limit_returns_latest_in_order(store):
    sid = store.ensure_session(None)
    for i in range(5):
        store.add_turn(sid, "user", f"m{i}")
    assert [t.text for t in store.turns(sid, limit=2)] == ["m3", "m4"]


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
    assert [f.rating for f in store.feedback(sid)] == [-1]


def test_events_in_order_and_validated(store):
    store.add_event("u1", "P-1", "view")
    store.add_event("u1", "P-2", "purchase")
    store.add_event("u2", "P-3", "cart")
    assert store.events("u1") == [("P-1", "view"), ("P-2", "purchase")]
    with pytest.raises(ValueError):
        store.add_event("u1", "P-1", "like")


def test_list_sessions_with_search(store):
    a = store.ensure_session(None, "u1")
    store.add_exchange(a, "refund please", {}, "ok", {})
    b = store.ensure_session(None, "u2")
    store.add_exchange(b, "track my parcel", {}, "ok", {})
    assert {s["session_id"] for s in store.list_sessions()} == {a, b}
    (found,) = store.list_sessions(search="refund")
    assert found["session_id"] == a and found["first_message"] == "refund please" and found["turns"] == 2


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
        from desk.sessions import Turn

        db.add(Turn(session_id=sid, role="user", text="half"))
        raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        store.run(boom)
    assert store.turns(sid) == []
