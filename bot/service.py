"""One chat turn, end to end: ``ChatService.stream(message, session_id, user_id)``.

    validate → sentiment → route → (follow-up resolution → retrieve → grounded answer)
             → recommendations → handoff state → store the exchange → reply

The service owns no UI and no HTTP: ``app.py`` and the Gradio pages call it. Every
backend is built lazily from the settings by its factory, or injected (tests pass
fakes). :meth:`ChatService.stream` yields ``("delta", text)`` as checked sentences
become available and ends with ``("final", Reply)``; :meth:`ChatService.turn` returns
the ``Reply`` only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from bot.prompts import GREETING_TEXT, THANKS_TEXT
from bot.rag import Answer, Answerer, Retriever
from bot.router import intent_from_sources, resolve_followup, route


def lazy(owner, attr: str, build):
    """``owner.<attr>``, built by ``build()`` on first use (once, under ``owner._lock``)."""
    value = getattr(owner, attr)
    if value is None:
        with owner._lock:
            value = getattr(owner, attr)
            if value is None:
                value = build()
                setattr(owner, attr, value)
    return value


class BadInput(ValueError):
    """The request cannot be served as given; the message is shown to the client."""


@dataclass
class Reply:
    """What a chat turn returns (the JSON of ``POST /api/chat``, plus staff details)."""

    session_id: str
    reply: str
    abstained: bool
    sources: list[dict]
    intent: str
    sentiment: dict
    recommendations: list[dict] = field(default_factory=list)
    handoff: dict = field(default_factory=lambda: {"state": "bot"})
    turn_id: int | None = None
    mode: str = ""
    retrieved: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    latency: dict = field(default_factory=dict)

    def to_api(self) -> dict:
        """The public contract's fields only."""
        return {
            k: getattr(self, k)
            for k in ("session_id", "reply", "abstained", "sources", "intent", "sentiment", "recommendations", "handoff")
        } | {"turn_id": self.turn_id}

    def to_dict(self) -> dict:
        return asdict(self)


