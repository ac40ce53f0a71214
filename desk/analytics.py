"""What the staff console's Analytics tab plots, computed from the conversation store.

Two halves: :func:`load` reads raw rows (turns, sessions, handoff cases, recommendation
clicks) from the database, and :func:`compute` turns them into pandas frames in the long
("tidy") form ``gr.LinePlot`` / ``gr.BarPlot`` take (one row per period × series). The
pure half is tested on hand-made rows.

Also here: :func:`record_click` (into ``recommendation_clicks``, declared in
:mod:`desk.tables`), which ``POST /api/recommendations/click`` and the widget's cards call. "Shown" counts come from the recommendations stored with
each assistant turn, so no extra write happens per reply.

Periods are hours when the data spans under two days, else days (UTC).

The second half (:func:`load_recommendations`, :func:`compute_recommendations`,
:func:`latest_evaluation`) is what the Recommendations tab plots: impressions, clicks and CTR by
reason kind, catalogue coverage and popularity concentration over time, and the latest offline
evaluation table; :func:`record_impressions` stores recommendations shown outside the chat.

Example::

    >>> rows = Rows(turns=[Row("user", datetime(2025, 1, 1, 9), {"intent": "refund", "sentiment": {"label": "negative", "polarity": -0.8}})])
    >>> compute(rows)["intents"].to_dict("records")
    [{'period': Timestamp('2025-01-01 09:00:00'), 'intent': 'refund', 'questions': 1}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
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


# == recommendation monitoring (the staff console's Recommendations tab) ==========================
# Impressions: the recommendations stored with each assistant turn (the chat) plus the rows of
# ``recommendation_impressions`` (surfaces that store no turn: GET /api/recommend, widgets), one per
# item shown. A click counts for the latest impression of the same item in the same session (else
# to the same user) at or before it; a click with none is "unattributed". Reason kinds:
# :func:`reason_kind`. Coverage: the share of the catalogue shown at least once in a period;
# concentration: the Gini coefficient of impressions over the catalogue's items (0 = every item
# shown equally, 1 = one item gets them all) and the share going to the 10 most shown items.

UNATTRIBUTED = "unattributed"
# The reason kind of a chat recommendation whose reason text is not a known template, by the
# turn's intent (bot.recommendation_policy decides what a turn shows by it).
_KIND_BY_INTENT = {"recommend": "requested", "product_question": "also_bought", "complaint": "alternative"}


def reason_kind(rec: dict, intent: str | None = None) -> str:
    """What a recommendation's reason is: "sponsored" (``"sponsored": true``), the rec's own
    ``reason_kind`` when it carries one, else read from its reason text (the templates in
    :data:`bot.prompts.REASON_TEXT`: "history", "taste", "also_bought", "alternative", "popular"),
    else from the turn's ``intent``, else "other".

    >>> reason_kind({"reason": "because you bought Apex Rush"}), reason_kind({"sponsored": True, "reason": "x"})
    ('history', 'sponsored')
    >>> reason_kind({"reason": "racing, rated E10+"}, intent="recommend")
    'requested'
    """
    from bot.prompts import REASON_GROUP, parse_reason

    if rec.get("sponsored"):
        return "sponsored"
    if rec.get("reason_kind"):
        return REASON_GROUP.get(str(rec["reason_kind"]), str(rec["reason_kind"]))[:32]
    parsed = parse_reason(str(rec.get("reason") or ""))
    if parsed:
        return REASON_GROUP[parsed[0]]
    return _KIND_BY_INTENT.get(intent or "", "other")


def record_impressions(store: ConversationStore, recommendations: list[dict], session_id: str | None = None,
                       user_id: str | None = None, surface: str = "api") -> int:
    """Store the recommendations shown outside the chat (one row per item, in list order); returns
    how many. The chat's own are stored with its turns: do not record those again here."""
    from desk.tables import RecommendationImpression

    rows = [RecommendationImpression(item_id=str(r["item_id"])[:128], reason_kind=reason_kind(r),
                                     sponsored=bool(r.get("sponsored")), position=i, surface=surface[:16],
                                     session_id=session_id, user_id=user_id)
            for i, r in enumerate(recommendations) if r.get("item_id")]
    if not rows:
        return 0

    def op(db) -> int:
        db.add_all(rows)
        return len(rows)

    return store.run(op)


@dataclass
class Impression:
    at: datetime
    item_id: str
    kind: str  # reason kind
    session_id: str | None = None
    user_id: str | None = None
    surface: str = "chat"


@dataclass
class Click:
    at: datetime
    item_id: str
    session_id: str | None = None
    user_id: str | None = None


@dataclass
class RecRows:
    impressions: list[Impression] = field(default_factory=list)
    clicks: list[Click] = field(default_factory=list)


def chat_impressions(session_id: str | None, user_id: str | None, at: datetime, data: dict) -> list[Impression]:
    """The impressions one stored assistant turn holds (its ``data["recommendations"]``)."""
    intent = data.get("intent")
    return [Impression(at, str(r["item_id"]), reason_kind(r, intent), session_id, user_id)
            for r in data.get("recommendations") or [] if isinstance(r, dict) and r.get("item_id")]


