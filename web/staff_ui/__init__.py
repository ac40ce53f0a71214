"""The staff console (Gradio) at ``/staff``: try answers, read conversations, rate, evaluate, watch, take over.

One module per tab, in the order staff see them:

- **Try it** (``try_it``) — ask as any user id and see everything behind the reply.
- **Conversations** (``conversations``) — search and open past sessions, rate a turn or save it
  as a regression case.
- **Feedback** (``feedback``) — every rating, newest first; a row opens its conversation. The
  saved regression cases, with delete.
- **Evaluation** (``evaluation``) — run the regression cases + the built-in question set
  (``bot.regression``) and see pass/fail with what changed since the previous run.
- **Analytics** (``analytics``) — plots from ``desk.analytics``.
- **Recommendations** (``recommendations``) — impressions, clicks, CTR by reason, coverage and
  concentration over time, and the latest offline evaluation table.
- **Queue** (``queue``) — the handoff queue (``components.desk``): open, take, reply, resolve.

``formatting`` renders replies, turns and handoff packets (pure, tested without gradio).

Access control is not here: ``web/security.py`` guards the whole ``/staff`` path with HTTP
Basic auth, and ``gr.Request.username`` names the staff member. Nothing here answers a
shopper: every turn goes through ``service``.
"""

from web.fonts import FONT_CSS
from web.staff_ui.common import esc, staff_name

__all__ = ["build_staff_ui"]

CSS = FONT_CSS + """
footer {display:none !important}
.kefu-turn {border:1px solid var(--border-color-primary);border-radius:8px;padding:8px 12px;margin:6px 0}
.kefu-turn.user {background:var(--background-fill-secondary)}
.kefu-turn .meta {font-size:12px;color:var(--body-text-color-subdued)}
.kefu-turn details {font-size:12.5px;margin-top:4px}
.kefu-turn pre {white-space:pre-wrap;font-size:12px}
.kefu-turn.staff {border-color:var(--color-accent)}
.kefu-turn.system {font-style:italic;font-size:12.5px;padding:4px 12px}
.kefu-ok {color:#137333;font-weight:600} .kefu-bad {color:#b3261e;font-weight:600}
/* fit the window (1280 px and down to 768 px) without sideways scrolling: long ids and text wrap */
.gradio-container {max-width:100% !important;overflow-x:hidden}
.kefu-turn, .prose {overflow-wrap:anywhere}
.kefu-turn pre, .kefu-turn code {white-space:pre-wrap;overflow-wrap:anywhere}
.table-wrap table {table-layout:fixed;width:100% !important}
.table-wrap td {overflow-wrap:anywhere}
.table-wrap th, .table-wrap th * {overflow-wrap:normal !important;word-break:keep-all !important;hyphens:auto}
@media (max-width: 1000px) {.table-wrap th, .table-wrap td {font-size:12px}}
"""


def build_staff_ui(service, components=None):
    """The staff console ``gr.Blocks``: turns go through ``service``, the rest reads ``components``.

    ``components`` (a ``bot.components.Components``) gives ``.sessions`` and ``.desk``; left out,
    it is the service's own (``service.components``).
    The page's CSS is on ``demo.kefu_css`` for ``gr.mount_gradio_app``.
    """
    import gradio as gr

    from web.staff_ui import analytics, evaluation, recommendations, try_it
    from web.staff_ui.conversations import Conversations
    from web.staff_ui.feedback import Feedback
    from web.staff_ui.queue import Queue

    parts = components if components is not None else service.components
    with gr.Blocks(title="Kefu — staff console") as demo:
        who = gr.Markdown("## Kefu staff console")
        with gr.Tabs() as tabs:
            try_it.build(service)
            conversations = Conversations(parts.sessions)
            conversations.build()
            feedback = Feedback(parts.sessions, conversations, tabs)
            feedback.build()
            evaluation.build(service)
            analytics.build(parts.sessions)
            recommendations.build(parts.sessions, getattr(parts, "recommender", None),
                                  getattr(getattr(parts, "settings", None), "data_dir", None))
            queue = Queue(parts.desk)
            queue.build()

        def greet(request: gr.Request):
            return f"## Kefu staff console\nSigned in as **{esc(staff_name(request))}**."

        def first_load():
            return conversations.rows(""), feedback.rows(False), feedback.case_rows(), queue.rows(False)

        demo.load(greet, None, who, api_visibility="private")
        demo.load(first_load, None, [conversations.table, feedback.table, feedback.cases_table, queue.table],
                  api_visibility="private")
    demo.kefu_css = CSS
    return demo
