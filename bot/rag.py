"""Retrieval-augmented answering: retrieve, then answer only what the sources support.

:class:`Retriever` embeds the (follow-up resolved) question once, asks Chroma for the
nearest records, and groups them by citable unit (``doc_id``): an FAQ entry found
through any of its phrasings, a product, a document section.

:class:`Answerer` turns sources into a reply, in this order of preference:

1. nothing relevant (best score < ``abstain_below``) → abstain and offer a human;
2. the unit(s) of the best source that answer the question (:mod:`bot.answers.passages`: a
   sentence, a list item or a table row, the best first) — quoted, grounded by construction —
   when they cover the question well or the source is a curated FAQ answer;
3. otherwise, where the model can add something (``KEFU_ANSWER_STYLE``, and its sentences have
   been surviving the checks), the LLM writes from the numbered sources; its output is checked
   sentence by sentence as it streams (:mod:`bot.grounding`) and only supported sentences are shown;
4. if no sentence survives (or the model is down) → the best source's units, quoted.

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
        self.meter = SurvivalMeter()

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
        """The unit(s) of ``source`` that answer ``question`` (see :mod:`bot.answers.passages`)."""
        return " ".join(self.pick(question, source)[0])

    def pick(self, question: str, source: Source) -> tuple[list[str], float]:
        """The answering units of ``source`` and how well the best one covers the question."""
        from bot.answers.passages import scored

        body, heading = source.text, ""
        first, _, rest = body.partition("\n")
        if " > " in first and rest:  # a section's heading path is for retrieval, not for the shopper
            body, heading = rest, first.rsplit(" > ", 1)[-1]
        return scored(question, body, n=2, embed=self.checker.encode, heading=heading)

    def answer(
        self, question: str, sources: list[Source], history: list[tuple[str, str]], lang: str = "en"
    ) -> Iterator[tuple[str, object]]:
        """Abstain, quote the unit(s) that answer, or — where generation can add something — ask the model."""
        if self.should_abstain(question, sources):
            yield "final", self.abstain(lang, sources)
            return
        top = sources[0]
        picked, coverage = self.pick(question, top)
        if picked and not self.wants_model(top, coverage, lang):
            text = " ".join(picked) + " [1]"
            yield "delta", text
            yield "final", Answer(text, False, [top], "faq" if top.kind == "faq" else "extractive", sources)
            return
        yield from self.generate(question, sources, history, lang)

    def wants_model(self, top: Source, coverage: float, lang: str) -> bool:
        """Whether generation can add to quoting ``top``: the style allows it, the quoted units cover
        the question poorly, the checker can judge the language, and the model's sentences have been
        surviving the checks (a model whose sentences keep failing them is not waited for)."""
        style = getattr(self.settings, "answer_style", "auto")
        if style == "extractive" or lang == "zh" or not self.meter.worth_asking():
            return False
        if style == "generate":
            return not (top.kind == "faq" and top.score >= self.settings.faq_direct_above)
        curated = top.kind == "faq" and top.score >= (self.settings.abstain_below + self.settings.faq_direct_above) / 2
        return not curated and coverage < PASSAGE_COVERAGE

    def generate(self, question: str, sources: list[Source], history, lang: str) -> Iterator[tuple[str, object]]:
        """The model writes from the numbered sources; every sentence is checked as it streams and only
        supported ones are shown; nothing kept (or the model down) → the best source's units, quoted."""
        used = sources[: min(3, len(sources))]
        texts = [src.text for src in used]
        messages = build_messages(self.system_prompt, [(u.title, u.text) for u in used], question, history)
        run = _Generation(self.checker, texts)
        started = time.perf_counter()
        try:
            for piece in self.llm.stream(messages, max_new_tokens=self.settings.llm_max_new_tokens):
                run.first_token = run.first_token or time.perf_counter() - started
                yield from run.feed(piece)
            yield from run.flush()
        except Exception as exc:  # noqa: BLE001 - any backend failure (LLMError, a streamer timeout) degrades
            if not isinstance(exc, LLMError):
                log.warning("LLM failed: %s: %s", type(exc).__name__, exc)
            run.degraded = True
        self.meter.record(run.generated, len(run.kept))
        timings = {"generate": time.perf_counter() - started, "first_token": run.first_token}
        if run.kept and not run.degraded:
            order = list(dict.fromkeys(idx for _, idx in run.kept))
            renumber = {old: new for new, old in enumerate(order, start=1)}
            text = " ".join(f"{strip_citations(t)} [{renumber[i]}]" for t, i in run.kept)
            yield "final", Answer(text, False, [used[i] for i in order], "llm", sources, run.checks, timings)
            return
        top = sources[0]
        text = self.extractive(question, top) + " [1]"
        if run.degraded:
            text = f"{DEGRADED_NOTE.get(lang, DEGRADED_NOTE['en'])} {text}"
        yield "delta", text
        mode = "degraded" if run.degraded else "extractive"
        yield "final", Answer(text, False, [top], mode, sources, run.checks, timings)


PASSAGE_COVERAGE = 0.45  # a quoted unit carrying less of the question than this may be improved on by the model


class _Generation:
    """One streamed generation being checked sentence by sentence."""

    def __init__(self, checker: GroundingChecker, texts: list[str]):
        self.checker, self.texts = checker, texts
        self.kept: list[tuple[str, int]] = []  # (sentence, 0-based source index)
        self.checks: list[dict] = []
        self.generated = 0
        self.buffer = ""
        self.first_token: float | None = None
        self.degraded = False

    def judge(self, sentence: str) -> str | None:
        out = None
        for r in self.checker.check(sentence, self.texts):
            self.generated += 1
            self.checks.append({"sentence": r.text, "kept": r.supported, "similarity": round(r.similarity, 3),
                                "why": r.reason})
            if r.supported:
                self.kept.append((r.text, r.source))
                out = (out or "") + f"{r.text} [{r.source + 1}] "
        return out

    def feed(self, piece: str) -> Iterator[tuple[str, object]]:
        """Judge every sentence ``piece`` finishes (a terminator followed by space)."""
        self.buffer += piece
        cut = max((m.end() for m in _BOUNDARY.finditer(self.buffer)), default=0)
        if cut:
            for sentence in split_sentences(self.buffer[:cut]):
                shown = self.judge(sentence)
                if shown:
                    yield "delta", shown
            self.buffer = self.buffer[cut:]

    def flush(self) -> Iterator[tuple[str, object]]:
        if self.buffer.strip():
            shown = self.judge(self.buffer)
            if shown:
                yield "delta", shown


class SurvivalMeter:
    """How many generated sentences survive the checks, per process (``survival``, 0..1).

    After ``min_sentences`` the model is asked only while at least ``floor`` of its sentences have
    survived: a model whose sentences keep failing the checks only makes the shopper wait.
    """

    def __init__(self, floor: float = 0.25, min_sentences: int = 8):
        self.floor, self.min_sentences = floor, min_sentences
        self.generated = self.kept = 0

    def record(self, generated: int, kept: int) -> None:
        self.generated += generated
        self.kept += kept

    @property
    def survival(self) -> float | None:
        return self.kept / self.generated if self.generated else None

    def worth_asking(self) -> bool:
        return self.generated < self.min_sentences or (self.survival or 0.0) >= self.floor
