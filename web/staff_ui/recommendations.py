"""The "Recommendations" tab: how recommendations perform, from ``desk.analytics`` (Try-it sessions left out).

Plots, over the last N days: impressions and clicks per period; CTR per reason kind per period
(history, taste, also_bought, alternative, popular, sponsored, …; see
:func:`desk.analytics.reason_kind`); catalogue coverage, Gini concentration and the top-10 share per
period. Tables: impressions, clicks and CTR by reason; the most shown items; and the latest offline
evaluation, the newest of: the server's own validation table from fitting its model
(:func:`fit_evaluation`: the ``model.json`` the fit wrote in ``<KEFU_DATA_DIR>/recommender/<model>/`` —
``auto`` scores every candidate on each shopper's last event and serves the best),
``<KEFU_DATA_DIR>/recommender/evaluation.json`` written by ``python -m recommender.evaluate ... --json``,
or the benchmark's ``benchmarks/results/recsys_quality.json`` (:func:`desk.analytics.latest_evaluation`).
The caption says which one is shown.

:func:`view` and :func:`evaluation_view` are pure (no gradio) and tested on a real store.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from web.staff_ui.common import TRY_PREFIX, esc

EMPTY = ("**No recommendations shown in this period yet.** The plots fill in as shoppers see product "
         "suggestions (Try-it sessions are left out); widen *Last N days* to look further back.")
PLOT_NAMES = ("impressions and clicks", "CTR by reason", "coverage and concentration")
REASON_COLORS = {"history": "#1a73e8", "taste": "#1e8e3e", "requested": "#12b5cb", "also_bought": "#f29900",
                 "alternative": "#a142f4", "popular": "#9aa0a6", "sponsored": "#d93025", "other": "#5f6368",
                 "unattributed": "#bdc1c6"}
EVAL_EMPTY = ("*No offline evaluation found* (the server has not fitted a recommender yet: it does on its first "
              "recommendation). Run `python -m recommender.evaluate --interactions CSV --models all "
              "--json <KEFU_DATA_DIR>/recommender/evaluation.json` (or `python -m benchmarks.recsys_quality`) "
              "and refresh.")
#: The split the server's fit validates on (recommender.fitting.last_event_mask).
FIT_SPLIT = "validation: each shopper's last event"


def catalogue_size(recommender) -> int | None:
    """How many products the recommender knows (its ``products``), loading it if the chat has not yet;
    None when it does not say or cannot load."""
    if recommender is None or not hasattr(recommender, "products"):
        return None
    try:
        if not recommender.products and hasattr(recommender, "ready"):
            recommender.ready()
        return len(recommender.products) or None
    except Exception:  # noqa: BLE001 - the tab shows no coverage rather than failing
        return None


def summary_markdown(s: dict) -> str:
    """The line above the plots."""
    if not s.get("impressions"):
        return EMPTY
    coverage = (f" · catalogue coverage **{s['coverage']:.0%}** of {s['catalogue_size']}"
                if s.get("coverage") is not None else "")
    sponsored = f" · sponsored **{s['sponsored_impressions']}**" if s.get("sponsored_impressions") else ""
    return (f"**{s['impressions']}** recommendations shown, **{s['clicks']}** clicked (CTR **{s['ctr']:.1%}**) · "
            f"**{s['items_shown']}** different items{coverage} · concentration (Gini) **{s['gini']:.2f}**{sponsored}")


def view(store, days, catalogue: int | None = None) -> tuple:
    """``(summary, volume, ctr, coverage, by-reason rows, top-item rows)``; plots are long-form frames."""
    import pandas as pd

    from desk import analytics

    frames = analytics.compute_recommendations(
        analytics.load_recommendations(store, days=int(days), exclude_prefix=TRY_PREFIX), catalogue)
    s = frames["summary"]
    fmt = "%m-%d %H:00" if s["bucket"] == "hour" else "%Y-%m-%d"

    def labelled(df):  # one readable label per period, as in the Analytics tab
        # to_datetime: a frame built from a mix of empty and filled parts (no clicks yet) has object periods
        return df.assign(period=pd.to_datetime(df["period"]).dt.strftime(fmt)) if len(df) else df

    plots = (labelled(complete(frames["volume"])), labelled(frames["ctr"]), labelled(frames["coverage"]))
    by_reason = [[r["reason"], r["impressions"], r["clicks"], "" if r["ctr"] is None else f"{r['ctr']:.1%}"]
                 for r in frames["by_reason"].to_dict("records")]
    top = [[r["item_id"], r["impressions"], r["clicks"]] for r in frames["top_items"].to_dict("records")]
    text = summary_markdown(s)
    if s["impressions"]:
        text += empty_note(plots)
    return (text, *plots, by_reason, top)


def complete(volume):
    """The impressions/clicks frame with a 0 for every period a kind is missing from: a period with
    impressions and no click has no "clicks" row, so the clicks line was a lone point nobody could see.

    >>> import pandas as pd
    >>> v = pd.DataFrame({"period": [1, 1, 2], "kind": ["clicks", "impressions", "impressions"], "count": [1, 60, 8]})
    >>> complete(v).values.tolist()
    [[1, 'clicks', 1], [1, 'impressions', 60], [2, 'clicks', 0], [2, 'impressions', 8]]
    """
    import pandas as pd

    if not len(volume):
        return volume
    grid = pd.MultiIndex.from_product([sorted(volume["period"].unique()), sorted(volume["kind"].unique())],
                                      names=["period", "kind"])
    filled = volume.set_index(["period", "kind"])["count"].reindex(grid, fill_value=0).reset_index()
    return filled[list(volume.columns)]


def empty_note(plots) -> str:
    """Which plots have nothing to draw yet (a line needs two periods)."""
    empty = [name for name, df in zip(PLOT_NAMES, plots) if not len(df) or df["period"].nunique() < 2]
    return f"\n\n*Not enough data yet for: {', '.join(empty)}.*" if empty else ""


def model_files(data_dir=None, recommender=None) -> list[Path]:
    """The ``model.json`` of the served model's folder (``recommender.model_dir``) if it has one, else
    of every model folder under ``<data_dir>/recommender/``."""
    own = getattr(recommender, "model_dir", None) if recommender is not None else None
    try:
        if own is not None and (Path(own) / "model.json").is_file():
            return [Path(own) / "model.json"]
    except (TypeError, OSError):
        pass
    return sorted(Path(data_dir).glob("recommender/*/model.json")) if data_dir else []


def fit_evaluation(data_dir=None, recommender=None) -> tuple[Path | None, datetime | None, list[dict], str]:
    """``(file, when written (UTC), rows, served model)`` of the newest fit that recorded validation
    scores, else ``(None, None, [], "")``. Rows are ``{dataset, model, ndcg@20}``, best first: every
    candidate ``auto`` tried (``fit_info["auto_validation_ndcg@20"]``), or the one model's own score
    (``fit_info["validation_ndcg@20"]``, a blend's)."""
    import json

    found = []
    for path in model_files(data_dir, recommender):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            info, served = meta.get("fit_info") or {}, str(meta.get("model") or path.parent.name)
            scores = info.get("auto_validation_ndcg@20")
            if not isinstance(scores, dict) and isinstance(info.get("validation_ndcg@20"), (int, float)):
                scores = {served: info["validation_ndcg@20"]}
            mtime = path.stat().st_mtime
        except (OSError, ValueError, AttributeError):
            continue
        rows = [{"dataset": FIT_SPLIT, "model": str(name), "ndcg@20": float(v)}
                for name, v in (scores or {}).items() if isinstance(v, (int, float))]
        if rows:
            rows.sort(key=lambda r: -r["ndcg@20"])
            found.append((mtime, path, rows, served))
    if not found:
        return None, None, [], ""
    mtime, path, rows, served = max(found, key=lambda f: f[0])
    return path, datetime.fromtimestamp(mtime, timezone.utc).replace(tzinfo=None), rows, served


def evaluation_view(data_dir=None, recommender=None) -> tuple[str, list[str], list[list]]:
    """``(caption, headers, rows)`` of the latest offline evaluation that exists: the server's own fit
    (:func:`fit_evaluation`) or an evaluation file (:func:`desk.analytics.latest_evaluation`), whichever
    was written last; the caption says which."""
    from desk import analytics

    path, when, rows = analytics.latest_evaluation(data_dir)
    fit_path, fit_when, fit_rows, served = fit_evaluation(data_dir, recommender)
    if fit_rows and (not rows or fit_when >= when):
        path, when, rows = fit_path, fit_when, fit_rows
        auto = len(rows) > 1
        chose = (f"`auto` tried {len(rows)} models and serves **{esc(served)}**" if auto
                 else f"serving **{esc(served)}**")
        what = (f"the server's own validation scores from fitting its recommender ({chose}; NDCG@20 on each "
                f"shopper's last event, the model fitted on the rest)")
    elif rows:
        bench = path.name == "recsys_quality.json"
        what = ("the benchmark results file (`python -m benchmarks.recsys_quality`)" if bench
                else "the offline evaluation file (`python -m recommender.evaluate --json`)")
    else:
        return EVAL_EMPTY, ["dataset", "model", *analytics.METRIC_COLUMNS], []
    metrics = [m for m in analytics.METRIC_COLUMNS if any(m in r for r in rows)]
    table = [[r["dataset"], r["model"], *[_fmt(r.get(m)) for m in metrics]] for r in rows]
    caption = (f"Latest offline evaluation: {what} — `{esc(path)}`, written {when:%Y-%m-%d %H:%M} UTC "
               f"({len(rows)} rows).")
    return caption, ["dataset", "model", *metrics], table


def titled(rows: list[list], recommender=None) -> list[list]:
    """``[item, impressions, clicks]`` rows with the product's title after its id (the recommender's
    ``title(item_id)``; blank for an item it does not know): staff do not read ids."""
    def title(item_id) -> str:
        try:
            name = recommender.title(item_id) if recommender is not None and hasattr(recommender, "title") else ""
        except Exception:  # noqa: BLE001 - a title is a nicety; the row stays
            name = ""
        return "" if name == item_id else str(name or "")

    return [[row[0], title(row[0]), *row[1:]] for row in rows]


def _fmt(value):
    return "" if value is None else round(float(value), 4)


def build(store, recommender=None, data_dir=None) -> None:
    """The tab and its events, inside the console's ``gr.Tabs``; it refreshes whenever it is selected."""
    import gradio as gr

    with gr.Tab("Recommendations", id="recommendations") as tab:
        with gr.Row():
            days = gr.Slider(1, 90, value=30, step=1, label="Last N days")
            refresh = gr.Button("Refresh")
        summary = gr.Markdown()
        period = {"x_title": "period", "x_label_angle": -40}
        volume = gr.LinePlot(x="period", y="count", color="kind", title="Recommendations shown and clicked", height=260,
                             y_lim=[0, None], y_title="recommendations", color_title="",
                             color_map={"impressions": "#8ab4f8", "clicks": "#1a73e8"}, **period)
        ctr = gr.LinePlot(x="period", y="ctr", color="reason", title="Click-through rate by reason", height=280,
                          y_lim=[0, 1], y_title="clicks / impressions", color_title="reason",
                          color_map=REASON_COLORS, **period)
        coverage = gr.LinePlot(x="period", y="value", color="metric", height=280, y_lim=[0, 1],
                               title="Catalogue coverage and popularity concentration", y_title="share (0..1)",
                               color_title="metric", **period)
        by_reason = gr.Dataframe(headers=["reason", "impressions", "clicks", "CTR"], interactive=False,
                                 label="By reason", elem_id="rec-by-reason")
        top = gr.Dataframe(headers=["item", "title", "impressions", "clicks"], interactive=False,
                           label="Most shown items", elem_id="rec-top-items",
                           column_widths=["14%", "56%", "15%", "15%"])
        eval_caption = gr.Markdown()
        eval_table = gr.Dataframe(interactive=False, label="Offline evaluation", wrap=True, elem_id="rec-eval")

    def shown(df):
        return gr.update(value=df, visible=bool(len(df)) and df["period"].nunique() >= 2)

    def refresh_view(n_days):
        text, vol, rates, cover, reasons, items = view(store, n_days, catalogue_size(recommender))
        caption, headers, rows = evaluation_view(data_dir, recommender)
        import pandas as pd

        return [text, shown(vol), shown(rates), shown(cover), reasons, titled(items, recommender), caption,
                gr.update(value=pd.DataFrame(rows, columns=headers), visible=bool(rows))]

    outputs = [summary, volume, ctr, coverage, by_reason, top, eval_caption, eval_table]
    refresh.click(refresh_view, days, outputs, api_visibility="private")
    tab.select(refresh_view, days, outputs, api_visibility="private")
