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
become available, cut into short phrases (bot/streaming.py), and ends with ``("final", Reply)``;
:meth:`ChatService.turn` returns the ``Reply`` only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from bot import steps
from bot.components import Components, lazy_part
from bot.cpu_threads import limit_torch_threads
from bot.rag import Answerer
from bot.retrieval import Retriever
from bot.streaming import split_deltas
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
        limit_torch_threads(getattr(components.settings, "llm_threads", 0))  # see bot/cpu_threads.py
        self._lock = threading.RLock()
        self._answerer: Answerer | None = None
        self._retriever: Retriever | None = None
        self.ready = False
        self.warm_timings: dict[str, float] = {}
        self.warm_cpu: dict[str, float] = {}  # CPU seconds of each load, on the thread it ran on

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
        return Retriever(self.components.knowledge, top_k=s.top_k, thresholds=(s.abstain_below, s.faq_direct_above),
                         settings=s)

    @lazy_part
    def catalogue(self):
        """The catalogue's products and a finder over them (rebuilt when the index changes)."""
        from bot.answers.catalogue import CatalogueIndex

        from knowledge.multilingual import multilingual_spec

        return CatalogueIndex(self.components.knowledge, currency=getattr(self.settings, "currency", "USD"),
                              cross_lingual=multilingual_spec(self.settings))

    def warm(self) -> None:
        """Load every model now (the first shopper should not wait for it); ``warm_timings`` says
        what took how long (seconds from its own start; ``ready``: from the call to ``ready``),
        ``warm_cpu`` the CPU seconds each load spent on its thread.

        The loads run on threads, as they depend on each other: the chat model (llama.cpp reads
        its file outside the GIL), the knowledge store (Chroma) and then what retrieval derives
        from it, the multilingual encoder (numpy), and on this thread the embedder then the
        sentiment model's first stage (what a question needs; :meth:`SentimentModel.warm_stages`).
        ``ready`` turns true once everything a turn needs is loaded, while the chat model may
        still be loading (a turn that asks it waits for it); the recommender and the sentiment
        model's later stages (SmolLM2 for English statements, on torch) load after that, on
        threads of their own, so that they do not compete with the loads a first answer needs: a
        turn that needs one of them before it is loaded waits for it (its methods load it first;
        it never gets other products or another mood model). ``warm`` returns when all
        is loaded. A load that fails on a thread is retried here once, so an error is raised on
        the caller's thread."""
        parts = self.components
        started = time.perf_counter()
        failed: list[tuple[str, object]] = []

        def step(name: str, load) -> None:
            try:
                self._timed(name, load)
            except BaseException:  # noqa: BLE001 - retried (and re-raised) on the caller's thread
                failed.append((name, load))

        def store_side() -> None:  # Chroma, then the catalogue and the retrieval indexes over it
            step("knowledge", parts.knowledge.count)
            step("catalogue", self.catalogue.current)
            step("retrieval", self.retriever.warm)  # intents, lexical and multilingual indexes
            step("vocabulary", parts.knowledge.vocabulary)  # the index's words, for the unknown-name check

        threads = [threading.Thread(target=step, args=("llm", parts.llm.warm), name="kefu-warm-llm", daemon=True),
                   threading.Thread(target=store_side, name="kefu-warm-store", daemon=True)]
        multilingual = self._multilingual_warm()
        if multilingual is not None:
            threads.append(threading.Thread(target=step, args=("multilingual", multilingual),
                                            name="kefu-warm-multilingual", daemon=True))
        for thread in threads:
            thread.start()
        self._timed("embedder", lambda: parts.embedder.embed_query("warm up"))
        from bot.sentiment.base import warm_stages

        first, *rest = warm_stages(parts.sentiment)  # what questions need now, statements' model later
        self._timed("sentiment", first)
        self._timed("sessions", parts.sessions.healthy)
        for thread in threads[1:]:
            thread.join()
        self._retry(failed, keep=("llm",))
        self.ready = True
        self.warm_timings["ready"] = round(time.perf_counter() - started, 4)
        later = [threading.Thread(target=step, args=("recommender", parts.recommender.ready),
                                  name="kefu-warm-recommender", daemon=True)]
        if rest:
            later.append(threading.Thread(target=step, args=("sentiment, statements", lambda: [f() for f in rest]),
                                          name="kefu-warm-sentiment", daemon=True))
        for thread in later:
            thread.start()
        threads[0].join()
        for thread in later:
            thread.join()
        try:
            self._retry(failed, keep=("llm",))  # the recommender, the statements' sentiment model
        except BaseException:
            self.ready = False  # no recommender: not ready, as when it loaded before ``ready``
            raise
        self._retry(failed)  # the chat model
        self.catalogue.warm()  # the cross-lingual title vectors, on a background thread

    def _multilingual_warm(self):
        """Loads the multilingual encoder retrieval will use (None when the settings turn it off)."""
        from knowledge.multilingual import multilingual_spec

        spec = multilingual_spec(self.settings)
        if spec is None:
            return None
        from knowledge.embedder import make_embedder

        embedder = make_embedder(spec)
        return lambda: embedder.embed_query("warm up")

    def _retry(self, failed: list, keep: tuple[str, ...] = ()) -> None:
        """Run again, on this thread, the loads that failed on another (their error is raised here)."""
        for name, load in [f for f in failed if f[0] not in keep]:
            failed.remove((name, load))
            self._timed(name, load)

    def _timed(self, name: str, load) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            load()
        finally:
            self.warm_timings[name] = round(time.perf_counter() - started, 4)
            self.warm_cpu[name] = round(time.thread_time() - cpu, 4)

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
        """One shopper turn: ``("delta", text)`` events as checked text is ready, then ``("final", Reply)``.

        Every delta is cut into short phrases (:func:`bot.streaming.pieces`), so a reply that needed no
        generation (a product fact, a quoted policy sentence) streams as many chunks too."""
        return split_deltas(self._events(message, session_id, user_id, client))

    def _events(self, message: str, session_id: str | None, user_id: str | None, client: str | None
                ) -> Iterator[tuple[str, object]]:
        turn = TurnContext(message, session_id, user_id, client)
        steps.begin(self, turn)
        if turn.state in HANDED_OFF:
            yield "final", steps.while_handed_off(self, turn)
            return
        yield from steps.answer(self, turn)
        steps.finish(self, turn)
        yield from steps.escalate(self, turn)
        yield "final", steps.store(self, turn)
