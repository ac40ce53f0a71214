"""Every table Kefu keeps in its database, declared in one place.

The stores (:mod:`desk.sessions`, :mod:`desk.handoff`, :mod:`desk.analytics`,
:mod:`bot.regression`) import their classes from here, so ``Base.metadata`` always holds
the whole schema whatever was imported first. The schema itself is made by the Alembic
migrations in ``desk/migrations/`` (see :mod:`desk.schema`); ``tests/test_schema.py``
checks that the migrated database and these classes agree, so a change here needs a
new migration.

Column defaults are Python-side (``default=``), not server defaults: that is what the
first migration recorded from the databases already in use.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC: the columns are plain ``DateTime`` (no time zone) on every engine."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


# -- conversations (desk.sessions) ---------------------------------------------------------
class ChatSession(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    handoff_state: Mapped[str] = mapped_column(String(32), default="bot")


class Turn(Base):
    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # user | assistant | staff | system
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # intent, sources, sentiment, ...
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id"))
    rating: Mapped[int] = mapped_column(Integer)  # +1 / -1
    comment: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(64), default="shopper")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ShopperEvent(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    item_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# -- the staff queue (desk.handoff) -----------------------------------------------------------
class HandoffCase(Base):
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), default="waiting_for_human", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    packet: Mapped[dict] = mapped_column(JSON, default=dict)
    staff: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)


# -- analytics (desk.analytics) ---------------------------------------------------------------
class RecommendationClick(Base):
    __tablename__ = "recommendation_clicks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(128))
    # No foreign key: clicks may come from widgets whose session was never stored.
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class RecommendationImpression(Base):
    """Recommendations shown where no chat turn stores them (``GET /api/recommend``, widgets): one row
    per item shown. Those shown in the chat are read from the assistant turns' ``data``, not here."""

    __tablename__ = "recommendation_impressions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(128))
    reason_kind: Mapped[str] = mapped_column(String(32), default="other")  # desk.analytics.reason_kind
    sponsored: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 = first in the list
    surface: Mapped[str] = mapped_column(String(16), default="api")
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


# -- sponsored slots (recommender.campaign_stats) ---------------------------------------------
class CampaignEvent(Base):
    """One sponsored impression or click (the same columns and indexes ``recommender.campaign_stats``
    declares, so that its rows live under the migrations too)."""

    __tablename__ = "campaign_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(String(128))
    item_id: Mapped[str] = mapped_column(String(128))
    viewer: Mapped[str] = mapped_column(String(128))  # the user id (or session id) it was shown to
    kind: Mapped[str] = mapped_column(String(16))  # impression | click
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    impression_id: Mapped[int | None] = mapped_column(Integer)  # for a click: the impression clicked
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        Index("ix_campaign_events_campaign_time", "campaign_id", "created_at"),
        Index("ix_campaign_events_viewer_time", "viewer", "created_at"),
    )


# -- answer regression checks (bot.regression) ------------------------------------------------
class RegressionCase(Base):
    __tablename__ = "regression_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(String(128))
    expected_source: Mapped[str] = mapped_column(String(512), default="")
    key_facts: Mapped[list] = mapped_column(JSON, default=list)
    expect_abstain: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    session_id: Mapped[str | None] = mapped_column(String(64))
    turn_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EvaluationRun(Base):
    __tablename__ = "evaluation_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[list] = mapped_column(JSON, default=list)
