"""What the shopper chat shows, as Chatbot messages: shopper text, replies, staff replies, a stored conversation.

Pure functions (no gradio), tested on plain dicts and turns. The chat log renders Markdown,
so everything that came from a person or a model goes through one of two doors first:

- :func:`shopper_text` — the shopper's own words, shown exactly as typed: HTML and Markdown
  are escaped, so ``<img src=x>`` or ``**hi**`` appear as those characters;
- :func:`safe_markdown` — replies (the bot's, a staff member's): a safe subset of Markdown
  (emphasis, lists, code, ``http(s)``/``mailto`` links); raw HTML is escaped and images are
  shown as text, so a reply cannot load anything. ``gr.Chatbot(sanitize_html=True)`` stays on
  behind both.

Only the markup built here (sources, the staff label) is HTML. Marker classes let the page's
CSS style a message: ``kefu-staff`` (a person's bubble) and ``kefu-norate`` (no 👍/👎: queue
notices, staff and system notes).
"""

from __future__ import annotations

import html
import re

from bot.turn import HANDED_OFF

HANDOFF_NOTE = "*A member of our support team has been asked to join this conversation.*"
NO_RATE = "<span class='kefu-norate'></span>"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_BAD_LINK = re.compile(r"\]\((?!\s*(?:https?://|mailto:))", re.IGNORECASE)


def shopper_text(text: str) -> str:
    """The shopper's message as literal text in a Markdown chat log.

    >>> shopper_text("<img src=x> **hi**")
    '&lt;img src=x&gt; \\\\*\\\\*hi\\\\*\\\\*'
    """
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def safe_markdown(text: str) -> str:
    """A reply as a safe Markdown subset: no raw HTML, no images, links only to http(s)/mailto.

    >>> safe_markdown("**30 days** <b>x</b> ![p](http://t/x.png) [a](javascript:alert(1)) [b](https://ok)")
    '**30 days** &lt;b&gt;x&lt;/b&gt; !\\\\[p](http://t/x.png) [a]\\\\(javascript:alert(1)) [b](https://ok)'
    """
    text = html.escape(text, quote=False).replace("![", "!\\[")
    return _BAD_LINK.sub("]\\\\(", text)


def short(text: str, n: int) -> str:
    """``text`` cut at a word boundary to at most ``n`` characters, with an ellipsis."""
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def format_reply(reply: dict) -> str:
    """Assistant message: the answer, its numbered sources, and a note when a person was asked to join.

    A queue notice (``intent == "handoff"``) carries the no-rating marker."""
    text = safe_markdown(reply["reply"])
    if reply.get("sources"):
        items = "<br>".join(
            f"[{n}] <b>{html.escape(s['title'])}</b> — {html.escape(short(s.get('snippet', ''), 110))}"
            for n, s in enumerate(reply["sources"], start=1)
        )
        text += f"\n\n<div class='kefu-sources'>Sources:<br>{items}</div>"
    if (reply.get("handoff") or {}).get("state") not in (None, "bot") and "support team" not in text:
        text += "\n\n" + HANDOFF_NOTE
    if not rateable(reply):
        text += NO_RATE
    return text


def rateable(reply: dict) -> bool:
    """False for a queue notice (the shopper asked for a person, or wrote while waiting): nothing to rate."""
    return reply.get("intent") != "handoff" and reply.get("mode") != "handoff"


def cards_html(recommendations: list[dict], session_id: str | None = None, user_id: str | None = None) -> str:
    """Recommendation cards (buttons carrying the item id for click tracking)."""
    if not recommendations:
        return ""
    attr = html.escape
    cards = "".join(
        f"<button type='button' class='kefu-card' data-item='{attr(r['item_id'])}' data-title='{attr(r['title'])}' "
        f"data-session='{attr(session_id or '')}' data-user='{attr(user_id or '')}'>"
        f"<b>{attr(r['title'])}</b><small>{attr(r['reason'])}</small></button>"
        for r in recommendations
    )
    return f"<div class='kefu-cards-title'>You might like</div><div class='kefu-cards'>{cards}</div>"


def staff_message(turn) -> dict | None:
    """A staff reply (a person's bubble, with their name) or a join/resolve note; None for bookkeeping turns."""
    data = turn.data or {}
    if turn.role == "staff":
        name = str(data.get("staff") or "Support")
        who = html.escape(name[:1].upper() + name[1:])
        label = f"<span class='kefu-staff'><span class='kefu-avatar'>{who[:1].upper()}</span>{who} · support team</span>"
        return {"role": "assistant", "content": f"{label}\n\n{safe_markdown(turn.text)}{NO_RATE}"}
    if turn.role == "system" and data.get("event") in ("take", "resolve"):
        text = ("A member of our team joined the chat." if data["event"] == "take"
                else "Our team marked this conversation as resolved.")
        return {"role": "assistant", "content": f"<span class='kefu-note'>*{text}*</span>{NO_RATE}"}
    return None


def stored_reply(turn) -> dict:
    """A stored assistant turn as the reply dict :func:`format_reply` reads."""
    data = turn.data or {}
    return {"reply": turn.text, "sources": data.get("sources") or [], "handoff": data.get("handoff") or {},
            "intent": data.get("intent"), "mode": data.get("mode")}


def conversation(turns) -> tuple[list[dict], list, list[int]]:
    """A stored session as the chat page shows it: ``(messages, turn id per message, staff/system ids shown)``.

    A turn id is kept only where the shopper may rate the message (a bot answer, not a queue notice)."""
    messages, tids, shown = [], [], []
    for turn in turns:
        if turn.role == "user":
            messages.append({"role": "user", "content": shopper_text(turn.text)})
            tids.append(None)
        elif turn.role == "assistant" and turn.text.strip():
            reply = stored_reply(turn)
            messages.append({"role": "assistant", "content": format_reply(reply)})
            tids.append(turn.id if rateable(reply) else None)
        elif turn.role in ("staff", "system"):
            shown.append(turn.id)
            message = staff_message(turn)
            if message:
                messages.append(message)
                tids.append(None)
    return messages, tids, shown


def handed_off(session) -> bool:
    return session is not None and session.handoff_state in HANDED_OFF
