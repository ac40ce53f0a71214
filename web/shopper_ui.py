"""The shopper chat (Gradio): full page at ``/`` and the compact widget at ``/widget``.

Replies stream sentence by sentence (each sentence is shown once it passed the
grounding check), with the sources listed under the answer, 👍/👎 on every answer,
recommendation cards under the chat, a few example questions, and an error banner
instead of a stack trace. The user id may come from the page URL (``?user_id=u42``) so
a store can pass its logged-in customer.
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

CSS = """
.kefu-banner {background:#fde8e8;color:#8a1c1c;border:1px solid #f5b5b5;border-radius:8px;padding:10px 14px;}
.kefu-cards {display:flex;gap:10px;flex-wrap:wrap;margin-top:4px}
.kefu-card {flex:1 1 150px;max-width:220px;border:1px solid var(--border-color-primary);border-radius:10px;padding:10px;
            background:var(--background-fill-secondary);font-size:13px}
.kefu-card b {display:block;margin-bottom:4px}
.kefu-card small {color:var(--body-text-color-subdued)}
.kefu-sources {font-size:12px;color:var(--body-text-color-subdued)}
footer {display:none !important}
"""

COMPACT_CSS = CSS + """
.gradio-container {padding:0 !important;margin:0 !important;max-width:100% !important;min-height:100vh}
#kefu-chat {flex-grow:1 !important;height:calc(100vh - 150px) !important;min-height:200px}
"""


def format_reply(reply: dict) -> str:
    """Assistant message markdown: the answer, then its numbered sources."""
    text = reply["reply"]
    if reply.get("sources"):
        items = "<br>".join(
            f"[{n}] <b>{html.escape(s['title'])}</b> — {html.escape(s['snippet'][:160])}"
            for n, s in enumerate(reply["sources"], start=1)
        )
        text += f"\n\n<div class='kefu-sources'>Sources:<br>{items}</div>"
    if reply.get("handoff", {}).get("state") not in (None, "bot"):
        text += "\n\n*A member of our support team has been asked to join this conversation.*"
    return text


def cards_html(recommendations: list[dict]) -> str:
    if not recommendations:
        return ""
    cards = "".join(
        f"<div class='kefu-card'><b>{html.escape(r['title'])}</b><small>{html.escape(r['reason'])}</small></div>"
        for r in recommendations
    )
    return f"<div><b>You might like</b><div class='kefu-cards'>{cards}</div></div>"


def build_shopper_ui(service, compact: bool = False):
    """A ``gr.Blocks`` chat bound to ``service``; ``compact`` drops the header for iframes."""
    import gradio as gr

    from bot.service import BadInput

    with gr.Blocks(title="Kefu — shop assistant", fill_height=True) as demo:
        session_id = gr.State(None)
        turn_ids = gr.State([])  # turn id per chatbot message index (None for user messages)
        if not compact:
            gr.Markdown("## 🛍️ Kefu — ask our shop assistant\nAnswers come from our catalogue and policies, with sources.")
        banner = gr.HTML("", visible=False, elem_classes=["kefu-banner"])
        chatbot = gr.Chatbot(
            elem_id="kefu-chat",
            height=None if compact else 520,
            scale=1,
            show_label=False,
            feedback_options=("Like", "Dislike"),
            sanitize_html=True,
            buttons=["copy"],
        )
        with gr.Row():
            box = gr.Textbox(placeholder="Ask about products, orders, shipping, returns…", show_label=False, scale=8, autofocus=True, max_length=service.settings.max_message_chars)
            send = gr.Button("Send", variant="primary", scale=1, min_width=80)
        cards = gr.HTML("")
        if not compact:
            gr.Examples(EXAMPLES, inputs=box, label="Try asking")

        def respond(message, history, sid, tids, request: gr.Request):
            history = list(history or [])
            tids = list(tids or [])
            user_id = (dict(request.query_params).get("user_id") if request else None) or None
            if not (message or "").strip():
                yield history, sid, tids, "", gr.update(), gr.update(visible=False)
                return
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
            tids += [None, None]
            yield history, sid, tids, "", gr.update(), gr.update(visible=False)
            shown = ""
            try:
                for kind, value in service.stream(message, session_id=sid, user_id=user_id):
                    if kind == "delta":
                        shown += value
                        history[-1] = {"role": "assistant", "content": shown}
                        yield history, sid, tids, "", gr.update(), gr.update(visible=False)
                    elif kind == "final":
                        reply = value.to_api()
                        sid = reply["session_id"]
                        tids[-1] = reply["turn_id"]
                        history[-1] = {"role": "assistant", "content": format_reply(reply)}
                        yield history, sid, tids, "", cards_html(reply["recommendations"]), gr.update(visible=False)
            except BadInput as exc:
                history = history[:-2]
                tids = tids[:-2]
                yield history, sid, tids, message, gr.update(), gr.update(value=html.escape(str(exc)), visible=True)
            except Exception:  # noqa: BLE001 - the shopper sees a banner, the log gets the trace
                log.exception("chat turn failed")
                history = history[:-1]
                tids = tids[:-1]
                yield (
                    history, sid, tids, message, gr.update(),
                    gr.update(value="Sorry — something went wrong on our side. Please try again in a moment.", visible=True),
                )

        def on_feedback(sid, tids, data: gr.LikeData):
            index = data.index if isinstance(data.index, int) else data.index[0]
            if not sid or index >= len(tids) or tids[index] is None:
                return
            rating = 1 if data.liked else -1
            try:
                service.sessions.add_feedback(sid, tids[index], rating, by="shopper")
            except KeyError:
                log.warning("feedback for unknown turn %s", tids[index])

        outputs = [chatbot, session_id, turn_ids, box, cards, banner]
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, session_id, turn_ids], outputs, concurrency_limit=None, api_visibility="private")
        chatbot.like(on_feedback, [session_id, turn_ids], None, api_visibility="private")
    demo.kefu_css = COMPACT_CSS if compact else CSS
    return demo
