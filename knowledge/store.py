"""The vector store seam: :class:`VectorStore`, implemented on Chroma (embedded folder or server).

Everything Kefu reads from or writes to its index goes through the few methods of
:class:`VectorStore`; the bookkeeping built on them (what each file contributed, the
index's vocabulary, sources by id) lives in :class:`StoreQueries`, for any backend.

:class:`KnowledgeStore` is the Chroma implementation, over LangChain's ``Chroma`` (cosine
space): embedded in ``KEFU_DATA_DIR/chroma``, or a server at ``KEFU_CHROMA_HOST``/``PORT``.
Retrieval returns :class:`Hit` records with a relevance score in [0, 1] (1 = same
direction). The embedded index may be rewritten by another process (``python -m
knowledge.ingest`` while the server runs): reads notice it and reopen (see
:mod:`knowledge.chroma_client`), and a failed read is retried once after reopening.

Example::

    >>> store = make_store(settings, make_embedder("fake"))        # doctest: +SKIP
    >>> store.search("how do I return an item?", k=3)               # doctest: +SKIP
    [Hit(doc=Document(...), score=0.71), ...]
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from knowledge.chroma_client import RevisionMarker, embedded_path, open_client

log = logging.getLogger("kefu.store")
# ef_search: the candidate list of HNSW's search. Chroma's default (100) missed true nearest
# neighbours on the demo store's 1,647 multilingual vectors (crowded cosines), and which ones it
# missed changed with each build (the graph is inserted on several threads), so the same question
# could rank differently from run to run. 1000 returned the exact top 30 for every benchmark
# question but added 0.8 s to the cold start; 300 keeps the cold start and widens the search 3x.
COSINE = {"hnsw": {"space": "cosine", "ef_search": 300}}
PAGE = 2000  # records per read when walking the whole index
BATCH = 1000  # records per write
T = TypeVar("T")


@dataclass
class Source:
    """One citable unit of knowledge retrieved for a question."""

    id: str
    title: str
    text: str  # what the model reads and the checker compares against
    score: float
    kind: str
    intent: str = ""
    metadata: dict = field(default_factory=dict)

    @property
    def snippet(self) -> str:
        text = re.sub(r"\s+", " ", self.text).strip()
        return text if len(text) <= 300 else text[:297].rsplit(" ", 1)[0] + "…"

    def to_api(self) -> dict:
        return {"id": self.id, "title": self.title, "snippet": self.snippet, "score": round(self.score, 4)}


@dataclass
class Hit:
    """One retrieved record and its relevance (cosine similarity, higher is better)."""

    doc: Document
    score: float

    @property
    def doc_id(self) -> str:
        return str(self.doc.metadata.get("doc_id", ""))


@dataclass
class Record:
    """One stored record: its id, text, metadata and (when asked for) its vector."""

    id: str
    text: str
    metadata: dict
    embedding: Any = None


@dataclass
class StoreStatus:
    """Whether the index answers queries (``usable``) and how many records it holds."""

    usable: bool
    records: int
    detail: str  # "ok", "empty", "unreachable", or the error a query met

    @property
    def ok(self) -> bool:
        return self.usable and self.records > 0


class VectorStore(Protocol):
    """Every read and write Kefu does on its vector index."""

    embedder: Embeddings

    def count(self) -> int: ...
    def revision(self) -> tuple:
        """A value that changes whenever the index's contents do (for caches built on them)."""
    def status(self) -> StoreStatus: ...
    def heartbeat(self) -> bool: ...
    def search(self, query: str | list[float], k: int = 5, where: dict | None = None) -> list[Hit]: ...
    def records(self, ids: list[str] | None = None, where: dict | None = None,
                embeddings: bool = False) -> list[Record]: ...
    def add(self, ids: list[str], docs: list[Document], embeddings: list[list[float]]) -> None: ...
    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None: ...
    def delete(self, ids: list[str]) -> None: ...
    def drop(self) -> None: ...
    def rename_to(self, name: str) -> None: ...
    def sibling(self, collection: str, embedder: Embeddings | None = None) -> VectorStore:
        """The same backend, another collection (``--rebuild`` builds beside the live one; the
        multilingual collection holds the same records embedded by another ``embedder``)."""


