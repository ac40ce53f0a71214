"""Bring a database to Kefu's current schema with the Alembic migrations in ``desk/migrations``.

:func:`upgrade` is what the stores call on first use (``SessionStore`` does it when built);
it is idempotent and cheap once a database is at head. Three cases:

- an empty database: every migration runs, from the baseline on;
- a database made before Kefu had migrations (the tables are there, ``alembic_version``
  is not): it is stamped at the baseline, which describes exactly those tables, and
  only the later migrations run, so nothing is recreated and no data is touched;
- a database already under Alembic: the migrations it lacks run.

Several replicas may start together against one database, so the upgrade runs in one
transaction that first takes a database lock (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite): the others wait, then find the database at head. Should one still lose a
race (a duplicate table from a process that migrated without the lock, a lock timeout),
it looks again and goes on, as ``create_all`` used to.

Example::

    >>> from sqlalchemy import create_engine, inspect
    >>> engine = create_engine("sqlite://")
    >>> upgrade(engine)
    >>> "sessions" in inspect(engine).get_table_names()
    True
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
BASELINE = "0001"
# The tables revision 0001 describes: their presence without alembic_version marks a
# database from before migrations.
BASELINE_TABLES = frozenset({
    "sessions", "turns", "feedback", "events", "handoffs", "recommendation_clicks", "regression_cases",
    "evaluation_runs",
})
# Any fixed 64-bit number, the same in every replica: the key of the PostgreSQL advisory lock.
_PG_LOCK_KEY = 0x6B6566755F6462  # "kefu_db"

# Engines brought to head in this process; the desk modules may ask again for every call.
_done: weakref.WeakSet[Engine] = weakref.WeakSet()
# Alembic keeps the running migration in module globals (alembic.context, alembic.op), so
# two threads migrating at once, even different databases, would trip over each other.
_in_process = threading.Lock()


def upgrade(engine: Engine, attempts: int = 5) -> None:
    """Migrate the database behind ``engine`` to head (see the module docstring)."""
    if engine in _done:
        return
    for attempt in range(attempts):
        try:
            with _in_process:
                _upgrade_once(engine)
            break
        except (IntegrityError, ProgrammingError, OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    _done.add(engine)


def head() -> str:
    """The newest revision in ``desk/migrations/versions``."""
    return _heads()[0]


def current(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is stamped with (empty before its first migration)."""
    from alembic.runtime.migration import MigrationContext

    return tuple(MigrationContext.configure(connection).get_current_heads())


def alembic_config(connection: Connection | None = None):
    """An Alembic ``Config`` for ``desk/migrations`` running on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _heads() -> tuple[str, ...]:
    # Reading the scripts folder parses every revision: once per process is enough.
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def _upgrade_once(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as connection:
        _lock(connection)
        stamped = current(connection)
        if stamped == _heads():
            return
        config = alembic_config(connection)
        if not stamped and BASELINE_TABLES <= set(inspect(connection).get_table_names()):
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")


def _lock(connection: Connection) -> None:
    """Hold the database's migration lock until this transaction ends."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    elif dialect == "sqlite":
        # pysqlite opens no transaction before DDL: without an explicit one each CREATE
        # commits alone, and two replicas could interleave their migrations.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
