"""Incremental ingestion: ``python -m knowledge.ingest PATH... [--rebuild]``.

A file is the unit of change, recognised by the SHA-256 of its bytes:

- unchanged (same hash, all its records present) → nothing is read or written;
- new or edited → its records are re-derived; only records whose text changed are
  embedded and written (ids are content-addressed), the rest keep their vectors;
- gone (under a folder being ingested, or named explicitly) → its records are deleted.

Crash safety: records are written before stale ones are deleted, and a file counts as
unchanged only when every record carries the current hash and their number matches
``n_records``; so a run killed half-way leaves the old answer or the new one per file,
and the next run finishes the job. ``--rebuild`` builds a fresh collection beside the
live one and swaps it in only when complete.

Every record is also written to the multilingual collection (``<collection>-multilingual``,
:mod:`knowledge.multilingual`) when ``KEFU_MULTILINGUAL`` has one: same record ids, vectors
from the cross-lingual embedder, kept incremental on its own (a second pass after the main
one, so turning the setting on later fills it without touching the main collection).

Files named in a ``.kefuignore`` (glob patterns, one a line) in an ingested folder are
skipped, e.g. the demo store's ``interactions.csv``.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

IGNORE_FILE = ".kefuignore"
# Bump when loaders or chunking change what a file turns into: every file is then re-derived.
INDEX_FORMAT = "2"


@dataclass
class IngestReport:
    """What one ingestion run did, per file (and records written/deleted)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    records_written: int = 0
    records_deleted: int = 0
    multilingual_written: int | None = None  # records written to the multilingual collection (None: none kept)

    def summary(self) -> str:
        text = (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"deleted {len(self.deleted)}, failed {len(self.failed)} "
            f"({self.records_written} records written, {self.records_deleted} deleted)"
        )
        if self.multilingual_written is not None:
            text += f"; multilingual index: {self.multilingual_written} records written"
        return text


def _ignored(path: Path, root: Path) -> bool:
    """True when a ``.kefuignore`` in ``root`` or a folder between them matches ``path``."""
    folder = path.parent
    while True:
        ignore = folder / IGNORE_FILE
        if ignore.is_file():
            rel = path.relative_to(folder).as_posix()
            for line in ignore.read_text(encoding="utf-8").splitlines():
                pattern = line.strip()
                if pattern and not pattern.startswith("#") and (
                    fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern)
                ):
                    return True
        if folder == root or root not in folder.parents:
            return False
        folder = folder.parent


def discover(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[Path]]:
    """Files to ingest as ``(absolute path, display source)`` and the folders walked.

    The display source is the path relative to the folder given (``faq/orders.md``).
    """
    from knowledge.loaders import SUPPORTED_SUFFIXES

    files: dict[Path, str] = {}
    roots: list[Path] = []
    for given in paths:
        given = given.resolve()
        if given.is_dir():
            roots.append(given)
            for f in sorted(given.rglob("*")):
                if (
                    f.is_file()
                    and f.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in f.relative_to(given).parts)
                    and not _ignored(f, given)
                ):
                    files.setdefault(f, f.relative_to(given).as_posix())
        elif given.is_file():
            files.setdefault(given, given.name)
    return sorted(files.items()), roots


def _record_id(path: str, doc) -> str:
    """Content-addressed id: same file, same record identity and text → same id."""
    h = hashlib.sha256()
    for part in (path, str(doc.metadata.get("doc_id", "")), str(doc.metadata.get("variant", "")), doc.page_content):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def derive(path: Path, source: str, catalogue=None) -> list:
    """The records one file turns into (before the ingestion stamp). Raises LoadError."""
    from knowledge.loaders import load_file

    updated_at = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).isoformat(timespec="seconds")
    return load_file(path, source=source, updated_at=updated_at, catalogue=catalogue)


