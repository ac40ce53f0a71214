"""Rendering for the staff console: a reply dict, a stored turn or a handoff case in; markdown, HTML or table rows out.

Pure functions (no gradio), so they are unit-tested on plain dicts. Everything that came from a
shopper or a document is escaped with :func:`~web.staff_ui.common.esc` before it becomes HTML.
"""

from desk.escalation import REASON_LABELS, reason_label  # noqa: F401 - re-exported for the staff pages
from web.chat_render import cjk_spacing
from web.staff_ui.common import esc

# Latency stages in pipeline order; stages not listed here follow in the order they were timed.
STAGES = ["sentiment", "retrieve", "generate", "check", "answer", "total"]


def reply_summary(d: dict) -> str:
    """One markdown line: intent · sentiment · mode · handoff · abstained."""
    s = d.get("sentiment") or {}
    parts = [
        f"**intent** `{d.get('intent', '')}`",
        f"**sentiment** {s.get('label', '?')} ({s.get('score', 0):.2f})",
        f"**mode** `{d.get('mode', '')}`",
        f"**handoff** {(d.get('handoff') or {}).get('state', 'bot')}",
    ]
    if d.get("abstained"):
        parts.append("**abstained**")
    return " · ".join(parts)


def _shown_sources(d: dict) -> list[dict]:
    """What retrieval returned for a turn (older turns stored only the cited sources)."""
    return d.get("retrieved") or d.get("sources") or []


def _cited_ids(d: dict) -> set:
    return {s["id"] for s in d.get("sources") or []}


def source_rows(d: dict) -> list[list]:
    """``[id, title, kind, score, "✓" if cited]`` per retrieved source."""
    cited = _cited_ids(d)
    return [
        [s.get("id"), s.get("title"), s.get("kind", ""), round(float(s.get("score", 0)), 3),
         "✓" if s.get("id") in cited else ""]
        for s in _shown_sources(d)
    ]


def source_texts(d: dict) -> str:
    """The text the model read, one quoted block per retrieved source."""
    out = []
    for s in d.get("retrieved") or []:
        out.append(f"**{esc(s.get('title'))}** — `{esc(s.get('id'))}` (score {float(s.get('score', 0)):.3f})\n\n"
                   f"> {esc(s.get('text', '')).replace(chr(10), chr(10) + '> ')}")
    return "\n\n".join(out) or "*No sources were retrieved for this turn.*"


def check_rows(d: dict) -> list[list]:
    """``[sentence, kept/dropped, why, score]`` per generated sentence of the grounding check."""
    return [[c.get("sentence", ""), "kept" if c.get("kept") else "dropped", c.get("why", c.get("reason", "")),
             c.get("score", "")] for c in d.get("checks") or []]


def rec_rows(d: dict) -> list[list]:
    return [[r.get("item_id"), r.get("title"), r.get("score"), r.get("reason")] for r in d.get("recommendations") or []]


def latency_rows(d: dict) -> list[list]:
    """``[stage, ms]`` in pipeline order.

    ``{"total": 0.5, "retrieve": 0.01}`` → ``[["retrieve", 10.0], ["total", 500.0]]``.
    """
    lat = d.get("latency") or {}
    keys = [k for k in STAGES if k in lat] + [k for k in lat if k not in STAGES]
    return [[k, round(float(lat[k]) * 1000, 1)] for k in keys]


def _turn_meta(turn, ratings: list) -> list[str]:
    """The grey line after the speaker: id, time, and per role intent/sentiment or mode and ratings."""
    d = turn.data or {}
    meta = [f"#{turn.id}", turn.created_at.isoformat(sep=" ", timespec="seconds")]
    if turn.role == "user":
        s = d.get("sentiment") or {}
        meta += [f"intent {esc(d.get('intent', '?'))}",
                 f"sentiment {esc(s.get('label', '?'))} {float(s.get('polarity', 0)):+.2f}"]
    elif turn.role == "assistant":
        meta += [f"mode {esc(d.get('mode', ''))}", "abstained" if d.get("abstained") else ""]
        meta += [("👍" if r.rating > 0 else "👎") + f" by {esc(r.by)}" + (f": “{esc(r.comment)}”" if r.comment else "")
                 for r in ratings]
    return [m for m in meta if m]


