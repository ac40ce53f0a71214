"""Retrieval-augmented answering: retrieve, then answer only what the sources support.

:class:`Retriever` embeds the (follow-up resolved) question once, asks Chroma for the
nearest records, and groups them by citable unit (``doc_id``): an FAQ entry found
through any of its phrasings, a product, a document section.

:class:`Answerer` turns sources into a reply, in this order of preference:

1. nothing relevant (best score < ``abstain_below``) → abstain and offer a human;
2. a strong FAQ match (≥ ``faq_direct_above``) → the curated answer, verbatim;
3. otherwise the LLM writes from the numbered sources; its output is checked sentence by
   sentence as it streams (:mod:`bot.grounding`) and only supported sentences are shown;
4. if no sentence survives (or the model is down) → the closest sentences of the best
   source (extractive, grounded by construction), since retrieval already passed step 1.

Events yielded while answering: ``("delta", text)`` pieces, then ``("final", Answer)``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from langchain_core.documents import Document

from bot.grounding import GroundingChecker, split_sentences, strip_citations
from bot.guard import strip_instructions
from bot.intents import OTHER
from bot.llm import LLM, LLMError
from bot.prompts import ABSTAIN_TEXT, DEGRADED_NOTE, build_messages

log = logging.getLogger("kefu.rag")
from knowledge.store import Hit, Source

_BOUNDARY = re.compile(r"[.!?](?:\s*\[\d+\])?\s+|[。！？](?:\s*\[\d+\])?")


@dataclass
class Answer:
    text: str
    abstained: bool
    sources: list[Source]  # the sources the reply cites, in citation order
    mode: str  # faq | llm | extractive | abstain | degraded
    retrieved: list[Source] = field(default_factory=list)  # everything retrieved, for staff
    checks: list[dict] = field(default_factory=list)  # per generated sentence: kept or why dropped
    timings: dict = field(default_factory=dict)


class LexicalIndex:
    """Character n-gram TF-IDF over the index's Chinese records.

    The bundled MiniLM is English-only: it maps unrelated Chinese questions to nearly the
    same vector (配送需要多长时间 vs 怎样申请退款: cosine 0.98), so Chinese questions are
    matched on characters instead. Scores are mapped linearly so that the same settings
    apply: lexical ``ZH_ABSTAIN`` ↦ ``abstain_below`` and ``ZH_DIRECT`` ↦ ``faq_direct_above``.
    Refitted whenever the store's record count changes.
    """

    ZH_ABSTAIN, ZH_DIRECT = 0.40, 0.60
    _PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)

    def __init__(self, store, lang: str = "zh"):
        self.store = store
        self.lang = lang
        self._fitted: tuple | None = None  # (count, vectorizer, matrix, docs)

    def _fit(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        count = self.store.count()
        if self._fitted and self._fitted[0] == count:
            return self._fitted
        got = self.store.collection.get(where={"lang": self.lang}, include=["documents", "metadatas"])
        docs = [
            Document(page_content=t or "", metadata=dict(m or {}))
            for t, m in zip(got["documents"], got["metadatas"])
            if (m or {}).get("variant") != "entry"
        ]
        if not docs:
            self._fitted = (count, None, None, [])
            return self._fitted
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        matrix = vec.fit_transform([self._PUNCT.sub("", d.page_content) for d in docs])
        self._fitted = (count, vec, matrix, docs)
        return self._fitted

    def search(self, query: str, k: int, abstain_below: float, direct_above: float) -> list[Hit]:
        _, vec, matrix, docs = self._fit()
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


_NAME_CHAIN = re.compile(r"\b[A-Z][A-Za-z0-9&-]+(?:'s)?(?:\s+[A-Z][A-Za-z0-9&-]+(?:'s)?)*")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def unknown_names(question: str, vocabulary: set[str]) -> list[tuple[str, bool]]:
    """Names in the question that no indexed document mentions, as ``(name, possessive)``.

    A name is a run of capitalised words that does not start a sentence. Places after
    "to"/"from" (shipping destinations, where an order comes from), months and days, and
    short all-capital abbreviations (ETA, TV) are not counted.

    >>> unknown_names("What is Walmart's return policy?", {"return", "policy"})
    [('Walmart', True)]
    >>> unknown_names("do you ship to Detroit?", {"ship"})
    []
    """
    found = []
    for m in _NAME_CHAIN.finditer(question):
        before = question[: m.start()].rstrip()
        if not before or before[-1] in ".!?:;\"“(" or re.search(r"\b(to|from)$", before, re.I):
            continue
        possessive = False
        for word in m.group(0).split():
            if word.endswith("'s"):
                word, possessive = word[:-2], True
            low = word.lower()
            if low in vocabulary or low.rstrip("s") in vocabulary or low in _CALENDAR:
                continue
            if word.isupper() and len(word) <= 3:
                continue
            found.append((word, possessive))
    return found


class Answerer:
    """Composes a grounded reply from sources (see the module docstring)."""

    def __init__(self, settings, llm: LLM, embedder, vocabulary=None):
        self.settings = settings
        self.vocabulary = vocabulary  # () -> set of words in the index, for the unknown-name check
        self.llm = llm
        self.checker = GroundingChecker(embedder, support_min=settings.support_min)
        self.system_prompt = settings.system_prompt_text()

    def should_abstain(self, question: str, sources: list[Source]) -> bool:
        """True when the knowledge cannot answer: nothing close enough, or the question names
        something (a place, another shop, a brand) that no indexed document mentions."""
        if not sources or sources[0].score < self.settings.abstain_below:
            return True
        if self.vocabulary is None:
            return False
        names = unknown_names(question, self.vocabulary())
        # "Walmart's return policy" is never ours; a plain unknown name only outweighs a
        # match that is not already a near-certain FAQ hit.
        return any(possessive for _, possessive in names) or (
            bool(names) and sources[0].score < self.settings.faq_direct_above
        )

    def abstain(self, lang: str, retrieved: list[Source]) -> Answer:
        return Answer(ABSTAIN_TEXT.get(lang, ABSTAIN_TEXT["en"]), True, [], "abstain", retrieved)

    def extractive(self, question: str, source: Source) -> str:
        if source.kind == "faq":
            return source.text
        body = source.text.split("\n", 1)[1] if " > " in source.text.split("\n", 1)[0] else source.text
        if source.kind == "product":
            lines = source.text.splitlines()
            facts = [ln for ln in lines[1:] if ln.startswith(("Price:", "In stock:", "Out of stock"))]
            best = self.checker.best_sentences(question, " ".join(lines[1:]), n=1)
            return " ".join([f"{lines[0]}."] + facts + [b for b in best if b not in facts])
        return " ".join(self.checker.best_sentences(question, body, n=2))

    def answer(
        self, question: str, sources: list[Source], history: list[tuple[str, str]], lang: str = "en"
    ) -> Iterator[tuple[str, object]]:
        s = self.settings
        if self.should_abstain(question, sources):
            yield "final", self.abstain(lang, sources)
            return
        top = sources[0]
        if lang == "zh" and top.kind == "faq":
            # The bundled checker cannot judge Chinese sentences: answer with curated text only.
            text = f"{top.text} [1]"
            yield "delta", text
            yield "final", Answer(text, False, [top], "faq", sources)
            return
        if top.kind == "faq" and top.score >= s.faq_direct_above:
            text = f"{top.text} [1]"
            yield "delta", text
            yield "final", Answer(text, False, [top], "faq", sources)
            return
        used = sources[: min(3, len(sources))]
        texts = [src.text for src in used]
        messages = build_messages(self.system_prompt, [(u.title, u.text) for u in used], question, history)
        ctx = self.checker
        kept: list[tuple[str, int]] = []
        checks: list[dict] = []
        started = time.perf_counter()
        first_token = None
        degraded = False

        def judge(sentence: str) -> str | None:
            results = ctx.check(sentence, texts)
            out = None
            for r in results:
                checks.append({"sentence": r.text, "kept": r.supported, "similarity": round(r.similarity, 3), "why": r.reason})
                if r.supported:
                    kept.append((r.text, r.source))
                    out = (out or "") + f"{r.text} [{r.source + 1}] "
            return out

        buffer = ""
        try:
            for piece in self.llm.stream(messages, max_new_tokens=s.llm_max_new_tokens):
                if first_token is None:
                    first_token = time.perf_counter() - started
                buffer += piece
                # Judge every sentence that is finished (a terminator followed by space).
                cut = max((m.end() for m in _BOUNDARY.finditer(buffer)), default=0)
                if cut:
                    for sentence in split_sentences(buffer[:cut]):
                        shown = judge(sentence)
                        if shown:
                            yield "delta", shown
                    buffer = buffer[cut:]
            if buffer.strip():
                shown = judge(buffer)
                if shown:
                    yield "delta", shown
        except Exception as exc:  # noqa: BLE001 - any backend failure (LLMError, a streamer timeout) degrades
            if not isinstance(exc, LLMError):
                log.warning("LLM failed: %s: %s", type(exc).__name__, exc)
            degraded = True
        timings = {"generate": time.perf_counter() - started, "first_token": first_token}
        if kept and not degraded:
            order: list[int] = []
            for _, idx in kept:
                if idx not in order:
                    order.append(idx)
            renumber = {old: new for new, old in enumerate(order, start=1)}
            text = " ".join(f"{strip_citations(t)} [{renumber[i]}]" for t, i in kept)
            yield "final", Answer(text, False, [used[i] for i in order], "llm", sources, checks, timings)
            return
        # Retrieval was good enough but no generated sentence survived (or the model is
        # down): quote the closest sentences of the best source instead.
        text = self.extractive(question, top) + " [1]"
        if degraded:
            text = f"{DEGRADED_NOTE.get(lang, DEGRADED_NOTE['en'])} {text}"
        yield "delta", text
        yield "final", Answer(text, False, [top], "degraded" if degraded else "extractive", sources, checks, timings)
