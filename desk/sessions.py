"""Conversation storage with SQLAlchemy: sessions, turns, feedback and shopper events.

SQLite file in KEFU_DATA_DIR by default (WAL mode, busy timeout, retried on "database
is locked"); any SQLAlchemy URL via KEFU_DB_URL (PostgreSQL for several replicas).
The schema is brought to the newest migration on first use (:mod:`desk.schema`); the
tables are declared in :mod:`desk.tables`. Every write is one transaction: a failed
request leaves nothing half-stored.

:class:`ConversationStore` is what the chat service, the web routes and the other desk
modules rely on; :class:`SessionStore` is the one implementation, on any engine
(``tests/test_sessions.py`` runs the same contract on SQLite and PostgreSQL).

Example::

    >>> store = SessionStore("sqlite://")
    >>> sid = store.ensure_session(None, user_id="u1")
    >>> store.add_turn(sid, "user", "hi")
    1
    >>> [t.text for t in store.turns(sid)]
    ['hi']
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desk import schema
from desk.tables import ChatSession, Feedback, ShopperEvent, Turn, utcnow

T = TypeVar("T")
EVENT_TYPES = ("view", "cart", "purchase")


@runtime_checkable
class ConversationStore(Protocol):
    """The session store as its users see it (bot.service, web/, desk.handoff, desk.analytics).

    ``run`` is there because the handoff desk, analytics and regression checks keep their
    own tables in the same database and need their reads and writes in its transactions.
    """

    def run(self, fn: Callable[[Session], T]) -> T: ...
    def healthy(self) -> bool: ...
    def ensure_session(self, session_id: str | None, user_id: str | None = None) -> str: ...
    def get_session(self, session_id: str) -> ChatSession | None: ...
    def set_state(self, session_id: str, state: str) -> None: ...
    def add_turn(self, session_id: str, role: str, text: str, data: dict | None = None) -> int: ...
    def add_exchange(self, session_id: str, user_text: str, user_data: dict, reply: str, reply_data: dict) -> int: ...
    def turns(self, session_id: str, limit: int | None = None) -> list[Turn]: ...
    def list_sessions(self, limit: int = 50, search: str = "") -> list[dict]: ...
    def add_feedback(self, session_id: str, turn_id: int | None, rating: int, comment: str = "",
                     by: str = "shopper") -> int: ...
    def feedback(self, session_id: str | None = None) -> list[Feedback]: ...
    def add_event(self, user_id: str, item_id: str, type_: str) -> None: ...
    def events(self, user_id: str, limit: int = 200) -> list[tuple[str, str]]: ...


class SessionStore:
    """All conversation state; safe to share between threads."""

    def __init__(self, url: str, retries: int = 5):
        self.url = url
        self.retries = retries
        self.engine = make_engine(url)
        schema.upgrade(self.engine)  # creates the schema on an empty database, migrates an old one
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # -- plumbing ---------------------------------------------------------------------
    def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one transaction; retry briefly while the database is locked."""
        for attempt in range(self.retries + 1):
            try:
                with self._sessions.begin() as db:
                    return fn(db)
            except OperationalError as exc:
                if "locked" not in str(exc).lower() or attempt == self.retries:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def healthy(self) -> bool:
        try:
            self.run(lambda db: db.execute(select(1)).scalar())
            return True
        except Exception:  # noqa: BLE001
            return False

    # -- sessions and turns -------------------------------------------------------------
    def ensure_session(self, session_id: str | None, user_id: str | None = None) -> str:
        """The id of an existing session, or of a new one (``session_id`` may be given)."""

        def op(db: Session) -> str:
            if session_id:
                found = db.get(ChatSession, session_id)
                if found:
                    if user_id and not found.user_id:
                        found.user_id = user_id
                    return found.id
            new = ChatSession(id=session_id or uuid.uuid4().hex, user_id=user_id)
            db.add(new)
            return new.id

        return self.run(op)

    def get_session(self, session_id: str) -> ChatSession | None:
        return self.run(lambda db: db.get(ChatSession, session_id))

    def set_state(self, session_id: str, state: str) -> None:
        def op(db: Session) -> None:
            found = db.get(ChatSession, session_id)
            if found is None:
                raise KeyError(session_id)
            found.handoff_state = state
            found.updated_at = utcnow()

        self.run(op)

    def add_turns(self, session_id: str, turns: list[tuple[str, str, dict]]) -> int:
        """Store ``[(role, text, data)]`` in one transaction; returns the last turn's id."""

        def op(db: Session) -> int:
            rows = [Turn(session_id=session_id, role=role, text=text, data=data or {}) for role, text, data in turns]
            db.add_all(rows)
            found = db.get(ChatSession, session_id)
            if found is not None:
                found.updated_at = utcnow()
            db.flush()
            return rows[-1].id

        return self.run(op)

    def add_turn(self, session_id: str, role: str, text: str, data: dict | None = None) -> int:
        return self.add_turns(session_id, [(role, text, data or {})])

    def add_exchange(self, session_id: str, user_text: str, user_data: dict, reply: str, reply_data: dict) -> int:
        """Store a shopper message and Kefu's reply together; returns the reply's turn id."""
        return self.add_turns(session_id, [("user", user_text, user_data), ("assistant", reply, reply_data)])

    def turns(self, session_id: str, limit: int | None = None) -> list[Turn]:
        """Turns of a session, oldest first (the last ``limit`` if given)."""

        def op(db: Session) -> list[Turn]:
            q = select(Turn).where(Turn.session_id == session_id).order_by(Turn.id.desc())
            if limit:
                q = q.limit(limit)
            return list(reversed(db.scalars(q).all()))

        return self.run(op)

    def list_sessions(self, limit: int = 50, search: str = "") -> list[dict]:
        """Recent sessions with their turn count and first message; ``search`` matches any turn."""

        def op(db: Session) -> list[dict]:
            q = select(ChatSession).order_by(ChatSession.updated_at.desc()).limit(limit)
            if search:
                ids = select(Turn.session_id).where(Turn.text.ilike(f"%{search}%"))
                q = q.where(ChatSession.id.in_(ids))
            out = []
            for s in db.scalars(q).all():
                n = db.scalar(select(func.count(Turn.id)).where(Turn.session_id == s.id)) or 0
                first = db.scalar(
                    select(Turn.text).where(Turn.session_id == s.id, Turn.role == "user").order_by(Turn.id).limit(1)
                )
                out.append(
                    {
                        "session_id": s.id,
                        "user_id": s.user_id,
                        "updated_at": s.updated_at.isoformat(timespec="seconds"),
                        "turns": n,
                        "first_message": first or "",
                        "handoff_state": s.handoff_state,
                    }
                )
            return out

        return self.run(op)

    # -- feedback -----------------------------------------------------------------------
    def add_feedback(self, session_id: str, turn_id: int | None, rating: int, comment: str = "", by: str = "shopper") -> int:
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 or -1")

        def op(db: Session) -> int:
            if db.get(ChatSession, session_id) is None:
                raise KeyError(session_id)
            if turn_id is not None:
                turn = db.get(Turn, turn_id)
                if turn is None or turn.session_id != session_id:
                    raise KeyError(turn_id)
            fb = Feedback(session_id=session_id, turn_id=turn_id, rating=rating, comment=comment, by=by)
            db.add(fb)
            db.flush()
            return fb.id

        return self.run(op)

    def feedback(self, session_id: str | None = None) -> list[Feedback]:
        def op(db: Session) -> list[Feedback]:
            q = select(Feedback).order_by(Feedback.id)
            if session_id:
                q = q.where(Feedback.session_id == session_id)
            return list(db.scalars(q).all())

        return self.run(op)

    # -- shopper events (recommender profile) ---------------------------------------------
    def add_event(self, user_id: str, item_id: str, type_: str) -> None:
        if type_ not in EVENT_TYPES:
            raise ValueError(f"type must be one of {', '.join(EVENT_TYPES)}")
        self.run(lambda db: db.add(ShopperEvent(user_id=user_id, item_id=item_id, type=type_)))

    def events(self, user_id: str, limit: int = 200) -> list[tuple[str, str]]:
        """``[(item_id, type)]`` of a shopper, oldest first (the last ``limit``)."""

        def op(db: Session) -> list[tuple[str, str]]:
            q = (
                select(ShopperEvent.item_id, ShopperEvent.type)
                .where(ShopperEvent.user_id == user_id)
                .order_by(ShopperEvent.id.desc())
                .limit(limit)
            )
            return [(r[0], r[1]) for r in reversed(db.execute(q).all())]

        return self.run(op)


def make_engine(url: str):
    """A SQLAlchemy engine for ``url`` that many threads (and replicas) can share: SQLite waits on a
    writer's lock, keeps one connection for an in-memory database, runs in WAL mode with foreign
    keys; a server database tests pooled connections before use."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        # The web server calls from many threads; waits up to 15 s on a writer's lock.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        if url in ("sqlite://", "sqlite:///:memory:"):
            # An in-memory database lives in one connection: every thread must get that one.
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
    else:
        # A server restart or idle timeout kills pooled connections: test each before use.
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL lets readers go on while one replica writes; SQLite enforces foreign keys only when asked."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
