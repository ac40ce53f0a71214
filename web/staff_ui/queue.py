"""The "Queue" tab: the handoff queue (``components.desk``): open a case's packet, take it, reply, resolve.

The table refreshes every five seconds so staff see new cases without clicking.
"""

from web.staff_ui.common import esc, staff_name
from web.staff_ui.formatting import packet_markdown, reason_label, state_label, when_label

# What each action tells the staff member it did; ``reply`` has no case number in it.
DONE = {
    "take": "You took case {id}; the shopper sees that you joined.",
    "resolve": "Case {id} resolved; the bot answers this shopper again.",
    "reply": "Reply sent.",
}


def case_number(value) -> int | None:
    """A case id typed or picked: ``"12"``, ``" 12 "``, ``12.0`` → 12; anything else → None.

    >>> case_number(" 12 "), case_number(3.0), case_number("twelve"), case_number("-1")
    (12, 3, None, None)
    """
    try:
        number = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class Queue:
    """The tab over one ``HandoffDesk``; ``build()`` lays it out inside ``gr.Tabs``."""

    def __init__(self, desk):
        self.desk = desk

    def rows(self, include_resolved) -> list[list]:
        """``[id, state, urgency, position, reason, opened, staff, customer]`` per case, in words staff read
        ("waiting for human", "asked for a person", "2026-12-03 13:34"); the customer is the shopper's user
        id, else the session id."""
        return [[c.id, state_label(c.state), c.urgency, c.position or "", reason_label(c.reason),
                 when_label(c.created_at), c.staff or "", self._customer(c)]
                for c in self.desk.queue(bool(include_resolved))]

    @staticmethod
    def _customer(case) -> str:
        user = ((case.packet or {}).get("customer") or {}).get("user_id")
        return str(user) if user else case.session_id

    def open_case(self, case_id) -> tuple[str, str]:
        """``(packet markdown, status line)`` for one case."""
        if not case_id:
            return "", ""
        if case_number(case_id) is None:
            return "", f"Not a case id: {esc(case_id)}."
        case_id = case_number(case_id)
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
        if case_number(case_id) is None:
            return f"Not a case id: {esc(case_id)}.", gr.update(), gr.update(), gr.update()
        case_id = case_number(case_id)
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
                headers=["id", "state", "urgency", "position", "reason", "opened", "staff", "customer"],
                label="Handoff cases (click a row to open it)", interactive=False, wrap=True,
                # narrow numbers, room for the state ("waiting for human"), the reason and the ids
                column_widths=["5%", "15%", "9%", "8%", "17%", "15%", "9%", "22%"],
            )
            with gr.Row():
                # a textbox: an empty gr.Number shows "0", a case that does not exist
                case_id = gr.Textbox(label="Case id", placeholder="click a row, or type its id", scale=1,
                                     max_lines=1, elem_id="queue-case-id")
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
            picked = (evt.row_value or [None])[0]
            return "" if picked is None else str(picked)

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
