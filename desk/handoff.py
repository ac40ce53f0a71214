"""Human handoff: a persisted state machine per conversation and the staff queue.

States of a session (``sessions.handoff_state``)::

    bot ──escalate──► waiting_for_human ──take──► human ──resolve──► resolved
     ▲                        │                                   │
     │                        └──────────────resolve──────────────┤
     └──────────────── the shopper's next message ◄───────────────┘

While ``waiting_for_human`` or ``human`` the bot does not answer: shopper messages go
to the case and the shopper is told a person is coming (with their place in the queue).
After ``resolved`` the next message returns the session to ``bot`` and escalation starts
afresh (only turns after the resolution count). Every transition is one database
transaction, so the state survives a restart; an invalid transition raises
:class:`InvalidTransition` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.sessions import ConversationStore
from desk.tables import ChatSession, HandoffCase, Turn, utcnow

STATES = ("bot", "waiting_for_human", "human", "resolved")
TRANSITIONS = {
    ("bot", "escalate"): "waiting_for_human",
    ("resolved", "escalate"): "waiting_for_human",
    ("waiting_for_human", "take"): "human",
    ("waiting_for_human", "resolve"): "resolved",
    ("human", "resolve"): "resolved",
    ("resolved", "reopen"): "bot",
}


class InvalidTransition(ValueError):
    """The requested action is not allowed in the case's current state."""


@dataclass
class CaseView:
    id: int
    session_id: str
    state: str
    reason: str
    urgency: str
    staff: str | None
    created_at: str
    position: int | None
    packet: dict

    def to_api(self) -> dict:
        return self.__dict__.copy()


def _view(case: HandoffCase, position: int | None) -> CaseView:
    return CaseView(
        id=case.id,
        session_id=case.session_id,
        state=case.state,
        reason=case.reason,
        urgency=case.urgency,
        staff=case.staff,
        created_at=case.created_at.isoformat(timespec="seconds"),
        position=position,
        packet=case.packet or {},
    )


class HandoffDesk:
    """Opens, takes, answers and resolves handoff cases; the staff queue."""

    def __init__(self, sessions: ConversationStore):
        # The store brought the schema, the handoffs table included, to head when it was built.
        self.sessions = sessions

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _move(db: Session, case: HandoffCase, action: str) -> str:
        new = TRANSITIONS.get((case.state, action))
        if new is None:
            raise InvalidTransition(f"cannot {action} a case that is {case.state.replace('_', ' ')}")
        case.state = new
        session = db.get(ChatSession, case.session_id)
        session.handoff_state = new
        session.updated_at = utcnow()
        return new

    @staticmethod
    def _case(db: Session, case_id: int) -> HandoffCase:
        case = db.get(HandoffCase, case_id)
        if case is None:
            raise KeyError(case_id)
        return case

    @staticmethod
    def _open_case(db: Session, session_id: str) -> HandoffCase | None:
        q = (
            select(HandoffCase)
            .where(HandoffCase.session_id == session_id, HandoffCase.state.in_(("waiting_for_human", "human")))
            .order_by(HandoffCase.id.desc())
        )
        return db.scalars(q).first()

    @staticmethod
    def _position(db: Session, case: HandoffCase) -> int | None:
        if case.state != "waiting_for_human":
            return None
        waiting = db.scalars(
            select(HandoffCase.id).where(HandoffCase.state == "waiting_for_human").order_by(HandoffCase.id)
        ).all()
        return waiting.index(case.id) + 1

    # -- shopper side --------------------------------------------------------------------------
    def escalate(self, session_id: str, reason: str, packet: dict, urgency: str = "normal") -> CaseView:
        """Open a case for the session (``bot``/``resolved`` → ``waiting_for_human``)."""

        def op(db: Session) -> CaseView:
            session = db.get(ChatSession, session_id)
            if session is None:
                raise KeyError(session_id)
            if (session.handoff_state, "escalate") not in TRANSITIONS:
                raise InvalidTransition(f"session is already {session.handoff_state.replace('_', ' ')}")
            case = HandoffCase(session_id=session_id, state=session.handoff_state, reason=reason, urgency=urgency, packet=packet)
            db.add(case)
            self._move(db, case, "escalate")
            db.flush()
            return _view(case, self._position(db, case))

        return self.sessions.run(op)

    def reopen(self, session_id: str) -> None:
        """``resolved`` → ``bot`` when the shopper writes again."""

        def op(db: Session) -> None:
            session = db.get(ChatSession, session_id)
            if session is None or session.handoff_state != "resolved":
                raise InvalidTransition("only a resolved conversation can return to the bot")
            session.handoff_state = "bot"
            session.updated_at = utcnow()
            db.add(Turn(session_id=session_id, role="system", text="conversation returned to the bot", data={"event": "reopen"}))

        self.sessions.run(op)

    def case_for_session(self, session_id: str) -> CaseView | None:
        def op(db: Session) -> CaseView | None:
            case = self._open_case(db, session_id)
            return _view(case, self._position(db, case)) if case else None

        return self.sessions.run(op)

    # -- staff side ------------------------------------------------------------------------------
    def queue(self, include_resolved: bool = False) -> list[CaseView]:
        def op(db: Session) -> list[CaseView]:
            states = STATES if include_resolved else ("waiting_for_human", "human")
            cases = db.scalars(select(HandoffCase).where(HandoffCase.state.in_(states)).order_by(HandoffCase.id)).all()
            return [_view(c, self._position(db, c)) for c in cases]

        return self.sessions.run(op)

    def get(self, case_id: int) -> CaseView:
        def op(db: Session) -> CaseView:
            case = self._case(db, case_id)
            view = _view(case, self._position(db, case))
            view.packet = dict(view.packet)
            view.packet["transcript"] = [
                {"role": t.role, "text": t.text, "at": t.created_at.isoformat(timespec="seconds")}
                for t in db.scalars(select(Turn).where(Turn.session_id == case.session_id).order_by(Turn.id)).all()
            ]
            return view

        return self.sessions.run(op)

    def take(self, case_id: int, staff: str) -> CaseView:
        def op(db: Session) -> CaseView:
            case = self._case(db, case_id)
            self._move(db, case, "take")
            case.staff, case.taken_at = staff, utcnow()
            db.add(Turn(session_id=case.session_id, role="system", text=f"{staff} joined the conversation", data={"event": "take", "staff": staff}))
            return _view(case, None)

        return self.sessions.run(op)

    def reply(self, case_id: int, staff: str, text: str) -> int:
        """A staff message into the shopper's chat; only while the case is taken."""
        if not text.strip():
            raise ValueError("reply text is empty")

        def op(db: Session) -> int:
            case = self._case(db, case_id)
            if case.state != "human":
                raise InvalidTransition(f"cannot reply to a case that is {case.state.replace('_', ' ')}; take it first")
            turn = Turn(session_id=case.session_id, role="staff", text=text.strip(), data={"staff": staff, "case": case.id})
            db.add(turn)
            db.flush()
            return turn.id

        return self.sessions.run(op)

    def resolve(self, case_id: int, staff: str) -> CaseView:
        def op(db: Session) -> CaseView:
            case = self._case(db, case_id)
            self._move(db, case, "resolve")
            case.resolved_at = utcnow()
            case.staff = case.staff or staff
            db.add(Turn(session_id=case.session_id, role="system", text="the case was resolved", data={"event": "resolve", "staff": staff}))
            return _view(case, None)

        return self.sessions.run(op)
