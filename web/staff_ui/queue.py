"""The "Queue" tab: the handoff queue (``components.desk``): open a case's packet, take it, reply, resolve.

The table refreshes every five seconds so staff see new cases without clicking.
"""

from web.staff_ui.common import esc, staff_name
from web.staff_ui.formatting import packet_markdown

# What each action tells the staff member it did; ``reply`` has no case number in it.
DONE = {
    "take": "You took case {id}; the shopper sees that you joined.",
    "resolve": "Case {id} resolved; the bot answers this shopper again.",
    "reply": "Reply sent.",
}


class Queue:
    """The tab over one ``HandoffDesk``; ``build()`` lays it out inside ``gr.Tabs``."""

    def __init__(self, desk):
        self.desk = desk

    def rows(self, include_resolved) -> list[list]:
        """``[id, state, urgency, position, reason, opened, staff, session_id]`` per case."""
        return [[c.id, c.state, c.urgency, c.position or "", c.reason, c.created_at, c.staff or "", c.session_id]
                for c in self.desk.queue(bool(include_resolved))]

    def open_case(self, case_id) -> tuple[str, str]:
        """``(packet markdown, status line)`` for one case."""
        if not case_id:
            return "", ""
        try:
            return packet_markdown(self.desk.get(int(case_id)).to_api()), ""
        except KeyError:
            return "", f"No case {int(case_id)}."

    def act(self, action: str, case_id, text, include_resolved, staff: str) -> tuple:
        """``take``, ``resolve`` or ``reply`` as ``staff``; ``(status, packet, table, reply box)``."""
        import gradio as gr

        from desk.handoff import InvalidTransition

        if not case_id:
            return "Pick a case first.", gr.update(), gr.update(), gr.update()
        try:
            if action == "take":
                self.desk.take(int(case_id), staff)
            elif action == "resolve":
                self.desk.resolve(int(case_id), staff)
            else:
                self.desk.reply(int(case_id), staff, text or "")
        except KeyError:
            return f"No case {int(case_id)}.", gr.update(), gr.update(), gr.update()
        except (InvalidTransition, ValueError) as exc:
            return f"Not done: {esc(exc)}", gr.update(), gr.update(), gr.update()
        msg = DONE.get(action, DONE["reply"]).format(id=int(case_id))
        return msg, self.open_case(case_id)[0], self.rows(include_resolved), "" if action == "reply" else gr.update()

    def build(self) -> None:
        """The tab and its events; ``self.table`` is filled by the console's first load."""
        import gradio as gr

        with gr.Tab("Queue", id="queue"):
            with gr.Row():
                include_resolved = gr.Checkbox(label="Include resolved", value=False)
                refresh = gr.Button("Refresh")
            self.table = gr.Dataframe(
                headers=["id", "state", "urgency", "position", "reason", "opened", "staff", "session_id"],
                label="Handoff cases (click a row to open it)", interactive=False, wrap=True,
                # narrow numbers, room for the state ("waiting_for_human") and the ids
                column_widths=["5%", "17%", "9%", "8%", "14%", "14%", "9%", "24%"],
            )
            with gr.Row():
                case_id = gr.Number(label="Case id", precision=0, scale=1)
                open_button = gr.Button("Open", scale=1)
                take = gr.Button("Take", variant="primary", scale=1)
                resolve = gr.Button("Resolve", scale=1)
            packet = gr.Markdown()
            with gr.Row():
                text = gr.Textbox(label="Reply to the shopper", scale=5)
                send = gr.Button("Send reply", scale=1)
            status = gr.Markdown()
            timer = gr.Timer(5.0)

        def pick_case(evt: gr.SelectData):
            return (evt.row_value or [None])[0]

        def doing(action: str):
            def handler(cid, reply_text, with_resolved, request: gr.Request):
                return self.act(action, cid, reply_text, with_resolved, staff_name(request))
            return handler

        private = {"api_visibility": "private"}
        refresh.click(self.rows, include_resolved, self.table, **private)
        include_resolved.change(self.rows, include_resolved, self.table, **private)
        timer.tick(self.rows, include_resolved, self.table, show_progress="hidden", **private)
        picked = self.table.select(pick_case, None, case_id, **private)
        picked.then(self.open_case, case_id, [packet, status], **private)
        open_button.click(self.open_case, case_id, [packet, status], **private)
        inputs, outputs = [case_id, text, include_resolved], [status, packet, self.table, text]
        take.click(doing("take"), inputs, outputs, **private)
        resolve.click(doing("resolve"), inputs, outputs, **private)
        for trigger in (send.click, text.submit):
            trigger(doing("reply"), inputs, outputs, **private)
