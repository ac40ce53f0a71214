"""The "Conversations" tab: search and open past sessions, rate a turn, save it as a regression case.

Every turn is shown with its details and its ratings. :meth:`Conversations.open_at` is also
how the Feedback tab opens the conversation behind a rating.
"""

from web.staff_ui.common import esc, staff_name
from web.staff_ui.formatting import state_label, turn_html, when_label

NO_TURN = "Open a conversation and pick a turn first."


def _no_choices():
    import gradio as gr

    return gr.update(choices=[], value=None)


class Conversations:
    """The tab over one session store (``components.sessions``); ``build()`` lays it out inside ``gr.Tabs``."""

    def __init__(self, store):
        self.store = store

    # -- what the handlers compute ------------------------------------------------------------
    def rows(self, search) -> list[list]:
        """One row per session (at most 200) matching ``search``, with its 👍/👎 counts."""
        fb: dict[str, tuple[int, int]] = {}
        for f in self.store.feedback():
            up, down = fb.get(f.session_id, (0, 0))
            fb[f.session_id] = (up + (f.rating > 0), down + (f.rating < 0))
        rows = []
        for s in self.store.list_sessions(limit=200, search=(search or "").strip()):
            up, down = fb.get(s["session_id"], (0, 0))
            rows.append([s["session_id"], s["user_id"] or "", when_label(s["updated_at"]), s["turns"],
                         s["first_message"][:120], state_label(s["handoff_state"]), up, down])
        return rows

    def open(self, sid) -> tuple:
        """``(html of every turn, turn dropdown on the last answer, source dropdown)`` for session ``sid``."""
        import gradio as gr

        sid = (sid or "").strip()
        if not sid or self.store.get_session(sid) is None:
            return "<p>No such session.</p>" if sid else "", _no_choices(), _no_choices()
        ratings: dict[int, list] = {}
        for f in self.store.feedback(sid):
            ratings.setdefault(f.turn_id, []).append(f)
        turns = self.store.turns(sid)
        view = "".join(turn_html(t, ratings.get(t.id, [])) for t in turns)
        choices = [(f"#{t.id}: {t.text[:70]}", t.id) for t in turns if t.role == "assistant"]
        last = choices[-1][1] if choices else None
        return view, gr.update(choices=choices, value=last), self.sources_for(sid, last)

    def open_at(self, sid, turn_id) -> tuple:
        """Like :meth:`open`, with ``turn_id`` (when given) picked instead of the last answer."""
        import gradio as gr

        view, picks, sources = self.open(sid)
        if turn_id not in (None, ""):
            picks = gr.update(choices=picks["choices"], value=int(turn_id))
            sources = self.sources_for(sid, int(turn_id))
        return view, picks, sources

    def sources_for(self, sid, turn_id):
        """The source dropdown for one answer: what it retrieved, the first cited one picked."""
        import gradio as gr

        if not sid or turn_id is None:
            return _no_choices()
        turn = next((t for t in self.store.turns(sid) if t.id == turn_id), None)
        data = (turn.data or {}) if turn else {}
        ids = [s["id"] for s in data.get("retrieved") or data.get("sources") or []]
        cited = [s["id"] for s in data.get("sources") or []]
        return gr.update(choices=ids, value=(cited or ids or [None])[0])

    def rate(self, sid, turn_id, comment, rating: int, staff: str) -> tuple:
        """Store a staff rating; ``(status line, refreshed conversation html)``."""
        import gradio as gr

        if not sid or turn_id is None:
            return NO_TURN, gr.update()
        try:
            self.store.add_feedback(sid.strip(), int(turn_id), rating, comment or "", by=f"staff:{staff}")
        except (KeyError, ValueError) as exc:
            return f"Could not rate: {esc(exc)}", gr.update()
        return f"Saved {'👍' if rating > 0 else '👎'} on turn #{turn_id}.", self.open(sid)[0]

    def save_case(self, sid, turn_id, source, facts, abstain, staff: str) -> str:
        """Save the question behind an answer as a regression case (``bot.regression``); a status line."""
        from bot import regression

        if not sid or turn_id is None:
            return NO_TURN
        sid = sid.strip()
        try:
            question = regression.question_for_turn(self.store, sid, int(turn_id))
            session = self.store.get_session(sid)
            case_id = regression.save_case(
                self.store, question, "" if abstain else (source or ""), [] if abstain else (facts or "").splitlines(),
                bool(abstain), user_id=session.user_id if session else None, session_id=sid,
                turn_id=int(turn_id), by=staff,
            )
        except (KeyError, ValueError) as exc:
            return f"Could not save: {esc(exc)}"
        return f"Saved regression case {case_id}: “{esc(question)}”."

    # -- layout and events ----------------------------------------------------------------------
    def build(self) -> None:
        """The tab; its components stay on ``self`` for the Feedback tab and the console's first load."""
        import gradio as gr

        with gr.Tab("Conversations", id="conversations"):
            with gr.Row():
                self.search = gr.Textbox(label="Search messages", placeholder="words in any turn", scale=4)
                self.refresh = gr.Button("Search / refresh", scale=1)
            self.table = gr.Dataframe(
                headers=["session_id", "user_id", "updated", "turns", "first message", "handoff", "👍", "👎"],
                label="Sessions (click a row to open it)", interactive=False, wrap=True, elem_id="conv-table",
                max_chars=60, column_widths=["16%", "9%", "13%", "6%", "32%", "12%", "6%", "6%"],
            )
            with gr.Row():
                self.session_id = gr.Textbox(label="Session id", scale=4, elem_id="conv-id")
                self.open_button = gr.Button("Open", scale=1)
            self.view = gr.HTML(elem_id="conv-view")
            with gr.Accordion("Rate a turn or save it as a regression case", open=True):
                self.turn_pick = gr.Dropdown(label="Assistant turn", choices=[], interactive=True)
                with gr.Row():
                    self.comment = gr.Textbox(label="Comment (optional)", scale=4)
                    self.rate_up = gr.Button("👍", scale=0, min_width=60)
                    self.rate_down = gr.Button("👎", scale=0, min_width=60)
                with gr.Row():
                    self.case_source = gr.Dropdown(label="Expected source", choices=[], allow_custom_value=True,
                                                   scale=3)
                    self.case_abstain = gr.Checkbox(label="Kefu should decline", scale=1)
                self.case_facts = gr.Textbox(label="Key facts (one per line)", lines=2)
                self.case_save = gr.Button("Save as regression case")
                self.status = gr.Markdown()
        self._wire()

    def _wire(self) -> None:
        import gradio as gr

        def pick_session(evt: gr.SelectData):
            row = evt.row_value or []
            return row[0] if row else gr.update()

        def rating(value: int):
            def handler(sid, turn_id, comment, request: gr.Request):
                return self.rate(sid, turn_id, comment, value, staff_name(request))
            return handler

        def save_case(sid, turn_id, source, facts, abstain, request: gr.Request):
            return self.save_case(sid, turn_id, source, facts, abstain, staff_name(request))

        private = {"api_visibility": "private"}
        opened = [self.view, self.turn_pick, self.case_source]
        self.refresh.click(self.rows, self.search, self.table, **private)
        self.search.submit(self.rows, self.search, self.table, **private)
        picked = self.table.select(pick_session, None, self.session_id, **private)
        picked.then(self.open, self.session_id, opened, **private)
        for trigger in (self.open_button.click, self.session_id.submit):
            trigger(self.open, self.session_id, opened, **private)
        self.turn_pick.change(self.sources_for, [self.session_id, self.turn_pick], self.case_source, **private)
        rate_inputs, rate_outputs = [self.session_id, self.turn_pick, self.comment], [self.status, self.view]
        self.rate_up.click(rating(1), rate_inputs, rate_outputs, **private)
        self.rate_down.click(rating(-1), rate_inputs, rate_outputs, **private)
        case_inputs = [self.session_id, self.turn_pick, self.case_source, self.case_facts, self.case_abstain]
        self.case_save.click(save_case, case_inputs, self.status, **private)
