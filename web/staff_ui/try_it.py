"""The "Try it" tab: ask as any user id and see everything behind the reply.

Shows the retrieved sources with scores and the text the model read, which were cited,
intent, sentiment, the grounding check per sentence, recommendations with reasons and
latency per stage. These sessions get ids starting ``staff-try-`` (left out of Analytics).
"""

import uuid

from web.chat_render import cjk_spacing
from web.staff_ui.common import TRY_PREFIX, esc
from web.staff_ui.formatting import check_rows, latency_rows, rec_rows, reply_summary, source_rows, source_texts


NO_CHECKS = ("*No generated sentences in this reply: it was composed from the catalogue or quoted from the "
             "sources, so there was nothing for the grounding check to test.*")


def answer_markdown(d: dict) -> str:
    """The reply with its citations listed below it: ``[1] Return window (`r#window`)``."""
    answer = cjk_spacing(d["reply"]) or "*(no reply: a person has this conversation)*"  # as the shopper sees it
    if d.get("sources"):
        answer += "\n\n" + "  \n".join(f"[{n}] {s['title']} (`{s['id']}`)" for n, s in enumerate(d["sources"], 1))
    return answer


def ask(service, question, user_id, keep, sid) -> tuple:
    """One turn through ``service``: ``(answer, meta, sources, latency, recs, texts, checks, session_id)``.

    A fresh ``staff-try-`` session unless ``keep`` and there is one (``sid``) to continue.
    """
    from bot.errors import BadInput

    sid = sid if keep and sid else f"{TRY_PREFIX}{uuid.uuid4().hex[:16]}"
    try:
        reply = service.turn(question, session_id=sid, user_id=(user_id or "").strip() or None, client=None)
    except BadInput as exc:
        return (f"**Refused:** {esc(exc)}", "", [], [], [], "", [], sid)
    d = reply.to_dict()
    meta = reply_summary(d) + f" · session `{d['session_id']}` · turn {d.get('turn_id')}"
    return (answer_markdown(d), meta, source_rows(d), latency_rows(d), rec_rows(d), source_texts(d), check_rows(d),
            d["session_id"])


def build(service) -> None:
    """The tab and its events, inside the console's ``gr.Tabs``."""
    import gradio as gr

    with gr.Tab("Try it", id="try"):
        session = gr.State(None)
        with gr.Row():
            question = gr.Textbox(label="Question", placeholder="Ask as a shopper would…", scale=5,
                                  elem_id="try-question")
            user = gr.Textbox(label="As user id", placeholder="e.g. u0001 (optional)", scale=2)
        with gr.Row():
            keep = gr.Checkbox(label="Continue the same conversation", value=False)
            button = gr.Button("Ask", variant="primary", elem_id="try-ask")
        reply = gr.Markdown(elem_id="try-reply")
        meta = gr.Markdown()
        with gr.Row():
            sources = gr.Dataframe(headers=["id", "title", "kind", "score", "cited"], label="Retrieved sources",
                                   scale=3, wrap=True, column_widths=["34%", "36%", "10%", "10%", "10%"])
            latency = gr.Dataframe(headers=["stage", "ms"], label="Latency", scale=1)
        recs = gr.Dataframe(headers=["item_id", "title", "score", "reason"], label="Recommendations", wrap=True,
                            column_widths=["12%", "33%", "10%", "45%"], visible=False)
        with gr.Accordion("Text of the retrieved sources", open=False):
            texts = gr.Markdown()
        with gr.Accordion("Grounding check per generated sentence", open=False):
            checks_note = gr.Markdown()
            checks = gr.Dataframe(headers=["sentence", "verdict", "why", "score"], wrap=True, visible=False)

    def on_ask(q, user_id, keep_going, sid):
        answer, meta_line, src, lat, rec, text, check, new_sid = ask(service, q, user_id, keep_going, sid)
        # empty tables (headers over nothing) read as broken: hide them and say why there is nothing
        if not rec and answer and not answer.startswith("**Refused"):
            meta_line += " · no recommendations for this turn"
        return (answer, meta_line, src, lat, gr.update(value=rec, visible=bool(rec)), text,
                NO_CHECKS if not check else "", gr.update(value=check, visible=bool(check)), new_sid)

    outputs = [reply, meta, sources, latency, recs, texts, checks_note, checks, session]
    for trigger in (button.click, question.submit):
        trigger(on_ask, [question, user, keep, session], outputs, api_visibility="private")
