"""The steps of one chat turn, in the order :meth:`bot.service.ChatService.stream` runs them.

Each step takes the chat service (its collaborators, answerer and retriever) and the
:class:`bot.turn.TurnContext`, reads what earlier steps set and sets its own fields; the
steps that produce text are generators of ``("delta", text)`` events.

    begin → (handed off: while_handed_off) → answer → finish → escalate → store
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from bot import handoff_packet
from bot.prompts import (
    ABSTAIN_TEXT,
    APOLOGY,
    GREETING_TEXT,
    HANDOFF_TEXT,
    THANKS_TEXT,
    UNAVAILABLE_TEXT,
    WAITING_TEXT,
    local,
)
from bot.rag import Answer
from bot.recommendation_policy import recommend_answer, recommendations
from bot.router import intent_from_sources, route
from bot.turn import HandoffState, Mode, Reply, Route, TurnContext
from bot.validation import SESSION_ID_MAX, USER_ID_MAX, check_id, check_message

log = logging.getLogger("kefu.service")
Events = Iterator[tuple[str, object]]


def begin(chat, turn: TurnContext) -> None:
    """Validate, screen (PII, injection, rate), open the session, score the mood.

    Sets ``guarded``, ``text``, ``sid``, ``user_id``, ``state``, ``lang``, ``mood``, ``sentiment``, ``user_data``."""
    from knowledge.lang import detect_lang

    parts = chat.components
    raw = check_message(turn.message, parts.settings.max_message_chars)
    check_id(turn.session_id, "session_id", SESSION_ID_MAX)
    check_id(turn.user_id, "user_id", USER_ID_MAX)
    turn.guarded = guarded = parts.guard.check_input(raw, session_id=turn.session_id, client=turn.client)
    turn.text = guarded.text
    turn.sid = parts.sessions.ensure_session(turn.session_id, turn.user_id)
    session = parts.sessions.get_session(turn.sid)
    turn.user_id = turn.user_id or session.user_id
    if session.handoff_state == HandoffState.RESOLVED:
        parts.desk.reopen(turn.sid)  # a new message after resolution starts afresh with the bot
        turn.state = HandoffState.BOT
    else:
        turn.state = HandoffState(session.handoff_state)
    turn.lang = detect_lang(turn.text)
    turn.mood = mood = parts.sentiment.score(turn.text)
    turn.sentiment = {"label": mood.label, "score": round(float(mood.score), 4), "polarity": round(float(mood.polarity), 4)}
    turn.latency["sentiment"] = turn.elapsed()
    turn.user_data = {"sentiment": turn.sentiment, "lang": turn.lang, "pii": guarded.pii, "injection": guarded.injection}


def while_handed_off(chat, turn: TurnContext) -> Reply:
    """A person is coming or already here: the message goes to the case, the bot stays quiet."""
    parts = chat.components
    case = parts.desk.case_for_session(turn.sid)
    note = ""
    if turn.state == HandoffState.WAITING:
        note = local(WAITING_TEXT, turn.lang).format(position=(case.position if case else None) or 1)
    data = turn.user_data | {"intent": "handoff", "case": case.id if case else None}
    turn_id = parts.sessions.add_turn(turn.sid, "user", turn.text, data)
    return Reply(
        session_id=turn.sid,
        reply=note,
        abstained=False,
        sources=[],
        intent="handoff",
        sentiment=turn.mood_summary,
        handoff={"state": turn.state} | ({"position": case.position} if case and case.position else {}),
        turn_id=turn_id,
        mode=Mode.HANDOFF,
        latency={"total": round(turn.elapsed(), 4)},
    )


def answer(chat, turn: TurnContext) -> Events:
    """Route the message and answer it. Sets ``history``, ``routed``, ``focus``, ``answer`` (and
    ``recommendations`` when the answer presents them)."""
    from bot.answers import engine

    turn.history = handoff_packet.since_reset(chat.components.sessions.turns(turn.sid, limit=40))
    turn.focus = engine.focus_of(turn.history)
    turn.routed = Route.REFUSED if turn.guarded.injection else route(turn.text)
    if turn.routed == Route.HUMAN:  # the queue note is added when the case is opened (escalate)
        turn.answer = Answer("", False, [], Mode.HANDOFF)
        return
    turn.answer = direct_answer(chat, turn)
    if turn.answer is None:
        turn.answer = catalogue_answer(chat, turn)
    if turn.answer is None:
        yield from grounded_answer(chat, turn)
    else:
        yield "delta", turn.answer.text


def catalogue_answer(chat, turn: TurnContext) -> Answer | None:
    """A product question answered from the catalogue's fields (sets ``focus``); else None."""
    from bot.answers import engine

    try:
        ans, turn.focus = engine.product_answer(chat.catalogue, turn.text, turn.lang, turn.focus)
    except Exception:  # noqa: BLE001 - the catalogue could not be read: retrieval (and its error path) answers
        log.exception("catalogue lookup failed")
        return None
    return ans