class StoreQueries:
    """Kefu's bookkeeping reads, built on :meth:`VectorStore.records` (any backend)."""

    def vocabulary(self: Any) -> set[str]:
        """Lower-cased words of every record (cached while the index is unchanged)."""
        from knowledge.revision_cache import PerRevision

        cache = self.__dict__.get("_vocab")
        if cache is None:
            cache = self.__dict__.setdefault("_vocab", PerRevision(self, self._all_words))
        return cache.get()

    def _all_words(self: Any) -> set[str]:
        words: set[str] = set()
        for rec in self.records():
            meta = rec.metadata
            blob = " ".join([rec.text, str(meta.get("title", "")), str(meta.get("answer", ""))])
            words.update(w.lower() for w in re.findall(r"[\w']+", blob))
        return words

    def records_for(self: Any, path: str) -> dict[str, dict]:
        """``{record id: metadata}`` of every record that came from the file at ``path``
        (its ``file_hash`` and ``n_records`` tell ingestion whether the file is current)."""
        return {rec.id: rec.metadata for rec in self.records(where={"path": path})}

    def indexed_paths(self: Any) -> set[str]:
        """Every file path with records in the index."""
        return {str(rec.metadata.get("path", "")) for rec in self.records()} - {""}

    def by_doc_ids(self: Any, doc_ids: list[str]) -> list[Source]:
        """Sources for citable units by id (e.g. product ids), in the order asked; missing ones skipped."""
        if not doc_ids:
            return []
        found: dict[str, Source] = {}
        for rec in self.records(where={"doc_id": {"$in": list(doc_ids)}}):
            meta = rec.metadata
            if meta.get("variant") in ("question", "heading"):
                continue
            found.setdefault(str(meta["doc_id"]), Source(
                id=str(meta["doc_id"]), title=str(meta.get("title", meta["doc_id"])), text=rec.text, score=1.0,
                kind=str(meta.get("kind", "")), intent=str(meta.get("intent") or ""), metadata=meta))
        return [found[d] for d in doc_ids if d in found]


def _to_records(got: dict, with_embeddings: bool) -> list[Record]:
    vectors = got.get("embeddings") if with_embeddings else None
    return [
        Record(rid, text or "", dict(meta or {}), vectors[i] if vectors is not None else None)
        for i, (rid, text, meta) in enumerate(zip(got["ids"], got["documents"], got["metadatas"]))
    ]


