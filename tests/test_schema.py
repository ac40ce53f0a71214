"""The database schema: Alembic migrations (desk/migrations) against desk/tables.py.

- an empty SQLite file and an empty PostgreSQL database are upgraded to head and hold
  exactly the declared tables, columns and indexes (``postgresql`` cases are slow);
- the baseline migration makes byte-for-byte the schema ``create_all`` made before;
- a kefu.db from before migrations (``tests/fixtures/legacy_kefu_db.sql``, made by the
  old code) is adopted without data loss, also when it holds only some of the tables;
- several replicas starting together against one database all come up;
- the ``alembic`` CLI works with ``KEFU_DB_URL``, and every table lives in desk/tables.py.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from desk import schema
from desk.sessions import SessionStore
from desk.tables import Base
from tests.fixtures.postgres import db_url, postgres, postgres_db  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[1]
LEGACY_SQL = REPO / "tests" / "fixtures" / "legacy_kefu_db.sql"
LATER_TABLES = ("handoffs", "recommendation_clicks", "regression_cases", "evaluation_runs")
# Tables added by revisions after the baseline (0002: recommendation monitoring, sponsored slots).
NEW_TABLES = frozenset({"recommendation_impressions", "campaign_events"})


def differences(engine) -> list:
    """What Alembic's autogenerate would change to make the database match desk/tables.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def stamped(engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def sqlite_ddl(engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")).all()
    return {name: sql for name, sql in rows if name != "alembic_version"}


