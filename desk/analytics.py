"""What the staff console's Analytics tab plots, computed from the conversation store.

Two halves: :func:`load` reads raw rows (turns, sessions, handoff cases, recommendation
clicks) from the database, and :func:`compute` turns them into pandas frames in the long
("tidy") form ``gr.LinePlot`` / ``gr.BarPlot`` take (one row per period × series). The
pure half is tested on hand-made rows.

Also here: :func:`record_click` (into ``recommendation_clicks``, declared in
:mod:`desk.tables`), which ``POST /api/recommendations/click`` and the widget's cards call. "Shown" counts come from the recommendations stored with
each assistant turn, so no extra write happens per reply.

Periods are hours when the data spans under two days, else days (UTC).

Example::

    >>> rows = Rows(turns=[Row("user", datetime(2025, 1, 1, 9), {"intent": "refund", "sentiment": {"label": "negative", "polarity": -0.8}})])
    >>> compute(rows)["intents"].to_dict("records")
    [{'period': Timestamp('2025-01-01 09:00:00'), 'intent': 'refund', 'questions': 1}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, true

from desk.tables import ChatSession, HandoffCase, RecommendationClick, Turn, utcnow

if TYPE_CHECKING:  # only for the annotations: the caller hands in a store it already built
    from desk.sessions import ConversationStore


def record_click(store: ConversationStore, item_id: str, session_id: str | None = None, user_id: str | None = None) -> int:
    """Store one click on a recommendation card; returns its id."""

    def op(db) -> int:
        click = RecommendationClick(item_id=item_id, session_id=session_id, user_id=user_id)
        db.add(click)
        db.flush()
        return click.id

    return store.run(op)


@dataclass
class Row:
    """A turn as analytics sees it: role, time and its stored data (intent, sentiment, …)."""

    role: str
    at: datetime
    data: dict = field(default_factory=dict)


@dataclass
class Rows:
    turns: list[Row] = field(default_factory=list)  # user and assistant turns
    sessions: list[datetime] = field(default_factory=list)  # when each conversation started
    handoffs: list[datetime] = field(default_factory=list)  # when each handoff case opened
    clicks: list[datetime] = field(default_factory=list)  # recommendation clicks


def load(store: ConversationStore, days: int = 30, exclude_prefix: str | None = None) -> Rows:
    """The rows of the last ``days`` days; sessions whose id starts with ``exclude_prefix`` are left out."""
    since = utcnow() - timedelta(days=days)

    def keep(column):
        return column.is_(None) | ~column.startswith(exclude_prefix, autoescape=True) if exclude_prefix else true()

    def op(db) -> Rows:
        turns = db.execute(
            select(Turn.role, Turn.created_at, Turn.data).where(
                Turn.created_at >= since, Turn.role.in_(("user", "assistant")), keep(Turn.session_id)
            )
        ).all()
        return Rows(
            turns=[Row(r, at, d or {}) for r, at, d in turns],
            sessions=list(db.scalars(select(ChatSession.created_at).where(ChatSession.created_at >= since, keep(ChatSession.id)))),
            handoffs=list(db.scalars(select(HandoffCase.created_at).where(HandoffCase.created_at >= since, keep(HandoffCase.session_id)))),
            clicks=list(db.scalars(select(RecommendationClick.created_at).where(
                RecommendationClick.created_at >= since, keep(RecommendationClick.session_id)))),
        )

    return store.run(op)


def _bucket(times: list[datetime]) -> str:
    if not times:
        return "h"
    return "h" if max(times) - min(times) < timedelta(days=2) else "D"


def compute(rows: Rows) -> dict:
    """Frames for the plots plus a ``summary`` dict of totals (see the module docstring).

    Keys: ``intents`` (period, intent, questions), ``sentiment`` (label, turns),
    ``sentiment_timeline`` (period, polarity, turns), ``rates`` (period, metric, rate) with
    metric "abstention" / "handoff", ``recommendations`` (period, kind, count) with kind
    "shown" / "clicked", ``summary``.
    """
    import pandas as pd

    all_times = [r.at for r in rows.turns] + rows.sessions + rows.handoffs + rows.clicks
    freq = _bucket(all_times)

    def period(t: datetime):
        return pd.Timestamp(t).floor(freq)

    users = [r for r in rows.turns if r.role == "user"]
    answers = [r for r in rows.turns if r.role == "assistant"]
    # Smalltalk replies are not answers: they never count towards the abstention rate.
    answered = pd.DataFrame(
        [{"period": period(r.at), "abstained": bool(r.data.get("abstained"))} for r in answers if r.data.get("mode") != "smalltalk"],
        columns=["period", "abstained"],
    )
    sentiment, timeline = _sentiment(users, period)
    shown, recs = _recommendations(answers, rows.clicks, period)
    return {
        "intents": _intents(users, period),
        "sentiment": sentiment,
        "sentiment_timeline": timeline,
        "rates": _rates(answered, rows, period),
        "recommendations": recs,
        "summary": _summary(rows, freq, len(users), answered, shown),
    }


def _intents(users: list[Row], period):
    import pandas as pd

    intents = pd.DataFrame(
        [{"period": period(r.at), "intent": str(r.data.get("intent") or "unknown")} for r in users],
        columns=["period", "intent"],
    )
    if not len(intents):
        return pd.DataFrame(columns=["period", "intent", "questions"])
    return intents.groupby(["period", "intent"]).size().reset_index(name="questions")


def _sentiment(users: list[Row], period):
    """(turns per label, mean polarity per period) over the user turns that were scored."""
    import pandas as pd

    moods = pd.DataFrame(
        [
            {
                "period": period(r.at),
                "label": str((r.data.get("sentiment") or {}).get("label", "neutral")),
                "polarity": float((r.data.get("sentiment") or {}).get("polarity", 0.0)),
            }
            for r in users
            if r.data.get("sentiment")
        ],
        columns=["period", "label", "polarity"],
    )
    if not len(moods):
        return pd.DataFrame(columns=["label", "turns"]), pd.DataFrame(columns=["period", "polarity", "turns"])
    sentiment = moods.groupby("label").size().reset_index(name="turns")
    timeline = moods.groupby("period").agg(polarity=("polarity", "mean"), turns=("polarity", "size")).reset_index()
    timeline["polarity"] = timeline["polarity"].round(3)
    return sentiment, timeline


def _rates(answered, rows: Rows, period):
    import pandas as pd

    rate_rows = []
    if len(answered):
        for p, grp in answered.groupby("period"):
            rate_rows.append({"period": p, "metric": "abstention", "rate": round(float(grp["abstained"].mean()), 3)})
    started = pd.Series([period(t) for t in rows.sessions], dtype="datetime64[ns]").value_counts()
    opened = pd.Series([period(t) for t in rows.handoffs], dtype="datetime64[ns]").value_counts()
    for p, n in started.sort_index().items():
        rate_rows.append({"period": p, "metric": "handoff", "rate": round(float(opened.get(p, 0)) / float(n), 3)})
    return pd.DataFrame(rate_rows, columns=["period", "metric", "rate"]).sort_values(["metric", "period"]).reset_index(drop=True)


def _recommendations(answers: list[Row], clicks: list[datetime], period):
    """(how many were shown in all, shown/clicked counts per period)."""
    import pandas as pd

    shown_rows = [{"period": period(r.at), "kind": "shown", "n": len(r.data.get("recommendations") or [])} for r in answers]
    click_rows = [{"period": period(t), "kind": "clicked", "n": 1} for t in clicks]
    recs = pd.DataFrame(shown_rows + click_rows, columns=["period", "kind", "n"])
    recs = recs[recs["n"] > 0]
    recs = (
        recs.groupby(["period", "kind"])["n"].sum().reset_index(name="count")
        if len(recs)
        else pd.DataFrame(columns=["period", "kind", "count"])
    )
    return int(sum(r["n"] for r in shown_rows)), recs


def _summary(rows: Rows, freq: str, questions: int, answered, shown: int) -> dict:
    return {
        "bucket": "hour" if freq == "h" else "day",
        "questions": questions,
        "conversations": len(rows.sessions),
        "abstention_rate": round(float(answered["abstained"].mean()), 3) if len(answered) else 0.0,
        "handoff_rate": round(len(rows.handoffs) / len(rows.sessions), 3) if rows.sessions else 0.0,
        "recommendations_shown": shown,
        "recommendations_clicked": len(rows.clicks),
        "click_through_rate": round(len(rows.clicks) / shown, 3) if shown else 0.0,
    }
