"""Shared bits of the ``recommender`` command-line tools: one-line errors and data loading.

Example::

    >>> fail("no such file")   # prints "error: no such file" to stderr, exits 2
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from recommender.interactions import DataError, Interactions, item_text, load_dataset


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` (one line) on stderr and exit with ``code``."""
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(code)


def load_or_fail(interactions: Path, items: Path | None) -> tuple[Interactions, dict[str, str]]:
    """Interactions plus item texts (id → text, empty without an items file); exits on bad data."""
    try:
        inter, rows = load_dataset(interactions, items)
    except DataError as exc:
        fail(str(exc))
    texts = {i: item_text(r) for i, r in (rows or {}).items()}
    return inter, texts


#: The ``--models`` entry for the model the server would serve (``all`` includes it).
DEFAULT = "default"


def parse_model_list(value: str) -> list[str]:
    """Model names from ``"popularity,itemknn"`` (``default`` may be one); ``"all"`` → every model plus
    :data:`DEFAULT`."""
    from recommender.models.base import MODELS

    if value.strip().lower() == "all":
        return [*MODELS, DEFAULT]
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    bad = [n for n in names if n not in MODELS and n != DEFAULT]
    if bad or not names:
        fail(f"unknown model(s) {', '.join(bad) or '(none)'}; choose from {', '.join(MODELS)}, {DEFAULT} or all")
    return names
