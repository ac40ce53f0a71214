"""Retrieval: the nearest knowledge for a question, grouped by citable unit.

:class:`Retriever` embeds the (follow-up resolved) question once, asks the vector store for
the nearest records, and groups them by citable unit (``doc_id``): an FAQ entry found
through any of its phrasings, a product, a document section. :class:`LexicalIndex` matches
Chinese questions on characters.
"""

from __future__ import annotations

import re

import numpy as np
from langchain_core.documents import Document

from bot.guard import strip_instructions
from bot.intents import OTHER
from knowledge.store import Hit, Source


class LexicalIndex:
    """Character n-gram TF-IDF over the index's Chinese records.

    The bundled MiniLM is English-only: it maps unrelated Chinese questions to nearly the
    same vector (配送需要多长时间 vs 怎样申请退款: cosine 0.98), so Chinese questions are
    matched on characters instead. Scores are mapped linearly so that the same settings
    apply: lexical ``ZH_ABSTAIN`` ↦ ``abstain_below`` and ``ZH_DIRECT`` ↦ ``faq_direct_above``.
    Refitted whenever the index changes (its ``revision``).
    """

    ZH_ABSTAIN, ZH_DIRECT = 0.40, 0.60
    _PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)

    def __init__(self, store, lang: str = "zh"):
        from knowledge.revision_cache import PerRevision

        self.store = store
        self.lang = lang
        self._fitted = PerRevision(store, self._fit)  # (vectorizer, matrix, docs)

    def _fit(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [
            Document(page_content=rec.text, metadata=rec.metadata)
            for rec in self.store.records(where={"lang": self.lang})
            if rec.metadata.get("variant") != "entry"
        ]
        if not docs:
            return None, None, []
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        matrix = vec.fit_transform([self._PUNCT.sub("", d.page_content) for d in docs])
        return vec, matrix, docs

    def search(self, query: str, k: int, abstain_below: float, direct_above: float) -> list[Hit]:
        vec, matrix, docs = self._fitted.get()
        if vec is None:
            return []
        sims = (vec.transform([self._PUNCT.sub("", query)]) @ matrix.T).toarray()[0]
        slope = (direct_above - abstain_below) / (self.ZH_DIRECT - self.ZH_ABSTAIN)
        order = np.argsort(-sims)[:k]
        return [Hit(docs[i], float(abstain_below + (sims[i] - self.ZH_ABSTAIN) * slope)) for i in order]


class Retriever:
    """Nearest knowledge for a question, grouped by citable unit."""

    def __init__(self, store, top_k: int = 5, intent_weight: float = 0.5, thresholds: tuple[float, float] = (0.42, 0.70)):
        from bot.intents import IntentModelCache

        self.store = store
        self.thresholds = thresholds  # (abstain_below, faq_direct_above), for the lexical score mapping
        self.lexical = LexicalIndex(store)
        self.top_k = top_k
        self.intent_weight = intent_weight
        self.intents = IntentModelCache(store) if intent_weight else None

    def retrieve(self, query: str, lang: str = "en", k: int | None = None, vector=None) -> list[Source]:
        """Best sources for ``query`` (pass ``vector`` if its embedding is already known)."""
        k = k or self.top_k
        if vector is None:
            vector = self.store.embedder.embed_query(query)
        if lang == "zh":
            hits = self.lexical.search(query, k * 6, *self.thresholds)
        else:
            hits = self.store.search(vector, k=k * 6, where={"lang": {"$ne": "zh"}})
        grouped: dict[str, Source] = {}
        for hit in hits:
            meta = hit.doc.metadata
            doc_id = hit.doc_id or hit.doc.page_content[:40]
            if doc_id in grouped:
                grouped[doc_id].score = max(grouped[doc_id].score, hit.score)
                continue
            kind = str(meta.get("kind", "text"))
            # FAQ phrasings and section headings point at their answer / section body.
            text = str(meta.get("answer") or meta.get("body") or hit.doc.page_content)
            text = strip_instructions(text)  # documents are data: orders planted in them are dropped
            title = str(meta.get("title") or meta.get("section") or meta.get("source") or doc_id)
            grouped[doc_id] = Source(
                id=doc_id,
                title=title,
                text=text,
                score=hit.score,
                kind=kind,
                intent=str(meta.get("intent") or ""),
                metadata=dict(meta),
            )
        # Re-rank FAQ entries with the intent model; the cosine (``score``) stays what
        # thresholds see, so re-ranking never turns an abstention into an answer.
        proba = self.intents.get().proba(vector) if self.intents and grouped and lang != "zh" else {}
        def rank(src: Source) -> float:
            return src.score + self.intent_weight * proba.get(src.id if src.kind == "faq" else OTHER, 0.0)

        return sorted(grouped.values(), key=lambda s: -rank(s))[:k]
