"""The "Analytics" tab: plots from ``desk.analytics`` over the last N days, Try-it sessions left out."""

from web.staff_ui.common import TRY_PREFIX


def summary_markdown(s: dict) -> str:
    """The line above the plots: questions, conversations, abstention and handoff rates, recommendation CTR."""
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

    def labelled(df):  # bar charts read better with one labelled bar per period
        return df.assign(period=df["period"].dt.strftime(fmt)) if len(df) else df

    return (summary_markdown(s), labelled(frames["intents"]), frames["rates"], frames["sentiment"],
            frames["sentiment_timeline"], labelled(frames["recommendations"]))


def build(store) -> None:
    """The tab and its events, inside the console's ``gr.Tabs``; it refreshes whenever it is selected."""
    import gradio as gr

    with gr.Tab("Analytics", id="analytics") as tab:
        with gr.Row():
            days = gr.Slider(1, 90, value=30, step=1, label="Last N days")
            refresh = gr.Button("Refresh")
        summary = gr.Markdown()
        with gr.Row():
            intents = gr.BarPlot(x="period", y="questions", color="intent", title="Questions per intent",
                                 height=280, y_lim=[0, None])
            rates = gr.LinePlot(x="period", y="rate", color="metric", title="Abstention and handoff rate",
                                y_lim=[0, 1], height=280)
        with gr.Row():
            sentiment = gr.BarPlot(x="label", y="turns", color="label", title="Sentiment of shopper messages",
                                   height=260, y_lim=[0, None],
                                   color_map={"negative": "#d93025", "neutral": "#9aa0a6", "positive": "#1e8e3e"})
            timeline = gr.LinePlot(x="period", y="polarity", title="Mean sentiment over time", y_lim=[-1, 1],
                                   height=260)
        recs = gr.BarPlot(x="period", y="count", color="kind", title="Recommendations shown and clicked", height=260,
                          y_lim=[0, None], color_map={"shown": "#8ab4f8", "clicked": "#1a73e8"})

    def analytics_view(n_days):
        return view(store, n_days)

    outputs = [summary, intents, rates, sentiment, timeline, recs]
    refresh.click(analytics_view, days, outputs, api_visibility="private")
    tab.select(analytics_view, days, outputs, api_visibility="private")
