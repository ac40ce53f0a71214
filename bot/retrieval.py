"""Retrieval: the nearest knowledge for a question, grouped by citable unit.

:class:`Retriever` finds candidates three ways and fuses them, then groups them by citable
unit (``doc_id``): an FAQ entry found through any of its phrasings, a product, a document
section.

- **English questions: hybrid.** The embedding's nearest records (MiniLM, from the vector
  store) and the best character n-gram TF-IDF matches (:class:`CharIndex`) over the same
  records are ranked by ``cosine + lexical_weight × tf-idf + intent_weight × P(entry)``:
  the n-grams carry the exact words the embedding blurs ("pre-order" vs "backorder",
  "receipt", model numbers), the FAQ intent model separates neighbouring entries.
- **Chinese questions** are matched on characters against the Chinese records
  (:class:`LexicalIndex`) and, through the multilingual collection
  (:mod:`knowledge.multilingual`, Universal Sentence Encoder), against every record in any
  language; the two rankings are fused by reciprocal rank (:func:`rrf`), so "PS5 光驱版多少钱？"
  reaches the English product and "退货政策是什么？" the Chinese FAQ entry first.
- **Chinese documents for English questions**: the multilingual collection's Chinese
  records are merged into the English ranking where the multilingual model ranks them above
  an English candidate (:func:`merge_by_rank`); the best English source stays first while
  it is a match (English knowledge answers an English shopper). A translation (a record whose
  metadata names its ``translation_of``, e.g. ``policies/zh/*.md``), or a Chinese FAQ entry
  whose intent an English entry answers, is never merged: its original is already among the
  English candidates.

The score a source carries (what the answerer's thresholds see) is never the fused rank: it
is the cosine for English records, the mapped character score for Chinese ones, and for a
record found only by the multilingual model a rank-based score (:func:`rank_score`), since
its raw cosines separate right from wrong too thinly to threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from bot.guard import strip_instructions
from bot.intents import OTHER
from knowledge.store import Hit, Source

NOT_ZH = {"lang": {"$ne": "zh"}}
RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al. 2009)


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion: ``{key: Σ 1 / (k + rank)}`` over the rankings a key appears in.

    >>> fused = rrf([["a", "b"], ["b", "c"]])
    >>> sorted(fused, key=fused.get, reverse=True)
    ['b', 'a', 'c']
    """
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


def merge_by_rank(primary: list[str], extra: list[str], judge: dict[str, float], keep_first: bool) -> list[str]:
    """``primary`` with each ``extra`` key inserted before the first primary key that ``judge``
    (one model's similarity for every key, higher is better) ranks below it; after all
    primary keys when ``judge`` ranks it below every one. ``keep_first``: never before the
    first primary key.

    >>> merge_by_rank(["en1", "en2"], ["zh1"], {"en1": 0.9, "en2": 0.5, "zh1": 0.7}, keep_first=False)
    ['en1', 'zh1', 'en2']
    >>> merge_by_rank(["en1"], ["zh1"], {"en1": 0.2, "zh1": 0.7}, keep_first=True)
    ['en1', 'zh1']
    """
    out = list(primary)
    for key in extra:
        if key in out:
            continue
        pos = len(out)
        for i, other in enumerate(out):
            if (i or not keep_first) and judge.get(other, float("-inf")) < judge[key]:
                pos = i
                break
        out.insert(pos, key)
    return out


