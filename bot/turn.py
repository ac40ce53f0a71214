"""The data of one chat turn: what it returns (:class:`Reply`) and what its steps share (:class:`TurnContext`).

The enums are ``StrEnum``: their values are the strings stored in the database and sent
in JSON (``Mode.FAQ == "faq"``), so nothing downstream sees a difference.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.guard import GuardedInput
    from bot.rag import Answer
    from bot.sentiment import Sentiment


class Route(StrEnum):
    """Where the router sends a message before retrieval (no route: retrieve and answer)."""

    REFUSED = "refused"  # an attempt to override or extract the instructions
    GREETING = "greeting"
    THANKS = "thanks"
    HUMAN = "contact_human_agent"
    RECOMMEND = "recommend"


class Mode(StrEnum):
    """How a reply was produced (``Reply.mode``)."""

    FAQ = "faq"
    LLM = "llm"
    EXTRACTIVE = "extractive"
    ABSTAIN = "abstain"
    DEGRADED = "degraded"
    UNAVAILABLE = "unavailable"  # the vector store could not be read
    REFUSED = "refused"
    SMALLTALK = "smalltalk"
    HANDOFF = "handoff"
    RECOMMEND = "recommend"
    PRODUCT = "product"  # facts stated from the catalogue's structured fields
    OFF_TOPIC = "off_topic"  # a general-knowledge or creative request, declined


class HandoffState(StrEnum):
    """A session's handoff state (``sessions.handoff_state``; see desk/handoff.py)."""

    BOT = "bot"
    WAITING = "waiting_for_human"
    HUMAN = "human"
    RESOLVED = "resolved"


HANDED_OFF = (HandoffState.WAITING, HandoffState.HUMAN)  # the bot stays quiet


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
    handoff: dict = field(default_factory=lambda: {"state": HandoffState.BOT})
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


@dataclass
class TurnContext:
    """One turn's state, filled in step by step (each step's docstring says what it sets)."""

    message: str  # as received
    session_id: str | None
    user_id: str | None
    client: str | None  # the caller's address, for per-client rate limits
    t0: float = field(default_factory=time.perf_counter)
    latency: dict[str, float] = field(default_factory=dict)  # seconds per step
    # set by steps.begin
    guarded: GuardedInput | None = None
    text: str = ""  # the message with PII redacted: the only form used after the guard
    sid: str = ""
    state: HandoffState = HandoffState.BOT
    lang: str = "en"
    mood: Sentiment | None = None
    sentiment: dict = field(default_factory=dict)  # label, score, polarity (rounded)
    user_data: dict = field(default_factory=dict)  # stored with the shopper's turn
    # set by steps.answer
    history: list = field(default_factory=list)  # turns since the last reset
    routed: str | None = None  # a Route, or the intent the router gave
    answer: Answer | None = None
    focus: Any = None  # bot.answers.engine.Focus: the product and question the conversation is about
    recommendations: list[dict] | None = None
    # set by steps.finish and steps.escalate
    intent: str = "unknown"
    upset: bool = False
    apologised: bool = False  # the apology was streamed ahead of the answer
    reply_text: str = ""
    handoff_state: str = HandoffState.BOT

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    @property
    def mood_summary(self) -> dict:
        """The sentiment as the public contract shows it (label and score)."""
        return {k: self.sentiment[k] for k in ("label", "score")}


class Chat(Protocol):
    """What the web front needs of the chat service (:class:`bot.service.ChatService`; tests may fake it)."""

    ready: bool  # False until the models are loaded (``/healthz`` answers 503)

    def stream(self, message: str, session_id: str | None = None, user_id: str | None = None,
               client: str | None = None) -> Iterator[tuple[str, object]]:
        """``("delta", text)`` events as checked text is ready, then ``("final", Reply)``."""

    def turn(self, message: str, session_id: str | None = None, user_id: str | None = None,
             client: str | None = None) -> Reply:
        """The turn's ``Reply`` only."""
