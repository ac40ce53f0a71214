"""The shopper chat (Gradio): full page at ``/`` and the compact widget at ``/widget``.

Replies stream sentence by sentence (each sentence is shown once it passed the
grounding check), with the sources listed under the answer, 👍/👎 on every answer,
clickable recommendation cards, a few example questions (full page), and an error banner
instead of a stack trace. The user id may come from the page URL (``?user_id=u42``) so a
store can pass its logged-in customer; the client address goes to the service for rate
limiting.

While a conversation is handed off to a person, a ``gr.Timer`` polls the session's stored
turns every two seconds and shows staff replies as they arrive (it is off otherwise).

A click on a recommendation card is recorded (``desk.analytics.record_click``, through a
Gradio server function, so it works under any mount path) and announced to the embedding
page with ``postMessage({type: "kefu:recommendation", item_id, title})`` so the store can
open its product page.

The widget fills its frame at any size: the page is a 100vh flex column whose chat area
takes the free height (Gradio's ChatInterface does not, gradio#7714). No chat logic lives
here: every turn is ``service.stream``.
"""


import html
import logging

log = logging.getLogger("kefu.ui")

EXAMPLES = [
    "How long does standard shipping take?",
    "What is your return policy?",
    "Can you recommend a racing game for PS4 under $40?",
    "How do I reset my password?",
]
POLL_SECONDS = 2.0

CSS = """
.kefu-banner {background:#fde8e8;color:#8a1c1c;border:1px solid #f5b5b5;border-radius:8px;padding:10px 14px;}
.kefu-cards-title {font-size:12px;font-weight:600;color:var(--body-text-color-subdued);margin:2px 2px 6px}
.kefu-cards {display:flex;gap:8px;overflow-x:auto;padding-bottom:2px}
.kefu-card {flex:0 0 170px;text-align:left;border:1px solid var(--border-color-primary);border-radius:10px;padding:8px 10px;
            background:var(--background-fill-secondary);font-size:12.5px;cursor:pointer;color:inherit;font-family:inherit}
.kefu-card:hover {border-color:var(--color-accent);box-shadow:0 1px 4px rgba(0,0,0,.08)}
.kefu-card b {display:block;margin-bottom:3px;font-size:13px;line-height:1.25}
.kefu-card small {color:var(--body-text-color-subdued);line-height:1.2;display:block}
.kefu-card.kefu-clicked {border-color:var(--color-accent)}
.kefu-sources {font-size:12px;color:var(--body-text-color-subdued);border-top:1px solid var(--border-color-primary);
               margin-top:6px;padding-top:4px}
.kefu-staff {font-size:12px;color:var(--body-text-color-subdued)}
footer {display:none !important}
"""

# The widget: the whole page is one flex column of the frame's height; the chat log
# takes what is left after the header, cards and input row.
COMPACT_CSS = CSS + """
html, body, gradio-app {height:100% !important;min-height:0 !important;margin:0;overflow:hidden}
.gradio-container {padding:0 !important;margin:0 !important;max-width:100% !important;width:100% !important;
                   height:100vh !important;min-height:0 !important}
.gradio-container .main, .gradio-container .wrap, .gradio-container .contain, .gradio-container .column
                   {min-height:0 !important;padding:0 !important;margin:0 !important;max-width:100% !important}
#kefu-widget {height:100vh;gap:6px !important;padding:8px 10px 10px !important;box-sizing:border-box}
#kefu-chat {flex:1 1 0 !important;min-height:100px !important;height:auto !important;overflow:hidden}
#kefu-chat > .wrapper {height:100% !important}
#kefu-head, #kefu-input {flex:0 0 auto}
#kefu-cards {flex:0 0 auto}
#kefu-cards:not(:has(.kefu-card)) {display:none}
#kefu-chat .icon-button-wrapper.top-panel {display:none}
.kefu-head {display:flex;align-items:center;gap:10px;padding:2px 2px 4px}
.kefu-head .dot {width:32px;height:32px;border-radius:50%;background:var(--color-accent);display:flex;
                 align-items:center;justify-content:center;flex:0 0 auto}
.kefu-head .dot svg {width:18px;height:18px;fill:#fff}
.kefu-head b {font-size:15px;display:block;line-height:1.2}
.kefu-head small {font-size:12px;color:var(--body-text-color-subdued)}
"""