class ChatService:
    """Kefu's conversation logic; thread-safe, one instance per process."""

    def __init__(self, settings, *, llm=None, embedder=None, knowledge=None, sessions=None, sentiment=None, recommender=None):
        self.settings = settings
        self._llm, self._embedder, self._knowledge = llm, embedder, knowledge
        self._sessions, self._sentiment, self._recommender = sessions, sentiment, recommender
        self._answerer: Answerer | None = None
        self._lock = threading.RLock()
        self.ready = False

    # -- lazily built parts ---------------------------------------------------------------
    @property
    def embedder(self):
        return lazy(self, "_embedder", lambda: __import__("knowledge.embedder", fromlist=["x"]).make_embedder(self.settings.embedder))

    @property
    def llm(self):
        return lazy(self, "_llm", lambda: __import__("bot.llm", fromlist=["x"]).make_llm(self.settings))

    @property
    def knowledge(self):
        def build():
            from knowledge.store import KnowledgeStore

            return KnowledgeStore(self.settings, self.embedder)

        return lazy(self, "_knowledge", build)

    @property
    def sessions(self):
        def build():
            from bot.sessions import SessionStore

            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            return SessionStore(self.settings.db_url_resolved)

        return lazy(self, "_sessions", build)

    @property
    def sentiment(self):
        def build():
            from bot.sentiment import make_sentiment_model

            return make_sentiment_model(self.settings.sentiment_model)

        return lazy(self, "_sentiment", build)

    @property
    def recommender(self):
        def build():
            from recommender.service import RecommenderService

            return RecommenderService(self.settings)

        return lazy(self, "_recommender", build)

    @property
    def answerer(self) -> Answerer:
        return lazy(self, "_answerer", lambda: Answerer(self.settings, self.llm, self.embedder))

    @property
    def retriever(self) -> Retriever:
        return Retriever(self.knowledge, top_k=self.settings.top_k)

    def warm(self) -> None:
        """Load every model now (the first shopper should not wait for it)."""
        self.embedder.embed_query("warm up")
        self.knowledge.count()
        self.sessions.healthy()
        self.sentiment.score("warm up")
        self.llm.warm()
        self.recommender.ready()
        self.ready = True

    # -- one turn -------------------------------------------------------------------------
    def validate(self, message) -> str:
        if not isinstance(message, str):
            raise BadInput("message must be a string")
        text = message.strip()
        if not text:
            raise BadInput("message is empty")
        if len(text) > self.settings.max_message_chars:
            raise BadInput(f"message is too long ({len(text)} characters; the limit is {self.settings.max_message_chars})")
        return text

    def turn(self, message: str, session_id: str | None = None, user_id: str | None = None) -> Reply:
        final = None
        for kind, value in self.stream(message, session_id=session_id, user_id=user_id):
            if kind == "final":
                final = value
        assert final is not None
        return final

    def stream(self, message: str, session_id: str | None = None, user_id: str | None = None) -> Iterator[tuple[str, object]]:
        from knowledge.loaders import detect_lang

        t0 = time.perf_counter()
        text = self.validate(message)
        if session_id is not None and (not isinstance(session_id, str) or not 0 < len(session_id) <= 64):
            raise BadInput("session_id must be a string of 1 to 64 characters")
        if user_id is not None and (not isinstance(user_id, str) or not 0 < len(user_id) <= 128):
            raise BadInput("user_id must be a string of 1 to 128 characters")
        sid = self.sessions.ensure_session(session_id, user_id)
        session = self.sessions.get_session(sid)
        user_id = user_id or (session.user_id if session else None)
        lang = detect_lang(text)
        mood = self.sentiment.score(text)
        sentiment = {"label": mood.label, "score": round(float(mood.score), 4), "polarity": round(float(mood.polarity), 4)}
        history = self.sessions.turns(sid, limit=self.settings.history_turns * 2)
        latency: dict[str, float] = {"sentiment": time.perf_counter() - t0}

        routed = route(text)
        answer: Answer
        if routed in ("greeting", "thanks"):
            table = GREETING_TEXT if routed == "greeting" else THANKS_TEXT
            answer = Answer(table.get(lang, table["en"]), False, [], "smalltalk")
            yield "delta", answer.text
        else:
            previous = [t.text for t in history if t.role == "user"]
            query = resolve_followup(text, previous)
            t1 = time.perf_counter()
            sources = self.retriever.retrieve(query, lang=lang)
            latency["retrieve"] = time.perf_counter() - t1
            past = [(t.role, t.text) for t in history if t.role in ("user", "assistant")]
            answer = None  # type: ignore[assignment]
            t2 = time.perf_counter()
            for kind, value in self.answerer.answer(text if query == text else query, sources, past, lang):
                if kind == "delta":
                    yield "delta", value
                else:
                    answer = value  # type: ignore[assignment]
            latency["answer"] = time.perf_counter() - t2
            latency.update({k: v for k, v in answer.timings.items() if v is not None})
        intent = routed or intent_from_sources(answer.retrieved or answer.sources)
        if answer.abstained and routed is None:
            intent = "unknown"

        recommendations = self.recommendations(user_id, text, intent, answer)
        latency["total"] = time.perf_counter() - t0
        reply = Reply(
            session_id=sid,
            reply=answer.text,
            abstained=answer.abstained,
            sources=[s.to_api() for s in answer.sources],
            intent=intent,
            sentiment=sentiment,
            recommendations=recommendations,
            handoff={"state": session.handoff_state if session else "bot"},
            mode=answer.mode,
            retrieved=[s.to_api() | {"kind": s.kind, "intent": s.intent, "text": s.text} for s in answer.retrieved],
            checks=answer.checks,
            latency={k: round(v, 4) for k, v in latency.items()},
        )
        user_data = {"sentiment": sentiment, "intent": intent, "lang": lang}
        reply_data = {
            k: v for k, v in reply.to_dict().items() if k not in ("session_id", "reply", "turn_id")
        }
        reply.turn_id = self.sessions.add_exchange(sid, text, user_data, reply.reply, reply_data)
        yield "final", reply

    # -- recommendations -------------------------------------------------------------------
    def recommendations(self, user_id: str | None, text: str, intent: str, answer: Answer) -> list[dict]:
        """Product suggestions for this turn: on request, or next to a product answer."""
        k = self.settings.recommend_k
        if k <= 0 or intent not in ("recommend", "product_question"):
            return []
        from recommender.service import Event

        events = [Event(item_id=i, type=t) for i, t in self.sessions.events(user_id)] if user_id else []
        if intent == "recommend":
            recs = self.recommender.recommend(user_id, k, events=events, query=text)
        else:
            shown = [s.metadata.get("product_id") for s in answer.sources if s.metadata.get("product_id")]
            if not shown:
                return []
            recs = self.recommender.similar_items(str(shown[0]), k)
        return [
            {"item_id": r.item_id, "title": r.title, "score": round(float(r.score), 4), "reason": r.reason} for r in recs
        ]
