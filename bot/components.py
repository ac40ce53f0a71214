"""The process's collaborators: ``Components(settings, *, llm=None, ...)``.

Each collaborator (the model, the embedder, the knowledge store, the session store, the
sentiment model, the recommender, the guard, the handoff desk, the escalation policy) is
built from the settings by its factory on first use — once, even when several threads ask
at the same time — or is the object passed in (tests pass fakes). The chat service, the
HTTP routers and the staff console all take their collaborators from one ``Components``,
so they share one session store and one model per process.

Building is lazy because most commands need only some of the parts (``kefu ingest`` never
loads the chat model) and the heavy imports must not happen at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class lazy_part:  # noqa: N801 - used as a decorator, like ``functools.cached_property``
    """A read-only attribute built by the decorated function on first use, once, under a lock of
    its own (made under ``owner._lock``).

    A value passed to the owner's constructor (stored in the ``_<name>`` slot) is used as is.
    Unlike ``functools.cached_property`` it is thread-safe and cannot be assigned to, so a
    collaborator cannot be swapped under a running service. Each part has its own lock, so
    parts warming on different threads build side by side (the knowledge store's Chroma import
    does not hold up the chat model); a part whose build uses another (the store its embedder)
    takes that one's lock inside its own, and the parts' dependencies have no cycle.
    """

    def __init__(self, build: Callable[[Any], Any]):
        self.build = build
        self.__doc__ = build.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.slot, self.lock_slot = name, f"_{name}", f"_{name}__lock"

    def __get__(self, owner, objtype=None):
        if owner is None:
            return self
        value = owner.__dict__.get(self.slot)
        if value is None:
            lock = owner.__dict__.get(self.lock_slot)
            if lock is None:
                with owner._lock:
                    lock = owner.__dict__.setdefault(self.lock_slot, threading.RLock())
            with lock:
                value = owner.__dict__.get(self.slot)
                if value is None:
                    value = self.build(owner)
                    owner.__dict__[self.slot] = value
        return value

    def __set__(self, owner, value) -> None:
        raise AttributeError(f"{self.name} is read-only: pass it to the constructor instead")


NAMES = ("llm", "embedder", "knowledge", "sessions", "sentiment", "recommender", "guard", "desk", "policy")


class Components:
    """The collaborators of one Kefu process, built lazily from ``settings``; any of them injectable."""

    def __init__(self, settings, *, llm=None, embedder=None, knowledge=None, sessions=None, sentiment=None,
                 recommender=None, guard=None, desk=None, policy=None):
        self._lock = threading.RLock()
        given = {"llm": llm, "embedder": embedder, "knowledge": knowledge, "sessions": sessions,
                 "sentiment": sentiment, "recommender": recommender, "guard": guard, "desk": desk, "policy": policy}
        for name, value in given.items():
            setattr(self, f"_{name}", value)
        self._settings = settings

    @property
    def settings(self):
        return self._settings

    @lazy_part
    def llm(self):
        from bot.llm import make_llm

        return make_llm(self.settings)

    @lazy_part
    def embedder(self):
        from knowledge.embedder import make_embedder

        return make_embedder(self.settings.embedder)

    @lazy_part
    def knowledge(self):
        from knowledge.store import KnowledgeStore

        return KnowledgeStore(self.settings, self.embedder)

    @lazy_part
    def sessions(self):
        from desk.sessions import SessionStore

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SessionStore(self.settings.db_url_resolved)

    @lazy_part
    def sentiment(self):
        from bot.sentiment import make_sentiment_model

        return make_sentiment_model(self.settings.sentiment_model,
                                    cache_dir=self.settings.data_dir / "models", dtype=self.settings.llm_dtype)

    @lazy_part
    def recommender(self):
        from recommender.service import RecommenderService

        return RecommenderService(self.settings)

    @lazy_part
    def guard(self):
        from bot.guard import Guard

        return Guard(
            rate_limit_per_minute=self.settings.rate_limit_per_minute,
            client_limit_per_minute=self.settings.rate_limit_per_client_per_minute or None,
        )

    @lazy_part
    def desk(self):
        from desk.handoff import HandoffDesk

        return HandoffDesk(self.sessions)

    @lazy_part
    def policy(self):
        from desk.escalation import EscalationPolicy

        return EscalationPolicy.from_settings(self.settings)