def rank_score(rank: int, abstain_below: float, direct_above: float, step: float = 0.25) -> float:
    """The score of a source found only by the multilingual model, from its rank there (1 = best).

    Its raw cosines are not comparable to MiniLM's and separate right from wrong thinly, so
    what it says is "this is among the nearest": the best gets the middle between abstaining
    and answering verbatim (enough to be answered from, never a verbatim FAQ hit), the next
    ones less.

    ``step``: how much of the way down to ``abstain_below`` each further rank goes.

    >>> round(rank_score(1, 0.42, 0.70), 3), round(rank_score(3, 0.42, 0.70), 3)
    (0.56, 0.49)
    >>> round(rank_score(2, 0.42, 0.70, step=1.0), 3)
    0.42
    """
    top = (abstain_below + direct_above) / 2
    return float(top - (rank - 1) * (top - abstain_below) * step)


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
        self._fitted = PerRevision(store, self._fit)  # (CharTfidf, docs)

    def _fit(self):
        from bot.intents import cache_dir_of
        from knowledge.char_tfidf import CharTfidf  # scikit-learn's fit, read back from disk

        docs = [
            Document(page_content=rec.text, metadata=rec.metadata, id=rec.id)
            for rec in self.store.records(where={"lang": self.lang})
            if rec.metadata.get("variant") != "entry"
        ]
        if not docs:
            return None, []
        from knowledge.lang import zh_terms

        # CJK characters (Traditional folded to Simplified) one and two at a time, Latin words whole.
        vec = CharTfidf.cached([d.page_content for d in docs], zh_terms, (1, 1), cache_dir_of(self.store))
        return vec, docs

    @staticmethod
    def coverage(vec, query: str) -> float:
        """The share of the question's TF-IDF weight (its L2 norm) that the Chinese records' terms
        carry. A term no record has (a product's English name in "Sonora Quiet 700 降噪耳机多少钱")
        weighs as the rarest term would; without it, a question whose distinctive words are all
        unknown here would be matched on what is left ("多少钱" → "礼品包装多少钱")."""
        from collections import Counter

        from knowledge.lang import zh_terms

        known = unknown = 0.0
        top_idf = float(np.max(vec.idf_)) if len(vec.idf_) else 1.0
        for term, n in Counter(zh_terms(query)).items():
            col = vec.vocabulary_.get(term)
            weight = (1.0 + np.log(n)) * (vec.idf_[col] if col is not None else top_idf)
            if col is None:
                unknown += weight ** 2
            else:
                known += weight ** 2
        return float(np.sqrt(known / (known + unknown))) if known else 0.0

    def search(self, query: str, k: int, abstain_below: float, direct_above: float) -> list[Hit]:
        vec, docs = self._fitted.get()
        if vec is None:
            return []
        sims = vec.scores(query) * self.coverage(vec, query)
        slope = (direct_above - abstain_below) / (self.ZH_DIRECT - self.ZH_ABSTAIN)
        order = np.argsort(-sims, kind="stable")[:k]
        return [Hit(docs[i], float(abstain_below + (sims[i] - self.ZH_ABSTAIN) * slope)) for i in order]


@dataclass
class _CharFit:
    tfidf: object  # knowledge.char_tfidf.CharTfidf, one row per record
    vectors: np.ndarray  # the records' stored (dense) embeddings, one per row
    docs: list[Document]
    row: dict[str, int]  # record id → row


class CharIndex:
    """Character n-gram (within words, 3–5) TF-IDF over the records that are not Chinese, for
    hybrid ranking of English questions; keeps the records' stored vectors too, so that a
    record found only lexically gets its embedding cosine without another query.
    Refitted whenever the index changes."""

    def __init__(self, store):
        from knowledge.revision_cache import PerRevision

        self.store = store
        self._fitted = PerRevision(store, self._fit)

    def _fit(self) -> _CharFit | None:
        from bot.intents import cache_dir_of
        from knowledge.char_tfidf import CharTfidf  # scikit-learn's fit, read back from disk

        records = self.store.records(where=NOT_ZH, embeddings=True)
        if not records:
            return None
        docs = [Document(page_content=r.text, metadata=r.metadata, id=r.id) for r in records]
        tfidf = CharTfidf.cached([d.page_content for d in docs], "char_wb", (3, 5), cache_dir_of(self.store))
        vectors = np.asarray([r.embedding for r in records], dtype=np.float32)
        return _CharFit(tfidf, vectors, docs, {r.id: i for i, r in enumerate(records)})

    def get(self) -> _CharFit | None:
        return self._fitted.get()

    def scores(self, query: str) -> np.ndarray:
        """TF-IDF cosine of ``query`` with every row (empty when the index is empty)."""
        fit = self.get()
        if fit is None:
            return np.zeros(0)
        return fit.tfidf.scores(query)


