"""Baseline: the eight tables Kefu created with ``create_all`` before it had migrations.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Columns, types, nullability and index names are exactly what ``create_all`` made, so
databases from before keep working. A table that already exists is left alone: older
installs made some tables lazily (``handoffs`` on the first handoff, ``regression_cases``
when the staff console first saved a case), so an adopted database may hold only some.
This file is a frozen snapshot; later changes go in new revisions.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _at(name: str = "created_at", nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def _sessions() -> list:
    return [
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(128), nullable=True),
        _at(),
        _at("updated_at"),
        sa.Column("handoff_state", sa.String(32), nullable=False),
    ]


def _turns() -> list:
    return [
        _id(),
        sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _at(),
    ]


def _feedback() -> list:
    return [
        _id(),
        sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("turn_id", sa.Integer(), sa.ForeignKey("turns.id"), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        _at(),
    ]


def _events() -> list:
    return [
        _id(),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        _at(),
    ]


def _handoffs() -> list:
    return [
        _id(),
        sa.Column("session_id", sa.String(64), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("packet", sa.JSON(), nullable=False),
        sa.Column("staff", sa.String(64), nullable=True),
        _at(),
        _at("taken_at", nullable=True),
        _at("resolved_at", nullable=True),
    ]


def _recommendation_clicks() -> list:
    return [
        _id(),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(128), nullable=True),
        _at(),
    ]


def _regression_cases() -> list:
    return [
        _id(),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("expected_source", sa.String(512), nullable=False),
        sa.Column("key_facts", sa.JSON(), nullable=False),
        sa.Column("expect_abstain", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        _at(),
    ]


def _evaluation_runs() -> list:
    return [
        _id(),
        _at(),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
    ]


# (table, its columns, its indexed columns), parents before the tables that point at them.
TABLES: list[tuple[str, Callable[[], list], tuple[str, ...]]] = [
    ("sessions", _sessions, ("user_id", "updated_at")),
    ("turns", _turns, ("session_id", "created_at")),
    ("feedback", _feedback, ("session_id",)),
    ("events", _events, ("user_id",)),
    ("handoffs", _handoffs, ("session_id", "state")),
    ("recommendation_clicks", _recommendation_clicks, ("session_id", "created_at")),
    ("regression_cases", _regression_cases, ()),
    ("evaluation_runs", _evaluation_runs, ()),
]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns, indexed in TABLES:
        if name in existing:
            continue
        op.create_table(name, *columns())
        for column in indexed:
            op.create_index(f"ix_{name}_{column}", name, [column])


def downgrade() -> None:
    for name, _columns, indexed in reversed(TABLES):
        for column in indexed:
            op.drop_index(f"ix_{name}_{column}", table_name=name)
        op.drop_table(name)