def load_recommendations(store: ConversationStore, days: int = 30, exclude_prefix: str | None = None) -> RecRows:
    """Impressions (chat turns + ``recommendation_impressions``) and clicks of the last ``days`` days."""
    from desk.tables import RecommendationImpression

    since = utcnow() - timedelta(days=days)

    def keep(column):
        return column.is_(None) | ~column.startswith(exclude_prefix, autoescape=True) if exclude_prefix else true()

    def op(db) -> RecRows:
        turns = db.execute(
            select(Turn.session_id, ChatSession.user_id, Turn.created_at, Turn.data)
            .join(ChatSession, ChatSession.id == Turn.session_id)
            .where(Turn.created_at >= since, Turn.role == "assistant", keep(Turn.session_id))
        ).all()
        impressions = [i for sid, uid, at, data in turns for i in chat_impressions(sid, uid, at, data or {})]
        impressions += [
            Impression(at, item, kind, sid, uid, surface) for item, kind, sid, uid, surface, at in db.execute(
                select(RecommendationImpression.item_id, RecommendationImpression.reason_kind,
                       RecommendationImpression.session_id, RecommendationImpression.user_id,
                       RecommendationImpression.surface, RecommendationImpression.created_at)
                .where(RecommendationImpression.created_at >= since, keep(RecommendationImpression.session_id)))
        ]
        clicks = [Click(at, item, sid, uid) for item, sid, uid, at in db.execute(
            select(RecommendationClick.item_id, RecommendationClick.session_id, RecommendationClick.user_id,
                   RecommendationClick.created_at)
            .where(RecommendationClick.created_at >= since, keep(RecommendationClick.session_id)))]
        return RecRows(impressions, clicks)

    return store.run(op)


def attribute_clicks(rows: RecRows) -> list[tuple[Click, str]]:
    """Each click with the reason kind of the impression it followed (see the section comment)."""
    by_session: dict[tuple[str, str], list[Impression]] = {}
    by_user: dict[tuple[str, str], list[Impression]] = {}
    for imp in sorted(rows.impressions, key=lambda i: i.at):
        if imp.session_id:
            by_session.setdefault((imp.session_id, imp.item_id), []).append(imp)
        if imp.user_id:
            by_user.setdefault((imp.user_id, imp.item_id), []).append(imp)

    def latest(found: list[Impression] | None, at: datetime) -> Impression | None:
        before = [i for i in found or [] if i.at <= at]
        return before[-1] if before else None

    out = []
    for click in rows.clicks:
        imp = (latest(by_session.get((click.session_id, click.item_id)), click.at) if click.session_id else None) or (
            latest(by_user.get((click.user_id, click.item_id)), click.at) if click.user_id else None)
        out.append((click, imp.kind if imp else UNATTRIBUTED))
    return out


def gini(counts, n_items: int | None = None) -> float:
    """Gini coefficient of ``counts`` (impressions per item), padded with zeros up to ``n_items``.

    >>> gini([5, 5, 5, 5]), gini([10], n_items=4), gini([])
    (0.0, 0.75, 0.0)
    """
    import numpy as np

    x = np.sort(np.asarray(list(counts), dtype=np.float64))
    if n_items and n_items > len(x):
        x = np.concatenate([np.zeros(n_items - len(x)), x])
    n, total = len(x), float(x.sum())
    if not n or total <= 0:
        return 0.0
    return round(float((2 * np.sum(np.arange(1, n + 1) * x) / (n * total)) - (n + 1) / n), 4)


def compute_recommendations(rows: RecRows, catalogue_size: int | None = None) -> dict:
    """Frames for the Recommendations tab, long form like :func:`compute`.

    Keys: ``volume`` (period, kind "impressions"/"clicks", count); ``ctr`` (period, reason, ctr);
    ``by_reason`` (reason, impressions, clicks, ctr; one row per reason kind, unattributed clicks last);
    ``coverage`` (period, metric, value) with metric "coverage" (only with ``catalogue_size``),
    "gini" and "top10_share"; ``top_items`` (item_id, impressions, clicks; the 10 most shown);
    ``summary``.
    """
    import pandas as pd

    freq = _bucket([i.at for i in rows.impressions] + [c.at for c in rows.clicks])

    def period(t: datetime):
        return pd.Timestamp(t).floor(freq)

    imps = pd.DataFrame([{"period": period(i.at), "item_id": i.item_id, "reason": i.kind} for i in rows.impressions],
                        columns=["period", "item_id", "reason"])
    clicks = pd.DataFrame([{"period": period(c.at), "item_id": c.item_id, "reason": kind}
                           for c, kind in attribute_clicks(rows)], columns=["period", "item_id", "reason"])
    volume = pd.concat([imps.groupby("period").size().reset_index(name="count").assign(kind="impressions"),
                        clicks.groupby("period").size().reset_index(name="count").assign(kind="clicks")])
    volume = volume[["period", "kind", "count"]].sort_values(["kind", "period"]).reset_index(drop=True)

    shown = imps.groupby(["period", "reason"]).size().rename("impressions")
    hit = clicks.groupby(["period", "reason"]).size().rename("clicks")
    ctr = pd.concat([shown, hit], axis=1).fillna(0).reset_index()
    ctr = ctr[ctr["impressions"] > 0]
    ctr = ctr.assign(ctr=(ctr["clicks"] / ctr["impressions"]).round(3))[["period", "reason", "ctr"]]

    totals = pd.concat([imps.groupby("reason").size().rename("impressions"),
                        clicks.groupby("reason").size().rename("clicks")], axis=1).fillna(0).astype(int)
    totals["ctr"] = [round(c / i, 3) if i else None for i, c in zip(totals["impressions"], totals["clicks"])]
    by_reason = totals.reset_index().rename(columns={"index": "reason"})
    by_reason = by_reason.sort_values(["reason"], key=lambda s: s.map(lambda r: (r == UNATTRIBUTED, r)))
    by_reason = by_reason[["reason", "impressions", "clicks", "ctr"]].reset_index(drop=True)

    cover_rows = []
    for p, grp in imps.groupby("period"):
        counts = grp["item_id"].value_counts()
        if catalogue_size:
            cover_rows.append({"period": p, "metric": "coverage", "value": round(len(counts) / catalogue_size, 4)})
        cover_rows.append({"period": p, "metric": "gini", "value": gini(counts.tolist(), catalogue_size)})
        top10 = round(float(counts.iloc[:10].sum() / counts.sum()), 4)
        cover_rows.append({"period": p, "metric": "top10_share", "value": top10})
    coverage = pd.DataFrame(cover_rows, columns=["period", "metric", "value"])

    counts = imps["item_id"].value_counts()
    top = counts.iloc[:10]
    top_items = pd.DataFrame({"item_id": top.index.astype(str), "impressions": top.values.astype(int),
                              "clicks": [int((clicks["item_id"] == i).sum()) for i in top.index]},
                             columns=["item_id", "impressions", "clicks"])
    n_imp, n_click = len(imps), len(clicks)
    summary = {
        "bucket": "hour" if freq == "h" else "day",
        "impressions": n_imp,
        "clicks": n_click,
        "ctr": round(n_click / n_imp, 3) if n_imp else 0.0,
        "items_shown": int(len(counts)),
        "catalogue_size": int(catalogue_size or 0),
        "coverage": round(len(counts) / catalogue_size, 4) if catalogue_size else None,
        "gini": gini(counts.tolist(), catalogue_size),
        "sponsored_impressions": int((imps["reason"] == "sponsored").sum()),
    }
    return {"volume": volume, "ctr": ctr, "by_reason": by_reason, "coverage": coverage, "top_items": top_items,
            "summary": summary}


# -- the latest offline evaluation -----------------------------------------------------------------
METRIC_COLUMNS = ("ndcg@10", "recall@10", "ndcg@20", "recall@20", "train_seconds")


def evaluation_files(data_dir: str | Path | None = None) -> list[Path]:
    """Where an offline evaluation table may be, in order: ``<data_dir>/recommender/evaluation.json``
    (``python -m recommender.evaluate ... --json`` pointed there), then the benchmark's
    ``benchmarks/results/recsys_quality.json`` in a source checkout."""
    repo = Path(__file__).resolve().parent.parent
    files = [Path(data_dir) / "recommender" / "evaluation.json"] if data_dir else []
    return files + [repo / "benchmarks" / "results" / "recsys_quality.json"]


def evaluation_table(payload: dict) -> list[dict]:
    """Rows ``{dataset, model, <metric>...}`` from either JSON shape: the evaluate CLI's
    ``{"protocol", "models": {NAME: {metric: …}}}`` or a benchmark's ``{"DATASET/MODEL": {metric: …}}``.

    >>> evaluation_table({"protocol": "leave-last-out", "models": {"ease": {"ndcg@10": 0.08}}})
    [{'dataset': 'leave-last-out', 'model': 'ease', 'ndcg@10': 0.08}]
    """
    if isinstance(payload.get("models"), dict):
        dataset = str(payload.get("protocol") or "")
        systems = payload["models"].items()
    else:
        systems = payload.items()
        dataset = ""
    rows = []
    for name, metrics in systems:
        if not isinstance(metrics, dict):
            continue
        ds, _, model = str(name).rpartition("/")
        row = {"dataset": ds or dataset, "model": model}
        row.update({k: metrics[k] for k in METRIC_COLUMNS if isinstance(metrics.get(k), (int, float))})
        rows.append(row)
    return rows


def latest_evaluation(data_dir: str | Path | None = None) -> tuple[Path | None, datetime | None, list[dict]]:
    """``(file, when it was written (UTC), rows)`` of the newest readable evaluation file, else
    ``(None, None, [])``. An unreadable file is skipped."""
    import json

    found = []
    for path in evaluation_files(data_dir):
        try:
            rows = evaluation_table(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, AttributeError):
            continue
        if rows:
            found.append((path.stat().st_mtime, path, rows))
    if not found:
        return None, None, []
    mtime, path, rows = max(found, key=lambda f: f[0])
    return path, datetime.fromtimestamp(mtime, timezone.utc).replace(tzinfo=None), rows
