"""Shared plumbing for benchmarks: dataset location, a fresh demo index, table + JSON output.

Convention (see README): ``python -m benchmarks.NAME [--json OUT]`` prints a table and
writes JSON mapping each system measured to a flat ``{metric: number}`` dict.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("KEFU_DATASETS_DIR", REPO.parent / "shared" / "datasets"))
RESULTS = REPO / "benchmarks" / "results"


def datasets_or_exit(*parts: str) -> Path:
    """Path inside ../shared/datasets, or exit 0 with a message when it is absent."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        print(f"skipped: {path} not found (public datasets live in ../shared/datasets; set KEFU_DATASETS_DIR)")
        sys.exit(0)
    return path


def parser(name: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}", description=description)
    p.add_argument("--json", type=Path, default=RESULTS / f"{name}.json", help="where to write the JSON results")
    return p


def quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)


def fresh_settings(**overrides):
    """Settings on a temporary data dir, so a benchmark never touches the user's index."""
    from settings import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


def build_demo_index(settings, paths: list[Path] | None = None):
    """Index the demo store into ``settings``' data dir; returns the vector store."""
    from knowledge.embedder import make_embedder
    from knowledge.ingest import ingest
    from knowledge.store import make_store

    store = make_store(settings, make_embedder(settings.embedder))
    report = ingest(store, paths or [REPO / "knowledge" / "data"], progress=False)
    if report.failed:
        raise SystemExit(f"indexing failed: {report.failed[0]}")
    return store


def emit(results: dict[str, dict[str, float]], out: Path, title: str) -> None:
    """Print ``{system: {metric: value}}`` as a table (systems as columns) and write JSON."""
    from rich.console import Console
    from rich.table import Table

    systems = list(results)
    metrics: list[str] = []
    for values in results.values():
        metrics += [m for m in values if m not in metrics]
    table = Table(title=title)
    table.add_column("metric")
    for s in systems:
        table.add_column(s, justify="right")
    for m in metrics:
        cells = []
        for s in systems:
            v = results[s].get(m)
            cells.append("—" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v)))
        table.add_row(m, *cells)
    Console(width=200).print(table)
    write_json(results, out)


def write_json(results: dict, out: Path) -> None:
    """Write a benchmark's ``{system: {metric: number}}`` results and say where."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def spread(cases: list[dict], limit: int) -> list[dict]:
    """The first ``limit`` cases taken round-robin over the kinds (all when ``limit`` is 0)."""
    if not limit or limit >= len(cases):
        return cases
    by_kind: dict[str, list[dict]] = {}
    for case in cases:
        by_kind.setdefault(case["kind"], []).append(case)
    picked: list[dict] = []
    while len(picked) < limit:
        for queue in by_kind.values():
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked
