"""The "Feedback" tab: every rating, newest first (👎 only on request), and the saved regression cases.

Clicking a rating opens its conversation in the Conversations tab with the rated answer
picked; a regression case can be deleted by id.
"""


def _question_before(turns_by_id: dict, answer) -> str:
    """The shopper message an answer replied to: the last user turn before it (``""`` if none)."""
    earlier = [t for t in turns_by_id.values() if t.id < answer.id and t.role == "user"]
    return earlier[-1].text if earlier else ""


class Feedback:
    """The tab over ``store``; opens conversations through ``conversations`` and switches ``tabs`` to it."""

    def __init__(self, store, conversations, tabs):
        self.store, self.conversations, self.tabs = store, conversations, tabs

    def rows(self, only_bad) -> list[list]:
        """``[when, rating, by, session_id, turn, question, answer, comment]`` per rating, newest first."""
        rows = []
        turns_cache: dict[str, dict] = {}  # session id -> {turn id: turn}
        for f in reversed(self.store.feedback()):
            if only_bad and f.rating > 0:
                continue
            if f.session_id not in turns_cache:
                turns_cache[f.session_id] = {t.id: t for t in self.store.turns(f.session_id)}
            by_id = turns_cache[f.session_id]
            answer = by_id.get(f.turn_id)
            question = _question_before(by_id, answer) if answer is not None else ""
            rows.append([f.created_at.isoformat(sep=" ", timespec="seconds"), "👍" if f.rating > 0 else "👎", f.by,
                         f.session_id, f.turn_id, question[:100], (answer.text if answer else "")[:140], f.comment])
        return rows

    def case_rows(self) -> list[list]:
        from bot import regression

        return [[c["id"], c["question"], c["expected_source"], "; ".join(c["key_facts"]),
                 "yes" if c["expect_abstain"] else "", c["created_by"], c["created_at"]]
                for c in regression.list_cases(self.store)]

    def delete_case(self, case_id) -> list[list]:
        """Delete a regression case (an unknown or empty id does nothing); the refreshed case table."""
        from bot import regression

        try:
            regression.delete_case(self.store, int(str(case_id).strip()))
        except (KeyError, TypeError, ValueError):
            pass
        return self.case_rows()

    def open_row(self, row: list) -> tuple:
        """``(tabs, session id, view, turn pick, source pick)`` for a clicked rating row; no change without one."""
        import gradio as gr

        if len(row) < 5 or not row[3]:
            return gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        view, picks, sources = self.conversations.open_at(row[3], row[4])
        return gr.Tabs(selected="conversations"), row[3], view, picks, sources

    def build(self) -> None:
        """The tab and its events, inside the console's ``gr.Tabs``; after the Conversations tab."""
        import gradio as gr

        with gr.Tab("Feedback", id="feedback"):
            with gr.Row():
                self.only_bad = gr.Checkbox(label="👎 only", value=False)
                refresh = gr.Button("Refresh")
            self.table = gr.Dataframe(
                headers=["when", "rating", "by", "session_id", "turn", "question", "answer", "comment"],
                label="Ratings (click a row to open the conversation)", interactive=False, wrap=True,
                elem_id="fb-table", max_chars=60,
                column_widths=["12%", "6%", "9%", "13%", "5%", "20%", "23%", "12%"],
            )
            gr.Markdown("#### Regression cases")
            self.cases_table = gr.Dataframe(
                headers=["id", "question", "expected source", "key facts", "decline", "by", "created"],
                interactive=False, wrap=True, max_chars=60, elem_id="cases-table",
                column_widths=["5%", "27%", "18%", "22%", "7%", "8%", "13%"],
            )
            with gr.Row():
                # a textbox: an empty gr.Number shows "0", a case that does not exist
                case_id = gr.Textbox(label="Case id", placeholder="id of the case to delete", scale=1, max_lines=1)
                delete = gr.Button("Delete case", variant="stop", scale=1)

        def open_from_feedback(evt: gr.SelectData):
            return self.open_row(evt.row_value or [])

        c = self.conversations
        private = {"api_visibility": "private"}
        refreshed = refresh.click(self.rows, self.only_bad, self.table, **private)
        refreshed.then(self.case_rows, None, self.cases_table, **private)
        self.only_bad.change(self.rows, self.only_bad, self.table, **private)
        opened = [self.tabs, c.session_id, c.view, c.turn_pick, c.case_source]
        self.table.select(open_from_feedback, None, opened, **private)
        delete.click(self.delete_case, case_id, self.cases_table, **private)