CHAT_ICON = (
    "<svg viewBox='0 0 24 24' aria-hidden='true'><path d='M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6"
    "a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z'/></svg>"
)

CARDS_JS = """
element.addEventListener('click', async (event) => {
  const card = event.target.closest('.kefu-card');
  if (!card) return;
  const d = card.dataset;
  card.classList.add('kefu-clicked');
  try { window.parent.postMessage({type: 'kefu:recommendation', item_id: d.item, title: d.title}, '*'); } catch (e) {}
  try { await server.record_click(d.item, d.session || '', d.user || ''); } catch (e) {}
});
"""


def short(text: str, n: int) -> str:
    """``text`` cut at a word boundary to at most ``n`` characters, with an ellipsis."""
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def format_reply(reply: dict) -> str:
    """Assistant message markdown: the answer, then its numbered sources."""
    text = reply["reply"]
    if reply.get("sources"):
        items = "<br>".join(
            f"[{n}] <b>{html.escape(s['title'])}</b> — {html.escape(short(s['snippet'], 110))}"
            for n, s in enumerate(reply["sources"], start=1)
        )
        text += f"\n\n<div class='kefu-sources'>Sources:<br>{items}</div>"
    if reply.get("handoff", {}).get("state") not in (None, "bot") and "support team" not in text:
        text += "\n\n*A member of our support team has been asked to join this conversation.*"
    return text


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
    """A staff or system turn as a chat message (None for bookkeeping turns)."""
    data = turn.data or {}
    if turn.role == "staff":
        who = html.escape(str(data.get("staff") or "Support"))
        return {"role": "assistant", "content": f"<span class='kefu-staff'>{who} · support team</span>\n\n{turn.text}"}
    if turn.role == "system" and data.get("event") in ("take", "resolve"):
        text = "A member of our team joined the chat." if data["event"] == "take" else "Our team marked this conversation as resolved."
        return {"role": "assistant", "content": f"*{text}*"}
    return None