class Retriever:
    """Nearest knowledge for a question, grouped by citable unit (see the module docstring).

    ``multilingual``: the store's multilingual collection; by default the one the store's
    settings keep (``KEFU_MULTILINGUAL``), none when they keep none. ``settings``: where
    ``lexical_weight`` comes from (default: the store's settings).
    """

    # The multilingual model's best cosine under which a question has nothing related in the
    # index (unrelated questions: 0.25-0.34 on the demo store; on-topic ones: 0.37 and up).
    # A floor for "nothing at all", not a threshold between right and wrong: those gaps are thin.
    ML_NOTHING = 0.35
    ML_STEP = 1.0  # the score of the multilingual model's rank n: best, then abstain_below at rank 2 (rank_score)

    def __init__(self, store, top_k: int = 5, intent_weight: float = 0.5, thresholds: tuple[float, float] = (0.42, 0.70),
                 *, lexical_weight: float | None = None, multilingual="auto", settings=None):
        from bot.intents import IntentModelCache

        settings = settings if settings is not None else getattr(store, "settings", None)
        self.store = store
        self.thresholds = thresholds  # (abstain_below, faq_direct_above), for the lexical score mapping
        self.lexical = LexicalIndex(store)
        self.chars = CharIndex(store)
        self.lexical_weight = float(lexical_weight if lexical_weight is not None
                                    else getattr(settings, "lexical_weight", 0.4))
        self.top_k = top_k
        self.intent_weight = intent_weight
        self.intents = IntentModelCache(store) if intent_weight else None
        if multilingual == "auto":
            from knowledge.multilingual import multilingual_store

            multilingual = multilingual_store(store)
        self.multilingual = multilingual
        self._has_zh = None
        if multilingual is not None:
            from knowledge.revision_cache import PerRevision

            self._has_zh = PerRevision(multilingual, lambda: bool(multilingual.records(where={"lang": "zh"})))
            # FAQ intents an English entry answers: a Chinese entry with one of them is that entry's counterpart
            self._english_intents = PerRevision(multilingual, lambda: {
                str(r.metadata.get("intent")) for r in multilingual.records(where={"kind": "faq"})
                if r.metadata.get("intent") and r.metadata.get("lang", "en") != "zh"})

    def warm(self) -> None:
        """Fit what retrieval derives from the index and load the multilingual model now."""
        self.chars.get()
        self.lexical._fitted.get()
        if self.intents:
            self.intents.get()
        if self.multilingual is not None:
            self.multilingual.embedder.embed_query("warm up")
            self._has_zh.get()

    # -- candidates --------------------------------------------------------------------------
    def _multilingual_hits(self, query: str, k: int, where: dict | None, vector=None) -> list[Hit]:
        ml = self.multilingual
        if ml is None:
            return []
        if vector is None:
            vector = ml.embedder.embed_query(query)
        return ml.search(vector, k=k, where=where)

    def _english(self, query: str, vector, n: int) -> tuple[list[Hit], dict[str, float]]:
        """Hybrid candidates: dense hits and the best lexical rows, each with its cosine; and
        every record's lexical similarity (by record id)."""
        dense = self.store.search(vector, k=n, where=NOT_ZH)
        fit = self.chars.get() if self.lexical_weight else None
        if fit is None:
            return dense, {}
        sims = self.chars.scores(query)
        top = np.argsort(-sims, kind="stable")[:n]
        lex = {fit.docs[i].id: float(sims[i]) for i in top if sims[i] > 0}
        seen = {h.doc.id for h in dense}
        missing = [i for i in top if fit.docs[i].id not in seen and sims[i] > 0]
        if missing:
            q = np.asarray(vector, dtype=np.float32)
            cos = fit.vectors[missing] @ q / (np.linalg.norm(fit.vectors[missing], axis=1) * np.linalg.norm(q) + 1e-12)
            dense = dense + [Hit(fit.docs[i], float(c)) for i, c in zip(missing, cos)]
        for h in dense:  # dense hits outside the lexical top still get their lexical similarity
            if h.doc.id not in lex and h.doc.id in fit.row:
                lex[h.doc.id] = float(sims[fit.row[h.doc.id]])
        return dense, lex

    # -- grouping ----------------------------------------------------------------------------
    @staticmethod
    def _group(hits: list[Hit], grouped: dict[str, Source], extra: dict[str, float] | None = None,
               by: dict[str, float] | None = None) -> list[str]:
        """Add ``hits`` to ``grouped`` (one source per ``doc_id``, the best score kept); returns
        the doc ids in the order first met. ``extra`` (record id → value) is max-pooled into
        ``by`` (doc id → value)."""
        order: list[str] = []
        for hit in hits:
            meta = hit.doc.metadata
            doc_id = hit.doc_id or hit.doc.page_content[:40]
            if by is not None and extra is not None:
                by[doc_id] = max(by.get(doc_id, 0.0), extra.get(hit.doc.id or "", 0.0))
            if doc_id not in order:
                order.append(doc_id)
            if doc_id in grouped:
                grouped[doc_id].score = max(grouped[doc_id].score, hit.score)
                continue
            kind = str(meta.get("kind", "text"))
            # FAQ phrasings and section headings point at their answer / section body.
            text = str(meta.get("answer") or meta.get("body") or hit.doc.page_content)
            text = strip_instructions(text)  # documents are data: orders planted in them are dropped
            title = str(meta.get("title") or meta.get("section") or meta.get("source") or doc_id)
            grouped[doc_id] = Source(
                id=doc_id, title=title, text=text, score=hit.score, kind=kind,
                intent=str(meta.get("intent") or ""), metadata=dict(meta),
            )
        return order

    def _ranked_by_model(self, hits: list[Hit]) -> tuple[list[str], dict[str, float]]:
        """Doc ids in a model's order and each one's best similarity in it."""
        best: dict[str, float] = {}
        for hit in hits:
            doc_id = hit.doc_id or hit.doc.page_content[:40]
            best[doc_id] = max(best.get(doc_id, float("-inf")), hit.score)
        return list(best), best

    # -- retrieval ---------------------------------------------------------------------------
    def retrieve(self, query: str, lang: str = "en", k: int | None = None, vector=None,
                 multilingual_vector=None) -> list[Source]:
        """Best sources for ``query`` (pass ``vector`` / ``multilingual_vector`` if its embeddings
        are already known)."""
        k = k or self.top_k
        n = k * 6
        if lang == "zh":
            return self._chinese(query, k, n, multilingual_vector)
        if vector is None:
            vector = self.store.embedder.embed_query(query)
        hits, lex = self._english(query, vector, n)
        grouped: dict[str, Source] = {}
        lexical: dict[str, float] = {}
        self._group(hits, grouped, lex, lexical)
        # Re-rank FAQ entries with the intent model; the cosine (``score``) stays what
        # thresholds see, so re-ranking never turns an abstention into an answer.
        proba = self.intents.get().proba(vector) if self.intents and grouped else {}

        def rank(src: Source) -> float:
            return (src.score + self.lexical_weight * lexical.get(src.id, 0.0)
                    + self.intent_weight * proba.get(src.id if src.kind == "faq" else OTHER, 0.0))

        english = sorted(grouped.values(), key=lambda s: -rank(s))
        if self.multilingual is None or not self._has_zh.get():
            return english[:k]
        # Chinese documents, where the multilingual model ranks them above English candidates.
        # Chinese documents the multilingual model ranks above every English record: a topic
        # only the Chinese documents cover.
        ml_hits = self._multilingual_hits(query, n, None, multilingual_vector)
        ml_order, ml_best = self._ranked_by_model(ml_hits)
        zh_hits = []
        english_intents = self._english_intents.get()
        for hit in ml_hits:
            if hit.doc.metadata.get("lang") != "zh":
                break
            meta = hit.doc.metadata
            # a translation, or the Chinese entry of an intent an English entry answers, covers nothing
            # its English counterpart does not
            if not meta.get("translation_of") and not (meta.get("intent") and meta.get("intent") in english_intents):
                zh_hits.append(hit)
        if not zh_hits or self._nothing(ml_best):
            return english[:k]
        zh_grouped: dict[str, Source] = {}
        zh_order = self._group(zh_hits, zh_grouped)
        english_answers = bool(english) and english[0].score >= self.thresholds[0]
        order = merge_by_rank([s.id for s in english], zh_order, ml_best, keep_first=english_answers)[:k]
        for doc_id in zh_order:
            zh_grouped[doc_id].score = rank_score(ml_order.index(doc_id) + 1, *self.thresholds)
        sources = {s.id: s for s in english} | {d: s for d, s in zh_grouped.items() if d not in grouped}
        return [sources[d] for d in order]

    def _chinese(self, query: str, k: int, n: int, multilingual_vector=None) -> list[Source]:
        """Characters over the Chinese records, fused with the multilingual model over every record."""
        grouped: dict[str, Source] = {}
        self._group(self.lexical.search(query, n, *self.thresholds), grouped)
        ml_hits = self._multilingual_hits(query, n, None, multilingual_vector)
        if not ml_hits:
            return sorted(grouped.values(), key=lambda s: -s.score)[:k]
        # Each model's ranking: entries the characters actually match (and policy sections they match
        # at all, see _matched_sections), the multilingual model's best.
        by_score = sorted(grouped.values(), key=lambda s: -s.score)
        matched = [s.id for s in by_score if s.score >= self.thresholds[0]]
        names = self._names(query, n)
        # a question naming a product (its Latin words match one best) is about that product, not
        # about a section's stray words ("Hearthstone 空气炸锅价格多少" vs 价格和币种)
        names_product = bool(names) and names[0].doc.metadata.get("kind") == "product"
        lexical_order = matched + ([] if names_product else self._matched_sections(by_score))
        ml_order, ml_best = self._ranked_by_model(ml_hits)
        found: dict[str, Source] = {}
        self._group(ml_hits, found)
        # The multilingual ranking, hybrid like the English one: the question's Latin words
        # (a brand, a model number) matched on characters add to its cosine.
        if names:
            self._group(names, found)
            name_order, name_best = self._ranked_by_model(names)
            floor = min(ml_best.values())
            blended = {d: ml_best.get(d, floor) + self.lexical_weight * name_best.get(d, 0.0)
                       for d in [*ml_order, *(d for d in name_order if d not in ml_best)]}
            ml_order = sorted(blended, key=lambda d: -blended[d])  # stable: ties keep the model's order
        ml_order = ml_order[:k]
        nothing = self._nothing(ml_best) and not matched
        for rank, doc_id in enumerate(ml_order, start=1):
            # Below its best, the multilingual model's order says little (its cosines separate thinly):
            # what it alone ranks second or lower stays a candidate to list, not one to answer from
            # beside the best (a Chinese entry's characters would otherwise outvote an English answer).
            score = self.thresholds[0] - 0.1 if nothing else rank_score(rank, *self.thresholds, step=self.ML_STEP)
            if doc_id in grouped:  # the character score, when characters found it, else its rank's
                grouped[doc_id].score = max(grouped[doc_id].score, score)
            else:
                found[doc_id].score = score
                grouped[doc_id] = found[doc_id]
        fused = rrf([lexical_order, ml_order])
        return sorted(grouped.values(), key=lambda s: (-fused.get(s.id, 0.0), -s.score))[:k]

    # A policy section is long and a question shares only a few of its words, so its character
    # score runs well below a short FAQ phrasing's: among the characters' best SECTION_DEPTH, a
    # section scoring above SECTION_MATCH (mapped; raw TF-IDF about 0.10) is one they match.
    SECTION_DEPTH, SECTION_MATCH = 8, 0.0

    def _matched_sections(self, by_score: list[Source]) -> list[str]:
        """The policy sections among the character ranking's best (``by_score``: best first) that
        the characters match at all, though below the abstain threshold: they join the character
        ranking, so that a section both models list (or only the characters, plainly) is fused
        ahead of what the multilingual model alone prefers thinly ("注册账号 密码最少要几位" →
        the Chinese 注册账户 section, not the password-reset FAQ entry).

        >>> r = Retriever.__new__(Retriever); r.thresholds = (0.42, 0.70)
        >>> srcs = [Source(id=i, title=i, text="", score=sc, kind=k) for i, sc, k in
        ...         [("faq#a", 0.5, "faq"), ("pol#b", 0.3, "policy"), ("faq#c", 0.2, "faq"), ("pol#d", -0.1, "policy")]]
        >>> r._matched_sections(srcs)
        ['pol#b']
        """
        low = self.thresholds[0]
        return [s.id for s in by_score[: self.SECTION_DEPTH]
                if s.kind == "policy" and self.SECTION_MATCH <= s.score < low]

    _LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*")

    def _names(self, query: str, n: int) -> list[Hit]:
        """The records that the question's Latin words (brands, product names, model numbers:
        "Redline RW-300 方向盘多少钱？") and the English words of its shop terms match by character
        n-grams, scored by that similarity."""
        from bot.answers.crosslingual import lexical_query

        # the Latin words, plus the English words of the shop terms in it ("登山靴" → "hiking boots")
        words = [w for w in self._LATIN.findall(lexical_query(query)) if any(c.isalpha() for c in w) or len(w) >= 3]
        fit = self.chars.get() if words else None
        if fit is None:
            return []
        sims = self.chars.scores(" ".join(words))
        return [Hit(fit.docs[i], float(sims[i])) for i in np.argsort(-sims, kind="stable")[:n] if sims[i] > 0]

    def _nothing(self, ml_best: dict[str, float]) -> bool:
        """Whether the multilingual model sees nothing related to the question at all."""
        return not ml_best or max(ml_best.values()) < self.ML_NOTHING