def index_file(
    store, path: Path, source: str, file_hash: str, existing: dict[str, dict], catalogue=None, docs=None
) -> tuple[int, int]:
    """(Re)index one file; returns (records written, records deleted). Raises LoadError.

    ``catalogue`` (:class:`knowledge.catalogue.CatalogueOptions`) says how catalogue columns map;
    ``docs``: the file's records when already derived (they are copied, not changed).
    """
    from langchain_core.documents import Document

    if docs is None:
        docs = derive(path, source, catalogue)
    else:
        docs = [Document(page_content=d.page_content, metadata=dict(d.metadata)) for d in docs]
    ids: list[str] = []
    seen: set[str] = set()
    for doc in docs:
        rid = _record_id(str(path), doc)
        while rid in seen:  # identical text twice in one file
            rid = hashlib.sha256(rid.encode()).hexdigest()[:32]
        seen.add(rid)
        ids.append(rid)
    stamp = {"path": str(path), "file_hash": file_hash, "n_records": len(docs)}
    for doc in docs:
        doc.metadata.update(stamp)
    new = [(i, d) for i, d in zip(ids, docs) if i not in existing]
    kept = [(i, d) for i, d in zip(ids, docs) if i in existing]
    if new:
        vectors = store.embedder.embed_documents([d.page_content for _, d in new])
        store.add([i for i, _ in new], [d for _, d in new], vectors)
    if kept:
        store.update_metadata([i for i, _ in kept], [d.metadata for _, d in kept])
    stale = [i for i in existing if i not in seen]
    if stale:
        store.delete(stale)
    return len(new), len(stale)


def embedder_name(store) -> str:
    emb = store.embedder
    return f"{type(emb).__name__}:{getattr(emb, 'name_or_path', getattr(emb, 'dim', ''))}"


def _is_current(existing: dict[str, dict], file_hash: str) -> bool:
    if not existing:
        return False
    metas = list(existing.values())
    return all(m.get("file_hash") == file_hash for m in metas) and metas[0].get("n_records") == len(metas)


def ingest(store, paths: list[Path], progress: bool = True, columns=None) -> IngestReport:
    """Bring the store (and its multilingual collection) in line with the files under ``paths``;
    see the module docstring.

    ``columns`` (:class:`knowledge.columns.ColumnMap`, from ``--columns``) maps catalogue
    columns; bare catalogue prices are in the store's ``KEFU_CURRENCY``.
    """
    from knowledge.catalogue import CatalogueOptions
    from knowledge.columns import ColumnMap
    from knowledge.multilingual import multilingual_store

    catalogue = CatalogueOptions(columns or ColumnMap(), getattr(getattr(store, "settings", None), "currency", "USD"))
    report = IngestReport()
    files, roots = discover(paths)
    derived: dict[Path, list] = {}
    _sync(store, files, roots, paths, catalogue, report, derived, progress, "indexing")
    multilingual = multilingual_store(store)
    if multilingual is not None:
        # A second pass, after the main one: the two collections never alternate writes.
        side = IngestReport()
        failed = {p for p, _ in report.failed}
        _sync(multilingual, [(p, s) for p, s in files if str(p) not in failed], roots, paths, catalogue,
              side, derived, progress, "multilingual")
        report.multilingual_written = side.records_written
        report.failed += [f for f in side.failed if f[0] not in failed]
    return report


