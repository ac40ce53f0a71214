"""The handoff state machine: every transition, invalid ones refused, state survives a restart.

On a SQLite file and on PostgreSQL (slow; skipped without PostgreSQL), like the session store.
"""

import pytest

from desk.handoff import HandoffDesk, InvalidTransition
from desk.sessions import SessionStore
from tests.fixtures.postgres import db_url, postgres, postgres_db  # noqa: F401 - fixtures


@pytest.fixture
def desk(db_url):  # noqa: F811 - the imported fixture
    return HandoffDesk(SessionStore(db_url))


def new_session(desk):
    return desk.sessions.ensure_session(None, user_id="u1")


def state(desk, sid):
    return desk.sessions.get_session(sid).handoff_state


def test_full_cycle(desk):
    sid = new_session(desk)
    case = desk.escalate(sid, "asked for a human", {"summary": "wants a person"})
    assert case.state == "waiting_for_human" and case.position == 1 and state(desk, sid) == "waiting_for_human"
    assert desk.take(case.id, "ann").state == "human" and state(desk, sid) == "human"
    turn_id = desk.reply(case.id, "ann", "Hi, I'm Ann. Let me look.")
    assert desk.sessions.turns(sid)[-1].role == "staff" and turn_id
    assert desk.resolve(case.id, "ann").state == "resolved" and state(desk, sid) == "resolved"
    desk.reopen(sid)
    assert state(desk, sid) == "bot"
    again = desk.escalate(sid, "again", {})
    assert again.id != case.id and again.state == "waiting_for_human"


def test_resolve_while_waiting(desk):
    sid = new_session(desk)
    case = desk.escalate(sid, "x", {})
    assert desk.resolve(case.id, "bob").state == "resolved"


@pytest.mark.parametrize("action", ["take", "reply", "resolve"])
def test_invalid_transitions_are_refused_and_change_nothing(desk, action):
    sid = new_session(desk)
    case = desk.escalate(sid, "x", {})
    desk.take(case.id, "ann")
    desk.resolve(case.id, "ann")
    with pytest.raises(InvalidTransition):
        if action == "reply":
            desk.reply(case.id, "ann", "hello")
        else:
            getattr(desk, action)(case.id, "ann")
    assert state(desk, sid) == "resolved"


def test_cannot_escalate_twice_or_reopen_a_bot_session(desk):
    sid = new_session(desk)
    with pytest.raises(InvalidTransition):
        desk.reopen(sid)
    desk.escalate(sid, "x", {})
    with pytest.raises(InvalidTransition, match="already waiting for human"):
        desk.escalate(sid, "y", {})
    assert len(desk.queue()) == 1


def test_reply_needs_text_and_a_taken_case(desk):
    sid = new_session(desk)
    case = desk.escalate(sid, "x", {})
    with pytest.raises(InvalidTransition, match="take it first"):
        desk.reply(case.id, "ann", "hi")
    with pytest.raises(ValueError):
        desk.reply(case.id, "ann", "  ")
    with pytest.raises(KeyError):
        desk.take(999, "ann")


def test_queue_positions(desk):
    cases = [desk.escalate(new_session(desk), f"r{i}", {}) for i in range(3)]
    assert [c.position for c in desk.queue()] == [1, 2, 3]
    desk.take(cases[0].id, "ann")
    assert [(c.state, c.position) for c in desk.queue()] == [("human", None), ("waiting_for_human", 1), ("waiting_for_human", 2)]
    assert desk.case_for_session(cases[2].session_id).position == 2


def test_state_survives_restart(db_url):  # noqa: F811
    desk = HandoffDesk(SessionStore(db_url))
    sid = new_session(desk)
    case = desk.escalate(sid, "x", {"summary": "s"})
    desk.take(case.id, "ann")
    reborn = HandoffDesk(SessionStore(db_url))
    assert reborn.sessions.get_session(sid).handoff_state == "human"
    view = reborn.get(case.id)
    assert view.staff == "ann" and view.packet["summary"] == "s"
    assert [t["role"] for t in view.packet["transcript"]] == ["system"]
