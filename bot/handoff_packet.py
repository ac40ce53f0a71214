"""What escalation reads and what staff see first when a conversation is handed to them.

- :func:`since_reset`: the turns after the last reopen/resolve (a resolved case starts afresh);
- :func:`signals`: one ``TurnSignal`` per shopper turn, for the escalation policy;
- :func:`customer_events`: the shopper's purchase/cart/view history — the store's interactions
  log (through the recommender) followed by the events recorded since (sessions store);
- :func:`packet`: the case packet (summary, transcript, intents, sources, mood, profile).
"""

from __future__ import annotations

from desk.escalation import reason_label


def since_reset(turns: list) -> list:
    """Turns after the last reopen (a resolved case starts the conversation afresh)."""
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].role == "system" and (turns[i].data or {}).get("event") in ("reopen", "resolve"):
            return turns[i + 1 :]
    return turns


def stored_signal(history: list, i: int):
    """The escalation signal of the stored shopper turn ``history[i]`` (abstained: did the bot's answer to it)."""
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
        # A declined off-topic request is not a failure to help: it never counts toward a handoff.
        abstained=bool(nxt and (nxt.data or {}).get("abstained") and (nxt.data or {}).get("mode") != "off_topic"),
    )


def signals(turn) -> list:
    """The whole conversation since the last reset as escalation signals, this turn (a TurnContext) last."""
    from desk.escalation import TurnSignal

    history = turn.history
    out = [stored_signal(history, i) for i, t in enumerate(history) if t.role == "user"]
    out.append(TurnSignal(text=turn.text, polarity=turn.mood.polarity, label=turn.mood.label, intent=turn.intent,
                          abstained=turn.answer.abstained and turn.answer.mode != "off_topic"))
    return out


def customer_events(parts, user_id: str | None, limit: int = 20) -> list[dict]:
    """The customer's last ``limit`` events, oldest first, as ``{"item_id", "title", "type"[, "at"]}``:
    the store's interactions log (``parts.recommender.history``) followed by the events recorded
    by the app (``parts.sessions.events``). ``parts``: a :class:`bot.components.Components`."""
    if not user_id:
        return []
    out: list[dict] = []
    recommender = parts.recommender
    history = getattr(recommender, "history", None)
    if history is not None:
        try:
            out += [dict(e) for e in history(user_id, limit)]
        except Exception:  # noqa: BLE001 - the profile is a courtesy to staff: a recommender fault must not block a handoff
            import logging

            logging.getLogger(__name__).exception("customer history unavailable")
    for item_id, kind in parts.sessions.events(user_id, limit):
        out.append({"item_id": item_id, "title": recommender.title(item_id), "type": kind})
    return out[-limit:]


_VERBS = {"purchase": "bought", "cart": "added to cart", "view": "viewed"}


def history_summary(events: list[dict]) -> str:
    """``"bought Apex Rush (PS4), Turbo Karts Party (PS4); viewed Switch Pro Controller"``
    (most recent first within each kind), or ``"no purchases or views on record"``."""
    by_kind: dict[str, list[str]] = {}
    for e in reversed(events):
        titles = by_kind.setdefault(e.get("type", "view"), [])
        title = e.get("title") or e.get("item_id")
        if title not in titles:
            titles.append(title)
    parts = [f"{_VERBS.get(k, k)} {', '.join(by_kind[k][:6])}" + (f" (+{len(by_kind[k]) - 6} more)" if len(by_kind[k]) > 6 else "")
             for k in ("purchase", "cart", "view") if by_kind.get(k)]
    return "; ".join(parts) or "no purchases or views on record"


def packet(turn, signals: list, reason: str, events: list) -> dict:
    """The case packet for ``turn`` (a TurnContext); ``events`` are the customer's events, as
    :func:`customer_events` dicts or ``(item_id, type)`` pairs."""
    history, answer, text = turn.history, turn.answer, turn.text
    first = next((s.text for s in signals), text)
    timeline = [{"turn": n, "label": s.label, "polarity": round(s.polarity, 3)} for n, s in enumerate(signals, start=1)]
    sources = [s.get("id") for t in history if t.role == "assistant" for s in (t.data or {}).get("sources", [])]
    sources += [s.id for s in answer.sources]
    shown = [r.get("title") for t in history if t.role == "assistant" for r in (t.data or {}).get("recommendations", [])]
    shown += [r["title"] for r in turn.recommendations or []]
    evs = [dict(e) if isinstance(e, dict) else {"item_id": e[0], "type": e[1]} for e in events][-20:]
    return {
        "summary": f"{reason_label(reason).capitalize()}. The customer first wrote: \"{first[:200]}\"; latest: \"{text[:200]}\".",
        "reason": reason,
        "intents": [s.intent for s in signals if s.intent],
        "sentiment_timeline": timeline,
        "sources_used": list(dict.fromkeys(x for x in sources if x)),
        "recommendations_shown": list(dict.fromkeys(x for x in shown if x)),
        "customer": {"user_id": turn.user_id, "events": evs, "history": history_summary(evs)},
        "transcript": [{"role": t.role, "text": t.text} for t in history] + [{"role": "user", "text": text}],
    }
