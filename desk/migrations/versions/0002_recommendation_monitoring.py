"""Recommendation monitoring: impressions shown outside the chat, and sponsored-slot events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

- ``recommendation_impressions``: one row per recommended item shown where no chat turn stores
  it (``GET /api/recommend``, widgets); the staff console's Recommendations tab reads these
  together with the recommendations stored in the assistant turns (desk.analytics).
- ``campaign_events``: sponsored impressions and clicks (recommender.campaign_stats). That module
  used to create the table itself on first use; a database where it already did is left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "recommendation_impressions" not in existing:
        op.create_table(
            "recommendation_impressions",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("item_id", sa.String(128), nullable=False),
            sa.Column("reason_kind", sa.String(32), nullable=False),
            sa.Column("sponsored", sa.Boolean(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("surface", sa.String(16), nullable=False),
            sa.Column("session_id", sa.String(64), nullable=True),
            sa.Column("user_id", sa.String(128), nullable=True),
            sa.Column("created_at", sa.DateTime(), nullable=False),
        )
        for column in ("session_id", "user_id", "created_at"):
            op.create_index(f"ix_recommendation_impressions_{column}", "recommendation_impressions", [column])
    if "campaign_events" not in existing:
        op.create_table(
            "campaign_events",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("campaign_id", sa.String(128), nullable=False),
            sa.Column("item_id", sa.String(128), nullable=False),
            sa.Column("viewer", sa.String(128), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("cost", sa.Float(), nullable=False),
            sa.Column("impression_id", sa.Integer(), nullable=True),
            sa.Column("created_at", sa.DateTime(), nullable=False),
        )
        op.create_index("ix_campaign_events_campaign_time", "campaign_events", ["campaign_id", "created_at"])
        op.create_index("ix_campaign_events_viewer_time", "campaign_events", ["viewer", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_campaign_events_viewer_time", table_name="campaign_events")
    op.drop_index("ix_campaign_events_campaign_time", table_name="campaign_events")
    op.drop_table("campaign_events")
    for column in ("session_id", "user_id", "created_at"):
        op.drop_index(f"ix_recommendation_impressions_{column}", table_name="recommendation_impressions")
    op.drop_table("recommendation_impressions")
