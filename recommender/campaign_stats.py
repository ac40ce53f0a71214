"""Impressions, clicks and spend of sponsored slots: :class:`CampaignStats`, one table.

Every sponsored item shown is one ``impression`` row (campaign, item, the shopper it was shown
to, its cost under CPM pricing); a click on a shown sponsored item is one ``click`` row tied to
that impression (its cost under CPC pricing; a second click on the same impression is not
counted again). Pacing and the frequency cap read today's rows (UTC days); :meth:`report`
gives impressions, clicks, CTR and spend per campaign.

The table (``campaign_events``, declared in :mod:`desk.tables` like every table Kefu keeps) lives
in the same database as the conversations (``KEFU_DB_URL``, else the SQLite file in
``KEFU_DATA_DIR``); the desk's Alembic migrations make it (:func:`desk.schema.upgrade`, run on
first use).

Example::

    >>> stats = CampaignStats("sqlite://")
    >>> stats.record_impressions([("c1", "HL-1022", 0.0)], viewer="u1")
    >>> stats.record_click("HL-1022", "u1", {"c1": 0.5})
    True
    >>> stats.report()[0]["ctr"]
    1.0
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.sessions import make_engine
from desk.tables import CampaignEvent, utcnow

__all__ = ["CLICK_WINDOW", "CampaignEvent", "CampaignStats", "day_start"]

#: A click counts for the sponsored impression it follows when it comes within this window.
CLICK_WINDOW = timedelta(hours=24)


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


class CampaignStats:
    """Sponsored impressions and clicks in a database (thread-safe; any SQLAlchemy URL)."""

    def __init__(self, url: str, clock=utcnow):
        self.url = url
        self.clock = clock
        self.engine = make_engine(url)  # the session store's settings: it writes to the same file
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._made = False
        self._lock = threading.Lock()

    def _run(self, fn):
        if not self._made:
            with self._lock:
                if not self._made:
                    from desk import schema

                    schema.upgrade(self.engine)  # creates or migrates the schema, campaign_events included
                    self._made = True
        with self._sessions.begin() as db:
            return fn(db)

    # ------------------------------------------------------------------ writing
    def record_impressions(self, shown: Iterable[tuple[str, str, float]], viewer: str) -> None:
        """One impression per ``(campaign_id, item_id, cost)`` shown to ``viewer`` (one transaction)."""
        rows = [CampaignEvent(campaign_id=c, item_id=i, viewer=viewer, kind="impression", cost=float(cost),
                              created_at=self.clock()) for c, i, cost in shown]
        if rows:
            self._run(lambda db: db.add_all(rows))

    def record_click(self, item_id: str, viewer: str, cpc: dict[str, float] | None = None) -> bool:
        """A click on ``item_id`` by ``viewer``: counted for the latest unclicked sponsored
        impression of it to them within :data:`CLICK_WINDOW`; ``cpc`` maps campaign ids to their
        price per click. False when no such impression exists (an organic click)."""
        now = self.clock()

        def op(db: Session) -> bool:
            clicked = select(CampaignEvent.impression_id).where(CampaignEvent.kind == "click",
                                                                CampaignEvent.impression_id.is_not(None))
            imp = db.scalars(
                select(CampaignEvent)
                .where(CampaignEvent.kind == "impression", CampaignEvent.item_id == item_id,
                       CampaignEvent.viewer == viewer, CampaignEvent.created_at >= now - CLICK_WINDOW,
                       CampaignEvent.id.not_in(clicked))
                .order_by(CampaignEvent.id.desc()).limit(1)
            ).first()
            if imp is None:
                return False
            db.add(CampaignEvent(campaign_id=imp.campaign_id, item_id=item_id, viewer=viewer, kind="click",
                                 cost=float((cpc or {}).get(imp.campaign_id, 0.0)), impression_id=imp.id,
                                 created_at=now))
            return True

        return self._run(op)

    # ------------------------------------------------------------------ reading
    def spend_today(self) -> dict[str, float]:
        """Campaign id → what it has spent since midnight UTC (impression and click costs)."""
        start = day_start(self.clock())

        def op(db: Session) -> dict[str, float]:
            q = (select(CampaignEvent.campaign_id, func.sum(CampaignEvent.cost))
                 .where(CampaignEvent.created_at >= start).group_by(CampaignEvent.campaign_id))
            return {c: float(s or 0.0) for c, s in db.execute(q).all()}

        return self._run(op)

    def seen_today(self, viewer: str) -> dict[str, int]:
        """Campaign id → sponsored impressions shown to ``viewer`` since midnight UTC."""
        start = day_start(self.clock())

        def op(db: Session) -> dict[str, int]:
            q = (select(CampaignEvent.campaign_id, func.count())
                 .where(CampaignEvent.viewer == viewer, CampaignEvent.kind == "impression",
                        CampaignEvent.created_at >= start).group_by(CampaignEvent.campaign_id))
            return {c: int(n) for c, n in db.execute(q).all()}

        return self._run(op)

    def report(self, since: datetime | None = None) -> list[dict]:
        """Per campaign: ``campaign_id, impressions, clicks, ctr, spend`` (all time, or since ``since``)."""

        def op(db: Session) -> list[dict]:
            q = select(CampaignEvent.campaign_id, CampaignEvent.kind, func.count(), func.sum(CampaignEvent.cost))
            if since is not None:
                q = q.where(CampaignEvent.created_at >= since)
            rows = db.execute(q.group_by(CampaignEvent.campaign_id, CampaignEvent.kind)).all()
            out: dict[str, dict] = {}
            for cid, kind, n, cost in rows:
                d = out.setdefault(cid, {"campaign_id": cid, "impressions": 0, "clicks": 0, "spend": 0.0})
                d["impressions" if kind == "impression" else "clicks"] += int(n)
                d["spend"] = round(d["spend"] + float(cost or 0.0), 4)
            for d in out.values():
                d["ctr"] = round(d["clicks"] / d["impressions"], 4) if d["impressions"] else 0.0
            return sorted(out.values(), key=lambda d: d["campaign_id"])

        return self._run(op)