class KnowledgeStore(StoreQueries):
    """The store's knowledge in one Chroma collection (embedded or on a server); a :class:`VectorStore`."""

    def __init__(self, settings, embedder: Embeddings, client=None, collection: str | None = None):
        self.settings = settings
        self.embedder = embedder
        self.collection_name = collection or settings.collection
        self._client = client
        self._vs = None  # LangChain Chroma over the collection; None until opened or while it does not exist
        self._seen: str | None = None  # the revision marker when the collection was opened
        self._marker = RevisionMarker(embedded_path(settings))
        self._lock = threading.RLock()

    # -- opening ----------------------------------------------------------------------
    @property
    def client(self):
        with self._lock:
            if self._client is None:
                self._client = open_client(self.settings)
            return self._client

    def _open(self, create: bool, fresh: bool = False) -> None:
        """(Re)open the collection; ``fresh`` loads the embedded index from disk again."""
        from chromadb.errors import NotFoundError
        from langchain_chroma import Chroma

        seen = self._marker.read()  # before opening: a write after this one is noticed next time
        if fresh and self._marker.path is not None:
            self._client = open_client(self.settings, fresh=True)
        try:
            self._vs = Chroma(collection_name=self.collection_name, embedding_function=self.embedder,
                              client=self.client, collection_configuration=COSINE,
                              create_collection_if_not_exists=create)
        except NotFoundError:  # readers never create it: a rebuild may be swapping it in
            self._vs = None
        self._seen = seen

    def _current(self, create: bool = False):
        """The open collection, reopened first when another process changed the index."""
        vs = self._vs
        if vs is None or self._marker.read() != self._seen:
            with self._lock:
                seen = self._marker.read()
                if self._vs is None or seen != self._seen:
                    self._open(create, fresh=self._seen is not None and seen != self._seen)
                vs = self._vs
        return vs

    def _read(self, op: Callable[[Any], T], empty: T) -> T:
        """``op(vectorstore)``; on failure reopen (from disk) and try once more. ``empty`` when
        the collection does not exist."""
        vs = self._current()
        if vs is None:
            return empty
        try:
            return op(vs)
        except Exception as exc:  # noqa: BLE001 - stale caches, a swapped collection, a dropped connection
            log.warning("vector store read failed (%s: %s); reopening and retrying once", type(exc).__name__, exc)
            with self._lock:
                if self._vs is vs:
                    self._open(create=False, fresh=True)
                vs = self._vs
            return empty if vs is None else op(vs)

    def _write(self, op: Callable[[Any], None]) -> None:
        op(self._current(create=True)._collection)
        self._wrote()

    def _wrote(self) -> None:
        """Tell other processes the index changed (and do not reopen for our own write)."""
        with self._lock:
            token = self._marker.bump()
            if token is not None and self._seen is not None:
                self._seen = token

    # -- health -----------------------------------------------------------------------
    def heartbeat(self) -> bool:
        """True when the Chroma backend answers."""
        try:
            self.client.heartbeat()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    def status(self) -> StoreStatus:
        """Can the index answer a query right now, and how many records does it hold?

        Runs one real nearest-neighbour query (with a stored vector), the read that breaks
        when the in-memory index is stale, so a failure here is what shoppers would see.
        """
        def probe(vs) -> int:
            n = vs._collection.count()
            if n:
                first = vs.get(limit=1, include=["embeddings"])["embeddings"][0]
                vs.similarity_search_by_vector_with_relevance_scores([float(x) for x in first], k=1)
            return n

        try:
            n = self._read(probe, 0)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            if not self.heartbeat():
                return StoreStatus(False, 0, "unreachable")
            return StoreStatus(False, 0, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return StoreStatus(True, n, "ok" if n else "empty")

    # -- reads ------------------------------------------------------------------------
    def count(self) -> int:
        return self._read(lambda vs: vs._collection.count(), 0)

    def revision(self) -> tuple:
        return (self._marker.read(), self.count())

    def search(self, query: str | list[float], k: int = 5, where: dict | None = None) -> list[Hit]:
        """The ``k`` nearest records to a query text (or its embedding), best first."""
        vector: list[float] = []

        def op(vs) -> list[Hit]:
            n = vs._collection.count()
            if n == 0:
                return []
            if not vector:
                vector.extend(self.embedder.embed_query(query) if isinstance(query, str) else [float(x) for x in query])
            pairs = vs.similarity_search_by_vector_with_relevance_scores(vector, k=min(k, n), filter=where or None)
            return [Hit(doc, 1.0 - float(distance)) for doc, distance in pairs]

        return self._read(op, [])

    def records(self, ids: list[str] | None = None, where: dict | None = None, embeddings: bool = False) -> list[Record]:
        """Records by id, or every record matching the metadata filter ``where`` (all without one)."""
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])

        def op(vs) -> list[Record]:
            if ids is not None:
                return _to_records(vs.get(ids=list(ids), include=include), embeddings)
            out: list[Record] = []
            offset = 0
            while True:
                got = vs.get(where=where or None, limit=PAGE, offset=offset, include=include)
                out += _to_records(got, embeddings)
                if len(got["ids"]) < PAGE:
                    return out
                offset += PAGE

        if ids is not None and not ids:
            return []
        return self._read(op, [])

    # -- writes -----------------------------------------------------------------------
    def add(self, ids: list[str], docs: list[Document], embeddings: list[list[float]]) -> None:
        """Insert or replace records with their (precomputed) vectors."""
        def op(collection) -> None:
            for start in range(0, len(ids), BATCH):
                end = start + BATCH
                collection.upsert(ids=ids[start:end], documents=[d.page_content for d in docs[start:end]],
                                  metadatas=[d.metadata for d in docs[start:end]], embeddings=embeddings[start:end])

        self._write(op)

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        def op(collection) -> None:
            for start in range(0, len(ids), BATCH):
                collection.update(ids=ids[start : start + BATCH], metadatas=metadatas[start : start + BATCH])

        self._write(op)

    def delete(self, ids: list[str]) -> None:
        def op(collection) -> None:
            for start in range(0, len(ids), BATCH):
                collection.delete(ids=ids[start : start + BATCH])

        self._write(op)

    def drop(self) -> None:
        """Delete the whole collection (used by ``--rebuild`` after the new one is complete)."""
        try:
            self.client.delete_collection(self.collection_name)
        except Exception:  # noqa: BLE001 - absent collection
            pass
        with self._lock:
            self._vs = None
        self._wrote()

    def rename_to(self, name: str) -> None:
        self._write(lambda collection: collection.modify(name=name))
        with self._lock:
            self.collection_name = name
            self._vs = None

    def sibling(self, collection: str, embedder: Embeddings | None = None) -> KnowledgeStore:
        return KnowledgeStore(self.settings, embedder or self.embedder, client=self.client, collection=collection)


def make_store(settings, embedder: Embeddings) -> VectorStore:
    """The vector store the settings name: a Chroma server when ``KEFU_CHROMA_HOST`` is set,
    else the embedded Chroma folder in ``KEFU_DATA_DIR``."""
    return KnowledgeStore(settings, embedder)