def _turn_details(d: dict) -> str:
    """An assistant turn's sources, recommendations and latency, folded in a ``<details>``."""
    cited = _cited_ids(d)
    srcs = "".join(
        f"<li><code>{esc(s.get('id'))}</code> {esc(s.get('title'))} — {float(s.get('score', 0)):.3f}"
        f"{' ✓ cited' if s.get('id') in cited else ''}</li>"
        for s in _shown_sources(d)
    )
    recs = "".join(f"<li>{esc(r.get('title'))} — {esc(r.get('reason'))}</li>" for r in d.get("recommendations") or [])
    lat = ", ".join(f"{k} {float(v) * 1000:.0f} ms" for k, v in (d.get("latency") or {}).items())
    return (
        "<details><summary>details</summary>"
        f"<div>Sources:<ul>{srcs or '<li>none</li>'}</ul></div>"
        + (f"<div>Recommendations:<ul>{recs}</ul></div>" if recs else "")
        + (f"<div>Latency: {esc(lat)}</div>" if lat else "")
        + "</details>"
    )


def turn_html(turn, ratings: list) -> str:
    """One stored turn as an HTML block with its details folded away; ``ratings`` are that turn's feedback rows."""
    d = turn.data or {}
    if turn.role == "system":
        when = turn.created_at.isoformat(sep=" ", timespec="seconds")
        return f"<div class='kefu-turn system'>{esc(turn.text)} <span class='meta'>· {when}</span></div>"
    names = {"user": "Shopper", "assistant": "Kefu", "staff": f"Staff ({esc(d.get('staff', ''))})"}
    who = names.get(turn.role, turn.role)
    text = cjk_spacing(turn.text) if turn.role == "assistant" else turn.text  # as the shopper saw it
    body = esc(text).replace("\n", "<br>")
    details = _turn_details(d) if turn.role == "assistant" else ""
    return (
        f"<div class='kefu-turn {esc(turn.role)}'><b>{who}</b> "
        f"<span class='meta'>{' · '.join(_turn_meta(turn, ratings))}</span>"
        f"<div>{body}</div>{details}</div>"
    )


# What staff read for the desk's state names (desk/handoff.py); rule names: desk.escalation.reason_label.
STATE_LABELS = {"bot": "with the bot", "waiting_for_human": "waiting for human", "human": "with staff", "resolved": "resolved"}
ROLE_LABELS = {"user": "Shopper", "assistant": "Kefu", "staff": "Staff", "system": "Note"}


def state_label(state: str) -> str:
    """``"waiting_for_human"`` → ``"waiting for human"``; an unknown state as words."""
    return STATE_LABELS.get(state or "", (state or "").replace("_", " "))


def when_label(stamp) -> str:
    """An ISO time (``"2026-12-03T13:34:37"``) as ``"2026-12-03 13:34"``; anything else as it is."""
    text = stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp or "")
    return text[:16].replace("T", " ") if len(text) >= 16 and text[10:11] == "T" else text


def packet_markdown(case: dict) -> str:
    """A handoff case (``CaseView.to_api()``) as the markdown staff read before taking it.

    Summary, reason, the signals that led here (intents, sentiment by turn, sources,
    recommendations, the customer's recent events) and the transcript.
    """
    p = case.get("packet") or {}
    reason = case.get("reason", "")
    summary = str(p.get("summary", reason))
    if reason and summary.startswith(reason + "."):  # the packet's summary opens with the rule's name
        summary = reason_label(reason).capitalize() + summary[len(reason):]
    lines = [
        f"### Case {case['id']} — {state_label(case['state'])} ({case.get('urgency', 'normal')} urgency)",
        f"**Summary:** {summary}",
        f"**Reason:** {reason_label(reason)}  ·  **opened** {when_label(case.get('created_at', ''))}  ·  "
        f"**staff** {case.get('staff') or '—'}",
    ]
    if p.get("intents"):
        lines.append("**Intents:** " + ", ".join(map(str, p["intents"])))
    if p.get("sentiment_timeline"):
        by_turn = (f"{t['turn']}: {t['label']} ({t['polarity']:+.2f})" for t in p["sentiment_timeline"])
        lines.append("**Sentiment by turn:** " + ", ".join(by_turn))
    if p.get("sources_used"):
        lines.append("**Sources used:** " + ", ".join(f"`{s}`" for s in p["sources_used"]))
    if p.get("recommendations_shown"):
        lines.append("**Recommendations shown:** " + ", ".join(p["recommendations_shown"]))
    customer = p.get("customer") or {}
    if customer:
        events = ", ".join(f"{e['type']} {e.get('title') or e['item_id']}" for e in customer.get("events", [])) or "none"
        history = customer.get("history") or f"recent events: {events}"
        lines.append(f"**Customer:** {customer.get('user_id') or 'anonymous'} — {history}")
    lines.append("#### Transcript")
    for t in p.get("transcript", []):
        lines.append(f"- **{ROLE_LABELS.get(t['role'], t['role'])}**: {t['text']}")
    return "\n\n".join(lines)