def direct_answer(chat, turn: TurnContext) -> Answer | None:
    """The answer that needs no retrieval: a refusal, small talk, or requested recommendations; else None."""
    from bot.guard import REFUSAL_TEXT

    if turn.routed == Route.REFUSED:  # an attempt to override or extract the instructions: no model call
        return Answer(local(REFUSAL_TEXT, turn.lang), False, [], Mode.REFUSED)
    if turn.routed in (Route.GREETING, Route.THANKS):
        table = GREETING_TEXT if turn.routed == Route.GREETING else THANKS_TEXT
        return Answer(local(table, turn.lang), False, [], Mode.SMALLTALK)
    from bot.answers.engine import conversation_answer

    said = conversation_answer(turn.text, turn.lang)  # pleasantries, or a request outside the store's business
    if said is not None:
        return said
    if turn.routed == Route.RECOMMEND and not _upset_before_answer(turn):  # an unhappy shopper is not sold to
        nothing = Answer("", False, [], "")
        turn.recommendations = recommendations(chat.components, turn.user_id, turn.text, Route.RECOMMEND, nothing,
                                               viewer=turn.sid)
        if turn.recommendations:
            return recommend_answer(chat.components, turn.recommendations, turn.lang)
    return None


def grounded_answer(chat, turn: TurnContext) -> Events:
    """Retrieve (the follow-up resolved against earlier questions) and answer from the sources only;
    every streamed sentence passes the output guard first."""
    settings, guard, answerer = chat.components.settings, chat.components.guard, chat.answerer
    from bot.answers.engine import Focus, retrieval_query
    from bot.answers.sections import whole_sections

    query = retrieval_query(turn.text, turn.lang, turn.focus, [t.text for t in turn.history if t.role == "user"])
    turn.focus = Focus(turn.focus.product, query)
    t1 = time.perf_counter()
    try:
        sources = chat.retriever.retrieve(query, lang=turn.lang)
        sources = whole_sections(chat.components.knowledge, sources)  # the answer may sit in another part
    except Exception:  # noqa: BLE001 - the vector store is down: say so, offer a person
        log.exception("knowledge retrieval failed")
        sources = None
    turn.latency["retrieve"] = time.perf_counter() - t1
    past = [(t.role, t.text) for t in turn.history if t.role in ("user", "assistant")][-settings.history_turns * 2 :]
    t2 = time.perf_counter()
    allowed = [s.text for s in sources or []] + [turn.text]
    if sources is None:
        events = iter([("final", Answer(local(UNAVAILABLE_TEXT, turn.lang), True, [], Mode.UNAVAILABLE))])
    else:
        events = answerer.answer(query, sources, past, turn.lang)
    for kind, value in events:
        if kind == "delta":
            shown = guard.check_output(value, answerer.system_prompt, allowed)  # never stream a leak
            if shown and not turn.apologised and sources and _upset_before_answer(turn):
                turn.apologised = True  # an upset shopper hears the apology first, also over /v1 streams
                yield "delta", f"{local(APOLOGY, turn.lang)} "
            if shown:
                yield "delta", shown
        else:
            turn.answer = value
    turn.latency["answer"] = time.perf_counter() - t2
    turn.latency.update({k: v for k, v in turn.answer.timings.items() if v is not None})


_MODE_INTENTS = {Mode.PRODUCT: "product_question", Mode.OFF_TOPIC: "off_topic", Mode.SMALLTALK: "small_talk"}


def unhappy(turn: TurnContext) -> bool:
    """Whether the shopper is actually unhappy (then Kefu apologises and does not upsell): a negative
    mood that is not just the tone of a plain question, a complaint, or a strongly negative message."""
    from bot.answers.complaints import complaint_kind
    from bot.sentiment.base import is_question

    if turn.intent == "complaint" or complaint_kind(turn.text):
        return turn.mood.label == "negative" or turn.intent == "complaint"
    if turn.mood.label != "negative":
        return False
    asks = is_question(turn.text) or turn.intent == Route.RECOMMEND  # "推荐一台咖啡机" asks, like a question
    return not asks or turn.mood.polarity <= -0.8


