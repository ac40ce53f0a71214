"""The vector store: Chroma, embedded (a folder under KEFU_DATA_DIR) or a Chroma server.

``KnowledgeStore`` wraps LangChain's ``Chroma`` vector store (cosine space) and adds the
few bookkeeping reads incremental ingestion needs (what each file contributed, by
content hash). Retrieval returns :class:`Hit` records with a relevance score in
[0, 1] (1 = same direction).

Example::

    >>> store = KnowledgeStore(settings, make_embedder("fake"))
    >>> store.search("how do I return an item?", k=3)        # doctest: +SKIP
    [Hit(doc=Document(...), score=0.71), ...]
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

COSINE = {"hnsw": {"space": "cosine"}}


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


def make_client(settings):
    """An embedded ``PersistentClient`` in ``data_dir/chroma``, or an ``HttpClient`` to a server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class KnowledgeStore:
    """The store's knowledge in one Chroma collection."""

    def __init__(self, settings, embedder: Embeddings, client=None, collection: str | None = None):
        self.settings = settings
        self.embedder = embedder
        self._client = client
        self.collection_name = collection or settings.collection
        self._vs = None
        self._lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    @property
    def vectorstore(self):
        """LangChain ``Chroma`` over the collection (created on first use)."""
        if self._vs is None:
            with self._lock:
                if self._vs is None:
                    from langchain_chroma import Chroma

                    self._vs = Chroma(
                        collection_name=self.collection_name,
                        embedding_function=self.embedder,
                        client=self.client,
                        collection_configuration=COSINE,
                    )
        return self._vs

    @property
    def collection(self):
        return self.vectorstore._collection

    def heartbeat(self) -> bool:
        """True when the Chroma backend answers."""
        try:
            self.client.heartbeat()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    def count(self) -> int:
        return self.collection.count()

    # -- reads ------------------------------------------------------------------------
    def search(self, query: str | list[float], k: int = 5, where: dict | None = None) -> list[Hit]:
        """The ``k`` nearest records to a query text (or its embedding), best first."""
        if self.count() == 0:
            return []
        vector = self.embedder.embed_query(query) if isinstance(query, str) else [float(x) for x in query]
        res = self.collection.query(
            query_embeddings=[vector],
            n_results=min(k, self.count()),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for text, meta, dist in zip(res["documents"][0], res["metadatas"][0], res["distances"][0]):
            hits.append(Hit(Document(page_content=text or "", metadata=dict(meta or {})), 1.0 - float(dist)))
        return hits

    def vocabulary(self) -> set[str]:
        """Lower-cased words of every record (cached while the record count is unchanged)."""

        count = self.count()
        cached = getattr(self, "_vocab", None)
        if cached is not None and cached[0] == count:
            return cached[1]
        words: set[str] = set()
        offset, page = 0, 2000
        while True:
            got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            for text, meta in zip(got["documents"], got["metadatas"]):
                blob = " ".join([text or "", str((meta or {}).get("title", "")), str((meta or {}).get("answer", ""))])
                words.update(w.lower() for w in re.findall(r"[\w']+", blob))
            if len(got["ids"]) < page:
                break
            offset += page
        self._vocab = (count, words)
        return words

    def records_for(self, path: str) -> dict[str, dict]:
        """``{chunk id: metadata}`` of every record that came from the file at ``path``."""
        got = self.collection.get(where={"path": path}, include=["metadatas"])
        return dict(zip(got["ids"], got["metadatas"]))

    def indexed_paths(self) -> set[str]:
        """Every file path with records in the collection."""
        paths: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            paths.update(str(m.get("path", "")) for m in got["metadatas"] if m)
            if len(got["ids"]) < page:
                return paths - {""}
            offset += page

    def by_doc_ids(self, doc_ids: list[str]):
        """Sources for citable units by id (e.g. product ids), in the order asked; missing ones skipped."""
        if not doc_ids:
            return []
        got = self.collection.get(where={"doc_id": {"$in": list(doc_ids)}}, include=["documents", "metadatas"])
        found: dict[str, Source] = {}
        for text, meta in zip(got["documents"], got["metadatas"]):
            meta = dict(meta or {})
            if meta.get("variant") in ("question", "heading"):
                continue
            found.setdefault(str(meta["doc_id"]), Source(
                id=str(meta["doc_id"]), title=str(meta.get("title", meta["doc_id"])), text=text or "", score=1.0,
                kind=str(meta.get("kind", "")), intent=str(meta.get("intent") or ""), metadata=meta))
        return [found[d] for d in doc_ids if d in found]

    def get(self, ids: list[str]) -> list[Document]:
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return [Document(page_content=t or "", metadata=dict(m or {})) for t, m in zip(got["documents"], got["metadatas"])]

    # -- writes -----------------------------------------------------------------------
    def add(self, ids: list[str], docs: list[Document], embeddings: list[list[float]]) -> None:
        for start in range(0, len(ids), 1000):
            end = start + 1000
            self.collection.upsert(
                ids=ids[start:end],
                documents=[d.page_content for d in docs[start:end]],
                metadatas=[d.metadata for d in docs[start:end]],
                embeddings=embeddings[start:end],
            )

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        for start in range(0, len(ids), 1000):
            self.collection.update(ids=ids[start : start + 1000], metadatas=metadatas[start : start + 1000])

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 1000):
            self.collection.delete(ids=ids[start : start + 1000])

    def drop(self) -> None:
        """Delete the whole collection (used by ``--rebuild`` after the new one is complete)."""
        try:
            self.client.delete_collection(self.collection_name)
        except Exception:  # noqa: BLE001 - absent collection
            pass
        self._vs = None

    def rename_to(self, name: str) -> None:
        self.collection.modify(name=name)
        self.collection_name = name
        self._vs = None
