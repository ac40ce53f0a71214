"""Chroma clients for :mod:`knowledge.store`: embedded (a folder) or a server, and the revision marker.

Embedded Chroma keeps each collection's HNSW index in memory, in one ``System`` per
folder that chromadb caches for the whole process. Another process writing the same
folder (``python -m knowledge.ingest`` while ``python app.py`` serves) changes the records
on disk but not those in-memory indexes: metadata filters then find ids the cached
index has never seen and every query fails with ``InternalError: Error finding id``
(chroma-core/chroma#3792, #3769: embedded Chroma is not process-safe, and a new client
for the same path reuses the cached System). So every write through the store bumps a
marker file beside the data, and a reader that sees the marker change opens a fresh
System (:func:`open_client` with ``fresh=True``), which loads the current index from disk.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

MARKER = "kefu-revision"
_evict_lock = threading.Lock()


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def embedded_path(settings) -> Path | None:
    """The embedded index folder, or None when a Chroma server is configured."""
    return None if settings.chroma_host else settings.data_dir / "chroma"


def _forget_cached_system(path: str) -> None:
    """Make the next client for ``path`` start a new System instead of reusing the cached one.

    The old System is not stopped: clients of it still in use (a query in flight on another
    thread) finish on it, and it is freed with them.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    with _evict_lock:
        systems = getattr(SharedSystemClient, "_identifier_to_system", None)
        refcounts = getattr(SharedSystemClient, "_identifier_to_refcount", None)
        if systems is None or refcounts is None:  # a chromadb without these caches: the public hammer
            SharedSystemClient.clear_system_cache()
            return
        with SharedSystemClient._refcount_lock:
            systems.pop(path, None)
            refcounts.pop(path, None)


def open_client(settings, fresh: bool = False):
    """An ``HttpClient`` to the configured server, or a ``PersistentClient`` on ``data_dir/chroma``.

    ``fresh`` (embedded only): do not reuse this process's cached System for the folder.
    """
    import chromadb

    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=_chroma_settings())
    path = embedded_path(settings)
    path.mkdir(parents=True, exist_ok=True)
    if fresh:
        _forget_cached_system(str(path))
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


class RevisionMarker:
    """A small file whose content changes whenever the embedded index is written.

    ``None`` for a Chroma server, whose clients always see its current state.
    """

    def __init__(self, folder: Path | None):
        self.path = folder / MARKER if folder is not None else None

    def read(self) -> str | None:
        if self.path is None:
            return None
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def bump(self) -> str | None:
        """Write a new revision (atomically, so a reader never sees half of it); returns it."""
        if self.path is None:
            return None
        token = uuid.uuid4().hex
        tmp = self.path.with_name(f".{MARKER}.{os.getpid()}.{threading.get_ident()}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(token, encoding="utf-8")
        os.replace(tmp, self.path)
        return token
