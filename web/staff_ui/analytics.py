"""The "Analytics" tab: plots from ``desk.analytics`` over the last N days, Try-it sessions left out."""

from web.staff_ui.common import TRY_PREFIX


EMPTY = ("**No shopper questions in this period yet.** The plots fill in as shoppers chat "
         "(Try-it sessions are left out); widen *Last N days* to look further back.")


def summary_markdown(s: dict) -> str:
    """The line above the plots: questions, conversations, abstention and handoff rates, recommendation CTR."""
    if not s.get("questions"):
        return EMPTY
    return (
        f"**{s['questions']}** questions in **{s['conversations']}** conversations · abstention "
        f"**{s['abstention_rate']:.0%}** · handoff **{s['handoff_rate']:.0%}** · recommendations shown "
        f"**{s['recommendations_shown']}**, clicked **{s['recommendations_clicked']}** "
        f"(CTR {s['click_through_rate']:.0%})"
    )


def view(store, days) -> tuple:
    """``(summary, intents, rates, sentiment, sentiment timeline, recommendations)`` for the plots."""
    from desk import analytics

    frames = analytics.compute(analytics.load(store, days=int(days), exclude_prefix=TRY_PREFIX))
    s = frames["summary"]
    fmt = "%m-%d %H:00" if s["bucket"] == "hour" else "%Y-%m-%d"

    def labelled(df):  # one readable label per period (a time axis printed "02 PM02:05" on top of each other)
        return df.assign(period=df["period"].dt.strftime(fmt)) if len(df) else df

    plots = (labelled(frames["intents"]), labelled(frames["rates"]), frames["sentiment"],
             labelled(frames["sentiment_timeline"]), labelled(frames["recommendations"]))
    return (summary_markdown(s) + (empty_note(plots) if s["questions"] else ""), *plots)


PLOT_NAMES = ("questions per intent", "abstention and handoff rate", "sentiment", "sentiment over time",
              "recommendations")
LINES = (1, 3)  # the line plots: a line needs two periods


def empty_note(plots) -> str:
    """Which plots have nothing to draw yet (an empty plot looks broken rather than empty)."""
    empty = [name for i, (name, df) in enumerate(zip(PLOT_NAMES, plots))
             if not len(df) or (i in LINES and df["period"].nunique() < 2)]
    return f"\n\n*Not enough data yet for: {', '.join(empty)}.*" if empty else ""


# Twenty distinguishable colours: the plot's default palette has ten, so the eleventh intent of a
# demo day ("unknown") was drawn in the first one's blue and the legend could not tell them apart.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#d62728", "#9467bd", "#c5b0d5", "#8c564b",
           "#17becf", "#7f7f7f")


def intent_colors(df) -> dict:
    """One colour per intent in ``df`` (sorted names, so an intent keeps its colour across refreshes of the
    same set); past twenty the colours repeat.

    >>> import pandas as pd
    >>> colours = intent_colors(pd.DataFrame({"intent": [f"i{n:02d}" for n in range(11)]}))
    >>> len(set(colours.values())), colours["i00"] != colours["i10"]
    (11, True)
    """
    names = sorted(map(str, df["intent"].unique())) if len(df) and "intent" in df else []
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def shown(plots) -> list:
    """The plot updates: hidden while they have nothing to draw (see :func:`empty_note`); the intents plot
    with a colour per intent (:func:`intent_colors`)."""
    import gradio as gr

    updates = [gr.update(value=df, visible=bool(len(df)) and (i not in LINES or df["period"].nunique() >= 2))
               for i, df in enumerate(plots)]
    if len(plots[0]):
        updates[0]["color_map"] = intent_colors(plots[0])
    return updates


def build(store) -> None:
    """The tab and its events, inside the console's ``gr.Tabs``; it refreshes whenever it is selected."""
    import gradio as gr

    with gr.Tab("Analytics", id="analytics") as tab:
        with gr.Row():
            days = gr.Slider(1, 90, value=30, step=1, label="Last N days")
            refresh = gr.Button("Refresh")
        summary = gr.Markdown()
        # One plot per row: side by side at 1280 px the legends were cut off and the time labels collided.
        period = {"x_title": "period", "x_label_angle": -40}
        intents = gr.BarPlot(x="period", y="questions", color="intent", title="Questions per intent", height=300,
                             y_lim=[0, None], y_title="questions", color_title="intent", **period)
        rates = gr.LinePlot(x="period", y="rate", color="metric", title="Abstention and handoff rate", y_lim=[0, 1],
                            height=280, y_title="share of answers", color_title="metric", **period)
        sentiment = gr.BarPlot(x="label", y="turns", color="label", title="Sentiment of shopper messages", height=260,
                               y_lim=[0, None], x_title="sentiment", y_title="messages", color_title="sentiment",
                               color_map={"negative": "#d93025", "neutral": "#9aa0a6", "positive": "#1e8e3e"})
        timeline = gr.LinePlot(x="period", y="polarity", title="Mean sentiment over time", y_lim=[-1, 1], height=260,
                               y_title="mean polarity (−1..1)", **period)
        recs = gr.BarPlot(x="period", y="count", color="kind", title="Recommendations shown and clicked", height=260,
                          y_lim=[0, None], y_title="recommendations", color_title="",
                          color_map={"shown": "#8ab4f8", "clicked": "#1a73e8"}, **period)

    def analytics_view(n_days):
        summary_text, *plots = view(store, n_days)
        return [summary_text, *shown(plots)]

    outputs = [summary, intents, rates, sentiment, timeline, recs]
    refresh.click(analytics_view, days, outputs, api_visibility="private")
    tab.select(analytics_view, days, outputs, api_visibility="private")
