"""The "Evaluation" tab: run the regression cases and the built-in question set, see pass/fail and what changed.

Same run as ``python -m bot.regression``, against the current index and model.
"""

from web.staff_ui.common import esc

# Rows that need a look come first: regressions, then fixes, then new cases.
CHANGE_ORDER = {"regressed": 0, "fixed": 1, "new": 2, "": 3}


def report_view(report: dict) -> tuple[str, list[list]]:
    """A ``bot.regression.evaluate`` report as ``(markdown summary, table rows)``."""
    s, ch = report["summary"], report["changes"]
    verdict = ("<span class='kefu-bad'>REGRESSION</span>" if s["regressed"]
               else "<span class='kefu-ok'>no regression</span>")
    text = (f"### {s['passed']}/{s['cases']} passed — {verdict}\n\n"
            f"{s['regressed']} regressed · {s['fixed']} fixed · {len(ch['new'])} new · "
            f"{len(ch['removed'])} removed since the last run · {s['seconds']} s")
    rows = [[r["key"], "pass" if r["passed"] else "FAIL", r["change"], r["question"], "; ".join(r["reasons"]),
             ", ".join(r["cited"]), r["seconds"]] for r in report["results"]]
    rows.sort(key=lambda row: (CHANGE_ORDER.get(row[2], 3), row[1] == "pass"))
    return text, rows


def run(service, builtin, limit, progress) -> tuple[str, list[list]]:
    """Evaluate ``service``; ``progress(fraction, desc=...)`` is told after every question."""
    from bot import regression

    try:
        report = regression.evaluate(
            service, builtin=bool(builtin), limit=int(limit) if limit else None,
            progress=lambda done, total: progress(done / total, desc=f"{done}/{total} questions"),
        )
    except LookupError as exc:
        return f"**Nothing to evaluate:** {esc(exc)}", []
    return report_view(report)


def build(service) -> None:
    """The tab and its events, inside the console's ``gr.Tabs``."""
    import gradio as gr

    with gr.Tab("Evaluation", id="evaluation"):
        gr.Markdown(
            "Runs the saved regression cases and the built-in question set (one phrasing per FAQ entry, "
            "plus out-of-scope questions) against the current index and model. Same as `python -m bot.regression`."
        )
        with gr.Row():
            builtin = gr.Checkbox(label="Include the built-in question set", value=True)
            limit = gr.Number(label="At most N built-in questions (0 = all)", value=0, precision=0)
            button = gr.Button("Run evaluation", variant="primary")
        summary = gr.Markdown()
        table = gr.Dataframe(headers=["case", "result", "change", "question", "why", "cited", "s"], wrap=True,
                             interactive=False, max_chars=60, elem_id="eval-table",
                             column_widths=["14%", "7%", "10%", "27%", "24%", "12%", "6%"])

    def run_eval(with_builtin, at_most, progress=gr.Progress()):
        return run(service, with_builtin, at_most, progress)

    button.click(run_eval, [builtin, limit], [summary, table], api_visibility="private")