def build_shopper_ui(service, compact: bool = False):
    """A ``gr.Blocks`` chat bound to ``service``; ``compact`` is the iframe widget."""
    import gradio as gr

    from bot.errors import BadInput

    def record_click(item_id: str, session_id: str = "", user_id: str = "") -> bool:
        """Called from the cards' JavaScript: store one click on a recommendation."""
        from desk.analytics import record_click as store_click

        if not isinstance(item_id, str) or not 0 < len(item_id) <= 128 or service.recommender.item(item_id) is None:
            return False
        sid = session_id if isinstance(session_id, str) and 0 < len(session_id) <= 64 else None
        uid = user_id if isinstance(user_id, str) and 0 < len(user_id) <= 128 else None
        store_click(service.sessions, item_id, sid, uid)
        if uid:
            service.sessions.add_event(uid, item_id, "view")
        return True

    with gr.Blocks(title="Kefu — shop assistant", fill_height=True) as demo:
        session_id = gr.State(None)
        turn_ids = gr.State([])  # turn id per chatbot message index (None for user / staff messages)
        seen = gr.State([])  # staff/system turn ids already shown
        with gr.Column(elem_id="kefu-widget" if compact else "kefu-page", scale=1):
            if compact:
                gr.HTML(
                    "<div class='kefu-head'><div class='dot'>" + CHAT_ICON + "</div><div><b>Shop assistant</b>"
                    "<small>Answers from our catalogue and policies</small></div></div>",
                    elem_id="kefu-head", padding=False,
                )
            else:
                gr.Markdown("## 🛍️ Kefu — ask our shop assistant\nAnswers come from our catalogue and policies, with sources.")
            banner = gr.HTML("", visible=False, elem_classes=["kefu-banner"])
            chatbot = gr.Chatbot(
                elem_id="kefu-chat",
                height=None if compact else 520,
                scale=1,
                show_label=False,
                feedback_options=("Like", "Dislike"),
                sanitize_html=True,
                buttons=[] if compact else ["copy"],
                layout="bubble",
                placeholder="**Hi! How can I help?**\n\nAsk about products, orders, shipping or returns.",
            )
            cards = gr.HTML("", elem_id="kefu-cards", js_on_load=CARDS_JS, server_functions=[record_click], padding=False)
            with gr.Row(elem_id="kefu-input", equal_height=True):
                box = gr.Textbox(
                    placeholder="Ask a question…" if compact else "Ask about products, orders, shipping, returns…", show_label=False, scale=8,
                    autofocus=not compact, max_length=service.settings.max_message_chars, elem_id="kefu-box",
                    container=False,
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=70, elem_id="kefu-send")
            if not compact:
                gr.Examples(EXAMPLES, inputs=box, label="Try asking")
        timer = gr.Timer(POLL_SECONDS, active=False)

        def respond(message, history, sid, tids, request: gr.Request):
            history = list(history or [])
            tids = list(tids or [])
            query = dict(request.query_params) if request else {}
            user_id = (query.get("user_id") or "").strip()[:128] or None
            client = request.client.host if request and request.client else None
            idle = gr.update()
            if not (message or "").strip():
                yield history, sid, tids, "", idle, gr.update(visible=False), idle
                return
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
            tids += [None, None]
            yield history, sid, tids, "", idle, gr.update(visible=False), idle
            shown = ""
            try:
                for kind, value in service.stream(message, session_id=sid, user_id=user_id, client=client):
                    if kind == "delta":
                        shown += value
                        history[-1] = {"role": "assistant", "content": shown}
                        yield history, sid, tids, "", idle, gr.update(visible=False), idle
                    elif kind == "final":
                        reply = value.to_api()
                        sid = reply["session_id"]
                        handed_off = reply["handoff"]["state"] in ("waiting_for_human", "human")
                        if reply["reply"].strip():
                            tids[-1] = reply["turn_id"] if reply["intent"] != "handoff" else None  # no rating on a queued message
                            history[-1] = {"role": "assistant", "content": format_reply(reply)}
                        else:  # a person has the conversation: the bot stays quiet
                            history, tids = history[:-1], tids[:-1]
                        yield (
                            history, sid, tids, "", cards_html(reply["recommendations"], sid, user_id),
                            gr.update(visible=False), gr.Timer(active=handed_off),
                        )
            except BadInput as exc:
                yield history[:-2], sid, tids[:-2], message, idle, gr.update(value=html.escape(str(exc)), visible=True), idle
            except Exception:  # noqa: BLE001 - the shopper sees a banner, the log gets the trace
                log.exception("chat turn failed")
                yield (
                    history[:-1], sid, tids[:-1], message, idle,
                    gr.update(value="Sorry — something went wrong on our side. Please try again in a moment.", visible=True),
                    idle,
                )

        def poll(sid, history, tids, shown_ids):
            """New staff replies / join and resolve notes while handed off."""
            if not sid:
                return gr.update(), tids, shown_ids, gr.Timer(active=False)
            session = service.sessions.get_session(sid)
            history, tids, shown_ids = list(history or []), list(tids or []), list(shown_ids or [])
            added = False
            for turn in service.sessions.turns(sid):
                if turn.role in ("staff", "system") and turn.id not in shown_ids:
                    shown_ids.append(turn.id)
                    message = staff_message(turn)
                    if message:
                        history.append(message)
                        tids.append(None)
                        added = True
            still = session is not None and session.handoff_state in ("waiting_for_human", "human")
            return (history if added else gr.update()), tids, shown_ids, gr.Timer(active=still)

        def on_feedback(sid, tids, data: gr.LikeData):
            index = data.index if isinstance(data.index, int) else data.index[0]
            if not sid or index >= len(tids) or tids[index] is None:
                return
            rating = 1 if data.liked else -1
            try:
                service.sessions.add_feedback(sid, tids[index], rating, by="shopper")
            except KeyError:
                log.warning("feedback for unknown turn %s", tids[index])

        outputs = [chatbot, session_id, turn_ids, box, cards, banner, timer]
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, session_id, turn_ids], outputs, concurrency_limit=None, api_visibility="private")
        timer.tick(poll, [session_id, chatbot, turn_ids, seen], [chatbot, turn_ids, seen, timer], api_visibility="private",
                   show_progress="hidden")
        chatbot.like(on_feedback, [session_id, turn_ids], None, api_visibility="private")
    demo.kefu_css = COMPACT_CSS if compact else CSS
    return demo
