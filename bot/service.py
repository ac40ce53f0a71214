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

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from bot.errors import BadInput
from bot.prompts import (
    ABSTAIN_TEXT,
    APOLOGY,
    GREETING_TEXT,
    HANDOFF_TEXT,
    RECOMMEND_TEXT,
    THANKS_TEXT,
    UNAVAILABLE_TEXT,
    WAITING_TEXT,
)
from bot.rag import Answer, Answerer, Retriever
from bot.router import intent_from_sources, resolve_followup, route

log = logging.getLogger("kefu.service")


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
        self._guard = self._desk = self._policy = self._retriever = None
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
            from desk.sessions import SessionStore

            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            return SessionStore(self.settings.db_url_resolved)

        return lazy(self, "_sessions", build)

    @property
    def sentiment(self):
        def build():
            from bot.sentiment.base import make_sentiment_model

            return make_sentiment_model(self.settings.sentiment_model,
                                        cache_dir=self.settings.data_dir / "models", dtype=self.settings.llm_dtype)

        return lazy(self, "_sentiment", build)

    @property
    def recommender(self):
        def build():
            from recommender.service import RecommenderService

            return RecommenderService(self.settings)

        return lazy(self, "_recommender", build)

    @property
    def guard(self):
        def build():
            from bot.guard import Guard

            return Guard(
                rate_limit_per_minute=self.settings.rate_limit_per_minute,
                client_limit_per_minute=self.settings.rate_limit_per_client_per_minute or None,
            )

        return lazy(self, "_guard", build)

    @property
    def desk(self):
        def build():
            from desk.handoff import HandoffDesk

            return HandoffDesk(self.sessions)

        return lazy(self, "_desk", build)

    @property
    def policy(self):
        def build():
            from desk.escalation import EscalationPolicy

            return EscalationPolicy.from_settings(self.settings)

        return lazy(self, "_policy", build)

    @property
    def answerer(self) -> Answerer:
        return lazy(self, "_answerer", lambda: Answerer(self.settings, self.llm, self.embedder, vocabulary=self.knowledge.vocabulary))

    @property
    def retriever(self) -> Retriever:
        return lazy(self, "_retriever", lambda: Retriever(
            self.knowledge, top_k=self.settings.top_k,
            thresholds=(self.settings.abstain_below, self.settings.faq_direct_above)))

    def warm(self) -> None:
        """Load every model now (the first shopper should not wait for it)."""
        self.embedder.embed_query("warm up")
        self.knowledge.count()
        if self.retriever.intents:
            self.retriever.intents.get()
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
        from knowledge.lang import detect_lang

        t0 = time.perf_counter()
        raw = self.validate(message)
        if session_id is not None and (not isinstance(session_id, str) or not 0 < len(session_id) <= 64):
            raise BadInput("session_id must be a string of 1 to 64 characters")
        if user_id is not None and (not isinstance(user_id, str) or not 0 < len(user_id) <= 128):
            raise BadInput("user_id must be a string of 1 to 128 characters")
        guarded = self.guard.check_input(raw, session_id=session_id, client=client)
        text = guarded.text  # PII redacted: the only form used from here on
        sid = self.sessions.ensure_session(session_id, user_id)
        session = self.sessions.get_session(sid)
        user_id = user_id or session.user_id
        if session.handoff_state == "resolved":
            self.desk.reopen(sid)  # a new message after resolution starts afresh with the bot
        state = "bot" if session.handoff_state == "resolved" else session.handoff_state
        lang = detect_lang(text)
        mood = self.sentiment.score(text)
        sentiment = {"label": mood.label, "score": round(float(mood.score), 4), "polarity": round(float(mood.polarity), 4)}
        latency: dict[str, float] = {"sentiment": time.perf_counter() - t0}
        user_data = {"sentiment": sentiment, "lang": lang, "pii": guarded.pii, "injection": guarded.injection}

        if state in ("waiting_for_human", "human"):
            yield "final", self._while_handed_off(sid, text, state, sentiment, user_data, t0)
            return

        history = self._since_reset(self.sessions.turns(sid, limit=40))
        routed = "refused" if guarded.injection else route(text)
        answer: Answer
        if routed == "refused":  # an attempt to override or extract the instructions: no model call
            from bot.guard import REFUSAL_TEXT

            answer = Answer(REFUSAL_TEXT.get(lang, REFUSAL_TEXT["en"]), False, [], "refused")
            yield "delta", answer.text
        elif routed in ("greeting", "thanks"):
            table = GREETING_TEXT if routed == "greeting" else THANKS_TEXT
            answer = Answer(table.get(lang, table["en"]), False, [], "smalltalk")
            yield "delta", answer.text
        elif routed == "contact_human_agent":
            answer = Answer("", False, [], "handoff")
        elif routed == "recommend" and mood.label != "negative" and (
            recs := self.recommendations(user_id, text, "recommend", Answer("", False, [], ""))
        ):
            answer = self.recommend_answer(recs, lang)
            yield "delta", answer.text
        else:
            previous = [t.text for t in history if t.role == "user"]
            query = resolve_followup(text, previous)
            t1 = time.perf_counter()
            try:
                sources = self.retriever.retrieve(query, lang=lang)
            except Exception:  # noqa: BLE001 - the vector store is down: say so, offer a person
                log.exception("knowledge retrieval failed")
                sources = None
            latency["retrieve"] = time.perf_counter() - t1
            past = [(t.role, t.text) for t in history if t.role in ("user", "assistant")][-self.settings.history_turns * 2 :]
            answer = None  # type: ignore[assignment]
            t2 = time.perf_counter()
            allowed = [s.text for s in sources or []] + [text]
            events = (
                iter([("final", Answer(UNAVAILABLE_TEXT.get(lang, UNAVAILABLE_TEXT["en"]), True, [], "unavailable"))])
                if sources is None
                else self.answerer.answer(query, sources, past, lang)
            )
            for kind, value in events:
                if kind == "delta":
                    shown = self.guard.check_output(value, self.answerer.system_prompt, allowed)  # never stream a leak
                    if shown:
                        yield "delta", shown
                else:
                    answer = value  # type: ignore[assignment]
            latency["answer"] = time.perf_counter() - t2
            latency.update({k: v for k, v in answer.timings.items() if v is not None})
        intent = routed or ("unknown" if answer.abstained else intent_from_sources(answer.retrieved or answer.sources))
        upset = mood.label == "negative" or intent == "complaint"
        if answer.mode == "recommend":
            recommendations = recs
        else:
            recommendations = self.recommendations(user_id, text, intent, answer, upset=upset)
        allowed = [s.text for s in answer.retrieved or answer.sources] + [text]
        text_out = self.guard.check_output(answer.text, self.answerer.system_prompt, allowed)
        if answer.text and not text_out:  # everything it said repeated the instructions
            text_out = ABSTAIN_TEXT.get(lang, ABSTAIN_TEXT["en"])
        if upset and not answer.abstained and text_out and answer.mode not in ("smalltalk", "handoff"):
            text_out = f"{APOLOGY.get(lang, APOLOGY['en'])} {text_out}"

        # Escalation reads the whole conversation since the last reset, this turn included.
        from desk.escalation import TurnSignal

        signals = [self._signal(history, i) for i, t in enumerate(history) if t.role == "user"]
        signals.append(TurnSignal(text=text, polarity=mood.polarity, label=mood.label, intent=intent, abstained=answer.abstained))
        decision = self.policy.decide(signals)
        state_out = "bot"
        if routed == "contact_human_agent" or decision.escalate:
            reason = decision.reason if decision.escalate else "the customer asked for a person"
            packet = self._packet(sid, user_id, history, signals, answer, recommendations, reason, text)
            if guarded.pii:  # staff-only (behind KEFU_STAFF_USERS): the contact details the case may need
                packet["unredacted_latest_message"] = guarded.original
            case = self.desk.escalate(sid, reason, packet, urgency=getattr(decision, "urgency", "normal") or "normal")
            state_out = case.state
            note = HANDOFF_TEXT.get(lang, HANDOFF_TEXT["en"]).format(position=case.position or 1)
            text_out = f"{text_out}\n\n{note}".strip() if text_out else note
            yield "delta", ("\n\n" if answer.text else "") + note
            recommendations = []
        latency["total"] = time.perf_counter() - t0
        reply = Reply(
            session_id=sid,
            reply=text_out,
            abstained=answer.abstained,
            sources=[s.to_api() for s in answer.sources],
            intent=intent,
            sentiment={k: sentiment[k] for k in ("label", "score")},
            recommendations=recommendations,
            handoff={"state": state_out},
            mode=answer.mode,
            retrieved=[s.to_api() | {"kind": s.kind, "intent": s.intent, "text": s.text} for s in answer.retrieved],
            checks=answer.checks,
            latency={k: round(v, 4) for k, v in latency.items()},
        )
        user_data["intent"] = intent
        reply_data = {k: v for k, v in reply.to_dict().items() if k not in ("session_id", "reply", "turn_id")}
        reply_data["sentiment"] = sentiment
        reply.turn_id = self.sessions.add_exchange(sid, text, user_data, reply.reply, reply_data)
        yield "final", reply

    # -- handoff helpers -------------------------------------------------------------------
    @staticmethod
    def _since_reset(turns: list) -> list:
        """Turns after the last reopen (a resolved case starts the conversation afresh)."""
        for i in range(len(turns) - 1, -1, -1):
            if turns[i].role == "system" and (turns[i].data or {}).get("event") in ("reopen", "resolve"):
                return turns[i + 1 :]
        return turns

    @staticmethod
    def _signal(history: list, i: int):
        from desk.escalation import TurnSignal

        turn = history[i]
        data = turn.data or {}
        nxt = next((t for t in history[i + 1 :] if t.role == "assistant"), None)
        mood = data.get("sentiment") or {}
        return TurnSignal(
            text=turn.text,
            polarity=float(mood.get("polarity", 0.0)),
            label=str(mood.get("label", "neutral")),
            intent=data.get("intent"),
            abstained=bool(nxt and (nxt.data or {}).get("abstained")),
        )

    def _while_handed_off(self, sid: str, text: str, state: str, sentiment: dict, user_data: dict, t0: float) -> Reply:
        """A person is coming or already here: the message goes to the case, the bot stays quiet."""
        case = self.desk.case_for_session(sid)
        lang = user_data["lang"]
        if state == "waiting_for_human":
            note = WAITING_TEXT.get(lang, WAITING_TEXT["en"]).format(position=(case.position if case else None) or 1)
        else:
            note = ""
        turn_id = self.sessions.add_turn(sid, "user", text, user_data | {"intent": "handoff", "case": case.id if case else None})
        return Reply(
            session_id=sid,
            reply=note,
            abstained=False,
            sources=[],
            intent="handoff",
            sentiment={k: sentiment[k] for k in ("label", "score")},
            handoff={"state": state} | ({"position": case.position} if case and case.position else {}),
            turn_id=turn_id,
            mode="handoff",
            latency={"total": round(time.perf_counter() - t0, 4)},
        )

    def _packet(self, sid, user_id, history, signals, answer, recommendations, reason, text) -> dict:
        """What the staff member sees first: summary, transcript, intents, sources, mood, profile."""
        first = next((s.text for s in signals), text)
        intents = [s.intent for s in signals if s.intent]
        timeline = [{"turn": n, "label": s.label, "polarity": round(s.polarity, 3)} for n, s in enumerate(signals, start=1)]
        sources = [s.get("id") for t in history if t.role == "assistant" for s in (t.data or {}).get("sources", [])]
        sources += [s.id for s in answer.sources]
        shown = [r.get("title") for t in history if t.role == "assistant" for r in (t.data or {}).get("recommendations", [])]
        shown += [r["title"] for r in recommendations]
        events = self.sessions.events(user_id) if user_id else []
        return {
            "summary": f"{reason}. The customer first wrote: \"{first[:200]}\"; latest: \"{text[:200]}\".",
            "reason": reason,
            "intents": intents,
            "sentiment_timeline": timeline,
            "sources_used": list(dict.fromkeys(x for x in sources if x)),
            "recommendations_shown": list(dict.fromkeys(x for x in shown if x)),
            "customer": {"user_id": user_id, "events": [{"item_id": i, "type": t} for i, t in events[-20:]]},
            "transcript": [{"role": t.role, "text": t.text} for t in history] + [{"role": "user", "text": text}],
        }

    # -- recommendations -------------------------------------------------------------------
    def _events(self, user_id: str | None):
        from recommender.service import Event

        return [Event(item_id=i, type=t) for i, t in self.sessions.events(user_id)] if user_id else []

    def recommendations(self, user_id: str | None, text: str, intent: str, answer: Answer, upset: bool = False) -> list[dict]:
        """Product suggestions for this turn: on request, next to a product answer, or — for an
        unhappy customer — only an alternative to the product complained about."""
        k = self.settings.recommend_k
        if k <= 0:
            return []
        if upset:
            if intent not in ("complaint", "recommend"):
                return []
            found = self.recommender.find_items(text, 1)
            if not found:
                return []
            title = self.recommender.title(found[0])
            recs = self.recommender.similar_items(found[0], k)
            return [_rec(r, f"an alternative to {title}") for r in recs]
        if intent == "recommend":
            return [_rec(r) for r in self.recommender.recommend(user_id, k, events=self._events(user_id), query=text)]
        if intent == "product_question":
            shown = [s.metadata.get("product_id") for s in answer.sources if s.metadata.get("product_id")]
            if shown:
                return [_rec(r) for r in self.recommender.similar_items(str(shown[0]), k)]
        return []

    def recommend_answer(self, recs: list[dict], lang: str) -> Answer:
        """A reply that presents recommendations, every fact taken from the catalogue."""
        sources = self.knowledge.by_doc_ids([r["item_id"] for r in recs])
        lines = []
        for n, r in enumerate(recs, start=1):
            item = self.recommender.item(r["item_id"]) or {}
            price = f" — ${item['price']:.2f}" if isinstance(item.get("price"), (int, float)) else ""
            cite = next((f" [{i}]" for i, s in enumerate(sources, start=1) if s.id == r["item_id"]), "")
            lines.append(f"- **{r['title']}**{price} ({r['reason']}){cite}")
        intro = RECOMMEND_TEXT.get(lang, RECOMMEND_TEXT["en"])
        return Answer(intro + "\n" + "\n".join(lines), False, sources, "recommend", sources)


def _rec(r, reason: str | None = None) -> dict:
    return {"item_id": r.item_id, "title": r.title, "score": round(float(r.score), 4), "reason": reason or r.reason}
