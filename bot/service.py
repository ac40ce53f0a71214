"""One chat turn, end to end: ``ChatService.stream(message, session_id, user_id)``.

    begin (validate, guard, session, sentiment)
      → handed off?  the message goes to the case, the bot stays quiet
      → answer (route → refusal | small talk | recommendations | follow-up resolution → retrieve → grounded answer)
      → finish (intent, recommendations, output guard, apology)
      → escalate (policy → handoff packet) → store the exchange → reply

The service owns no UI and no HTTP: ``app.py`` and the Gradio pages call it. Its
collaborators come from a :class:`bot.components.Components` (built from the settings, or
injected: tests pass fakes); the steps live in bot/steps.py, the data they share in
bot/turn.py. :meth:`ChatService.stream` yields ``("delta", text)`` as checked sentences
become available and ends with ``("final", Reply)``; :meth:`ChatService.turn` returns the
``Reply`` only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from bot import steps
from bot.components import Components, lazy_part
from bot.rag import Answerer
from bot.retrieval import Retriever
from bot.turn import HANDED_OFF, HandoffState, Mode, Reply, Route, TurnContext
from bot.validation import check_message

__all__ = ["ChatService", "Components", "HandoffState", "Mode", "Reply", "Route"]


class _Collaborator:
    """``service.<name>``: the service's component of that name (read-only)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, service, objtype=None):
        return self if service is None else getattr(service.components, self.name)

    def __set__(self, service, value) -> None:
        raise AttributeError(f"{self.name} is read-only: build the service with Components(..., {self.name}=...)")


class ChatService:
    """Kefu's conversation logic; thread-safe, one instance per process.

    ``ChatService(settings, components=Components(settings, ...))``, or the keyword overrides of
    :class:`Components` directly (``ChatService(settings, llm=FakeLLM())``), which build one.
    """

    # Read-only views of the components, for callers that hold only the service (tools, benchmarks, tests).
    llm = _Collaborator()
    embedder = _Collaborator()
    knowledge = _Collaborator()
    sessions = _Collaborator()
    sentiment = _Collaborator()
    recommender = _Collaborator()
    guard = _Collaborator()
    desk = _Collaborator()
    policy = _Collaborator()

    def __init__(self, settings=None, *, components: Components | None = None, **overrides):
        if components is None:
            components = Components(settings, **overrides)
        elif overrides or (settings is not None and settings is not components.settings):
            raise TypeError("pass either components or settings and overrides, not both")
        self.components = components
        self._lock = threading.RLock()
        self._answerer: Answerer | None = None
        self._retriever: Retriever | None = None
        self.ready = False

    @property
    def settings(self):
        return self.components.settings

    @lazy_part
    def answerer(self) -> Answerer:
        parts = self.components
        return Answerer(parts.settings, parts.llm, parts.embedder, vocabulary=parts.knowledge.vocabulary)

    @lazy_part
    def retriever(self) -> Retriever:
        s = self.settings
        return Retriever(self.components.knowledge, top_k=s.top_k, thresholds=(s.abstain_below, s.faq_direct_above))

    @lazy_part
    def catalogue(self):
        """The catalogue's products and a finder over them (rebuilt when the index changes)."""
        from bot.answers.catalogue import CatalogueIndex

        return CatalogueIndex(self.components.knowledge, currency=getattr(self.settings, "currency", "USD"))

    def warm(self) -> None:
        """Load every model now (the first shopper should not wait for it)."""
        parts = self.components
        parts.embedder.embed_query("warm up")
        parts.knowledge.count()
        self.catalogue.current()
        if self.retriever.intents:
            self.retriever.intents.get()
        parts.sessions.healthy()
        parts.sentiment.score("warm up")
        parts.llm.warm()
        parts.recommender.ready()
        self.ready = True

    # -- one turn -------------------------------------------------------------------------
    def validate(self, message) -> str:
        """The message, stripped; :class:`bot.errors.BadInput` when empty, not a string or too long."""
        return check_message(message, self.settings.max_message_chars)

    def turn(self, message: str, session_id: str | None = None, user_id: str | None = None, client: str | None = None) -> Reply:
        final = None
        for kind, value in self.stream(message, session_id=session_id, user_id=user_id, client=client):
            if kind == "final":
                final = value
        assert final is not None
        return final

    def stream(
        self, message: str, session_id: str | None = None, user_id: str | None = None, client: str | None = None
    ) -> Iterator[tuple[str, object]]:
        """One shopper turn: ``("delta", text)`` events as checked text is ready, then ``("final", Reply)``."""
        turn = TurnContext(message, session_id, user_id, client)
        steps.begin(self, turn)
        if turn.state in HANDED_OFF:
            yield "final", steps.while_handed_off(self, turn)
            return
        yield from steps.answer(self, turn)
        steps.finish(self, turn)
        yield from steps.escalate(self, turn)
        yield "final", steps.store(self, turn)