def legacy_db(path: Path, drop: tuple[str, ...] = ()) -> str:
    con = sqlite3.connect(path)
    con.executescript(LEGACY_SQL.read_text())
    for table in drop:
        con.execute(f"DROP TABLE {table}")
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_empty_database_is_upgraded_to_head(db_url):  # noqa: F811
    engine = create_engine(db_url)
    schema.upgrade(engine)
    found = inspect(engine)
    assert set(found.get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert set(Base.metadata.tables) == schema.BASELINE_TABLES | NEW_TABLES
    for name, table in Base.metadata.tables.items():
        assert {i["name"] for i in found.get_indexes(name)} == {i.name for i in table.indexes}, name
    assert stamped(engine) == [schema.head()]
    assert differences(engine) == []
    schema.upgrade(create_engine(db_url))  # again, on a new engine: nothing to do
    assert stamped(engine) == [schema.head()]


def test_baseline_makes_what_create_all_made(tmp_path):
    old = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    Base.metadata.create_all(old)
    new = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    schema.upgrade(new)
    assert sqlite_ddl(new) == sqlite_ddl(old)
    legacy = create_engine(legacy_db(tmp_path / "legacy.db"))  # before migrations: the baseline tables only
    baseline = {name: sql for name, sql in sqlite_ddl(old).items()
                if not any(name == t or name.startswith(f"ix_{t}_") for t in NEW_TABLES)}
    assert sqlite_ddl(legacy) == baseline


def check_legacy_rows(store: SessionStore) -> None:
    from bot import regression
    from desk import analytics
    from desk.handoff import HandoffDesk

    turns = store.turns("s-legacy-1")
    assert [t.role for t in turns] == ["user", "assistant", "assistant", "system"]
    assert turns[0].data["intent"] == "track_order" and turns[1].data["sources"] == ["faq/orders.md#track"]
    assert [(f.rating, f.comment) for f in store.feedback("s-legacy-1")] == [(-1, "too vague")]
    assert store.events("u1") == [("P-1", "view"), ("P-2", "purchase")]
    assert store.get_session("s-legacy-1").handoff_state == "human"
    (case,) = HandoffDesk(store).queue()
    assert (case.state, case.staff, case.packet) == ("human", "ann", {"summary": "wants a person"})
    rows = analytics.load(store, days=365 * 100)
    assert len(rows.clicks) == 1 and len(rows.handoffs) == 1 and len(rows.sessions) == 1
    assert [c["question"] for c in regression.list_cases(store)] == ["How long is delivery?"]
    assert regression.last_run(store)["results"][0]["key"] == "case:1"


def test_pre_migration_database_is_adopted_without_data_loss(tmp_path):
    url = legacy_db(tmp_path / "kefu.db")
    store = SessionStore(url)
    assert stamped(store.engine) == [schema.head()]
    assert differences(store.engine) == []
    check_legacy_rows(store)
    sid = store.ensure_session(None, "u2")  # and it takes new writes
    assert store.add_turn(sid, "user", "hello") == 5


def test_partial_pre_migration_database_gets_the_missing_tables(tmp_path):
    """Before migrations the handoff, click and regression tables appeared on first use,
    so a kefu.db that never saw a handoff holds only the four conversation tables."""
    url = legacy_db(tmp_path / "kefu.db", drop=LATER_TABLES)
    store = SessionStore(url)
    assert set(inspect(store.engine).get_table_names()) == schema.BASELINE_TABLES | NEW_TABLES | {"alembic_version"}
    assert differences(store.engine) == []
    assert [t.text for t in store.turns("s-legacy-1")][0] == "Where is my order?"
    assert store.events("u1") == [("P-1", "view"), ("P-2", "purchase")]


def test_downgrade_to_base_and_up_again(tmp_path):
    from alembic import command

    engine = create_engine(f"sqlite:///{tmp_path / 'kefu.db'}")
    schema.upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(schema.alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    schema.upgrade(create_engine(f"sqlite:///{tmp_path / 'kefu.db'}"))
    assert differences(engine) == []


def _replica(url: str, barrier, results) -> None:
    barrier.wait()  # every replica builds its store at the same moment
    try:
        store = SessionStore(url)
        store.add_turn(store.ensure_session(None), "user", "started")
        results.put("")
    except Exception as exc:  # noqa: BLE001 - reported by the test
        results.put(repr(exc))


def test_replicas_starting_together_all_come_up(db_url):  # noqa: F811
    """Six processes (not threads: each has its own Alembic state, as replicas do) migrate one database."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_replica, args=(db_url, barrier, results)) for _ in range(6)]
    for proc in procs:
        proc.start()
    errors = [e for e in (results.get(timeout=120) for _ in procs) if e]
    for proc in procs:
        proc.join(30)
    assert errors == []
    store = SessionStore(db_url)
    assert stamped(store.engine) == [schema.head()]
    assert len(store.list_sessions()) == 6


@pytest.mark.slow  # a fresh interpreter importing alembic and settings: seconds
def test_alembic_cli_uses_kefu_db_url(tmp_path):
    env = dict(os.environ, KEFU_DB_URL=f"sqlite:///{tmp_path / 'cli.db'}", PYTHONPATH=str(REPO))
    ini = str(REPO / "desk" / "migrations" / "alembic.ini")
    run = subprocess.run([sys.executable, "-m", "alembic", "-c", ini, "upgrade", "head"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    engine = create_engine(env["KEFU_DB_URL"])
    assert stamped(engine) == [schema.head()] and differences(engine) == []


def test_every_table_is_declared_in_desk_tables():
    skip = {".venv", ".git", "tests", "data", "node_modules"}
    sources = [p for top in REPO.iterdir() if top.name not in skip
               for p in ([top] if top.suffix == ".py" else top.rglob("*.py") if top.is_dir() else [])]
    declared = [str(p.relative_to(REPO)) for p in sources
                if p != REPO / "desk" / "tables.py"
                and re.search(r"__tablename__|DeclarativeBase|\bMetaData\(", p.read_text(encoding="utf-8"))]
    assert declared == []
    # Importing desk.tables alone, in a fresh interpreter, registers the whole schema.
    code = "import desk.tables, json; print(json.dumps(sorted(desk.tables.Base.metadata.tables)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert json.loads(run.stdout) == sorted(schema.BASELINE_TABLES | NEW_TABLES)