def _upset_before_answer(turn: TurnContext) -> bool:
    """:func:`unhappy` judged before the answer exists (the intent is what routing said)."""
    saved, turn.intent = turn.intent, turn.routed or turn.intent
    try:
        return unhappy(turn)
    finally:
        turn.intent = saved


def finish(chat, turn: TurnContext) -> None:
    """Intent, recommendations, the checked reply text (an apology first for an upset customer).

    Sets ``intent``, ``upset``, ``recommendations``, ``reply_text``."""
    ans = turn.answer
    turn.intent = turn.routed or _MODE_INTENTS.get(ans.mode) or (
        "unknown" if ans.abstained else intent_from_sources(ans.retrieved or ans.sources))
    turn.upset = unhappy(turn)
    if ans.mode != Mode.RECOMMEND:
        turn.recommendations = recommendations(chat.components, turn.user_id, turn.text, turn.intent, ans,
                                               upset=turn.upset, viewer=turn.sid)
    allowed = [s.text for s in ans.retrieved or ans.sources] + [turn.text]
    text = chat.components.guard.check_output(ans.text, chat.answerer.system_prompt, allowed)
    if ans.text and not text:  # everything it said repeated the instructions
        text = local(ABSTAIN_TEXT, turn.lang)
    apology = local(APOLOGY, turn.lang)
    if turn.apologised or (turn.upset and not ans.abstained and text and ans.mode not in (Mode.SMALLTALK, Mode.HANDOFF)):
        text = text if text.startswith(apology) else f"{apology} {text}".strip()
    turn.reply_text = text


def escalate(chat, turn: TurnContext) -> Events:
    """Hand the conversation to a person when asked for or when the policy says so (reading the whole
    conversation since the last reset, this turn included). Sets ``handoff_state``; on handoff appends
    the queue note to ``reply_text`` and drops the recommendations."""
    parts = chat.components
    signals = handoff_packet.signals(turn)
    decision = parts.policy.decide(signals)
    if not (turn.routed == Route.HUMAN or decision.escalate):
        return
    reason = decision.reason if decision.escalate else "the customer asked for a person"
    events = handoff_packet.customer_events(parts, turn.user_id)  # the store's log and the app's own events
    packet = handoff_packet.packet(turn, signals, reason, events)
    if turn.guarded.pii:  # staff-only (behind KEFU_STAFF_USERS): the contact details the case may need
        packet["unredacted_latest_message"] = turn.guarded.original
    case = parts.desk.escalate(turn.sid, reason, packet, urgency=getattr(decision, "urgency", "normal") or "normal")
    turn.handoff_state = case.state
    note = local(HANDOFF_TEXT, turn.lang).format(position=case.position or 1)
    turn.reply_text = f"{turn.reply_text}\n\n{note}".strip() if turn.reply_text else note
    yield "delta", ("\n\n" if turn.answer.text else "") + note
    turn.recommendations = []


def store(chat, turn: TurnContext) -> Reply:
    """The reply, with the exchange stored (the shopper's turn and the answer, one transaction)."""
    ans = turn.answer
    turn.latency["total"] = turn.elapsed()
    reply = Reply(
        session_id=turn.sid,
        reply=turn.reply_text,
        abstained=ans.abstained,
        sources=[s.to_api() for s in ans.sources],
        intent=turn.intent,
        sentiment=turn.mood_summary,
        recommendations=turn.recommendations,
        handoff={"state": turn.handoff_state},
        mode=ans.mode,
        retrieved=[s.to_api() | {"kind": s.kind, "intent": s.intent, "text": s.text} for s in ans.retrieved],
        checks=ans.checks,
        latency={k: round(v, 4) for k, v in turn.latency.items()},
    )
    turn.user_data["intent"] = turn.intent
    reply_data = {k: v for k, v in reply.to_dict().items() if k not in ("session_id", "reply", "turn_id")}
    if turn.focus is not None:
        reply_data["focus"] = turn.focus.to_data()
    reply_data["sentiment"] = turn.sentiment
    reply.turn_id = chat.components.sessions.add_exchange(turn.sid, turn.text, turn.user_data, reply.reply, reply_data)
    return reply
