"""A value derived from the index, rebuilt when the index changes.

Several parts keep something computed from the store's records — the intent model, the Chinese
lexical index, the vocabulary, the catalogue's product finder — and must see a document
ingested while the server runs. :class:`PerRevision` holds one such value with the store's
``revision()`` it was built at, and rebuilds it (once, under a lock) when that changes.

    >>> class Store:
    ...     rev = 1
    ...     def revision(self): return self.rev
    >>> store = Store(); calls = []
    >>> words = PerRevision(store, lambda: calls.append(1) or len(calls))
    >>> words.get(), words.get(), calls
    (1, 1, [1])
    >>> store.rev = 2; words.get()
    2
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class PerRevision(Generic[T]):
    """``build()``'s value for the store's current revision (thread-safe, built at most once per revision)."""

    def __init__(self, store, build: Callable[[], T]):
        self.store, self.build = store, build
        self._lock = threading.Lock()
        self._built: tuple | None = None  # (revision, value)

    def get(self) -> T:
        revision = self.store.revision()
        built = self._built
        if built is None or built[0] != revision:
            with self._lock:
                built = self._built
                if built is None or built[0] != revision:
                    built = self._built = (revision, self.build())
        return built[1]


@contextmanager
def atomic_write(path: Path) -> Iterator:
    """A binary file to write ``path`` through, so that a reader never sees half a file: a temporary
    file beside it, moved into place when the block ends without error (removed otherwise)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