def _sync(store, files, roots, paths, catalogue, report: IngestReport, derived: dict, progress: bool, desc: str) -> None:
    """One collection brought in line with ``files`` (records derived once per run, in ``derived``)."""
    from tqdm import tqdm

    from knowledge.loaders import LoadError

    explicit_missing = [p.resolve() for p in paths if not p.exists()]
    for path, source in tqdm(files, desc=desc, unit="file", disable=not progress, file=sys.stderr):
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.failed.append((str(path), exc.strerror or str(exc)))
            continue
        # The hash covers what determines the records: the bytes, the derivation, the embedder.
        # (and for a catalogue, its column mapping and the store's currency).
        file_hash = hashlib.sha256(
            data + f"\0{INDEX_FORMAT}\0{embedder_name(store)}".encode() + catalogue.key(path)
        ).hexdigest()
        existing = store.records_for(str(path))
        if _is_current(existing, file_hash):
            report.unchanged.append(source)
            continue
        try:
            if path not in derived:
                derived[path] = derive(path, source, catalogue)
            written, deleted = index_file(store, path, source, file_hash, existing, catalogue, docs=derived[path])
        except LoadError as exc:
            report.failed.append((str(path), str(exc)))
            continue
        report.records_written += written
        report.records_deleted += deleted
        (report.updated if existing else report.added).append(source)
    # Files that disappeared: under a walked folder, or named explicitly but gone.
    present = {str(p) for p, _ in files}
    for indexed in sorted(store.indexed_paths() - present):
        p = Path(indexed)
        if any(root in p.parents for root in roots) or p in explicit_missing:
            stale = list(store.records_for(indexed))
            store.delete(stale)
            report.records_deleted += len(stale)
            report.deleted.append(indexed)


def rebuild(settings, embedder, paths: list[Path], progress: bool = True, columns=None) -> IngestReport:
    """Index everything into a fresh collection, then swap it in for the live one."""
    from knowledge.multilingual import multilingual_name, multilingual_store
    from knowledge.store import make_store

    live = make_store(settings, embedder)
    staging = live.sibling(f"{settings.collection}__rebuild")
    staging_multilingual = multilingual_store(staging)
    staging.drop()
    if staging_multilingual is not None:
        staging_multilingual.drop()
    report = ingest(staging, paths, progress=progress, columns=columns)
    if report.failed:
        staging.drop()  # keep the live index untouched
        if staging_multilingual is not None:
            staging_multilingual.drop()
        return report
    live.drop()
    live.sibling(multilingual_name(settings.collection)).drop()  # also when the setting is now off
    staging.rename_to(settings.collection)
    if staging_multilingual is not None:
        staging_multilingual.rename_to(multilingual_name(settings.collection))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.ingest",
        description="Index the store's files (catalogue CSV/JSON, Markdown, HTML, text, PDF) into Kefu's "
        "knowledge base. Incremental: unchanged files are skipped, edited files re-indexed, deleted "
        "files removed.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to index")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index from scratch (swapped in when complete)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--columns", action="append", default=[], metavar="FIELD=COLUMN,...",
        help="which catalogue column holds which product field, e.g. price=discounted_price,title=product_name "
        "(fields: see knowledge/DATA.md; overrides <name>.columns.yaml beside the catalogue)",
    )
    args = parser.parse_args(argv)

    from knowledge.catalogue import CatalogueError, columns_option

    try:  # a mapping that does not fit stops the run before anything is written
        columns = columns_option(args.columns, [p for p, _ in discover(args.paths)[0]])
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from settings import get_settings
    from knowledge.embedder import make_embedder
    from knowledge.store import make_store

    settings = get_settings()
    from bot.cpu_threads import limit_torch_threads

    limit_torch_threads(getattr(settings, "llm_threads", 0))  # spinning threads on a small shared box
    missing = [str(p) for p in args.paths if not p.exists()]
    embedder = make_embedder(settings.embedder)
    try:
        store = make_store(settings, embedder)
        if missing:
            indexed = store.indexed_paths()
            unknown = [m for m in missing if str(Path(m).resolve()) not in indexed]
            if unknown:
                print(f"error: no such file or folder: {unknown[0]}", file=sys.stderr)
                return 2
        if args.rebuild:
            report = rebuild(settings, embedder, args.paths, progress=not args.quiet, columns=columns)
        else:
            report = ingest(store, args.paths, progress=not args.quiet, columns=columns)
    except KeyboardInterrupt:
        print("interrupted: files finished so far are indexed; run again to complete", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user, not a traceback
        print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
    for path, why in report.failed:
        print(f"failed: {path}: {why}", file=sys.stderr)
    print(report.summary())
    if report.failed and args.rebuild:
        print("rebuild abandoned: the live index is unchanged", file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
