"""Retrieval-augmented answering: answer only what the sources support.

Retrieval itself (:class:`bot.retrieval.Retriever`) lives in :mod:`bot.retrieval`.

:class:`Answerer` turns sources into a reply, in this order of preference:

1. nothing relevant (best score < ``abstain_below``, unless a unit of a source retrieved just
   under it carries the question word for word: :meth:`Answerer.covered`) → abstain and offer a human;
2. the unit(s) that answer the question (:mod:`bot.answers.passages`: a sentence, a list item or
   a table row, the best first, the yes or no first for a yes/no question), chosen over the units
   of the sources retrieved nearly as well as the best one (:meth:`Answerer.pool`) — quoted,
   grounded by construction — when they cover the question well or come from a curated FAQ answer;
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

from bot.answers.specwords import CALENDAR_WORDS
from bot.grounding import GroundingChecker, split_sentences, strip_citations
from bot.llm import LLM, LLMError
from bot.prompts import ABSTAIN_TEXT, DEGRADED_NOTE, build_messages
from knowledge.store import Source

log = logging.getLogger("kefu.rag")

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


_NAME_CHAIN = re.compile(r"\b[A-Z][A-Za-z0-9&-]+(?:'s)?(?:\s+[A-Z][A-Za-z0-9&-]+(?:'s)?)*")


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
            if low in vocabulary or low.rstrip("s") in vocabulary or low in CALENDAR_WORDS:
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
        self._vectors: dict[str, object] = {}

    def should_abstain(self, question: str, sources: list[Source], lang: str = "en") -> bool:
        """True when the knowledge cannot answer: nothing close enough, or the question names
        something (a place, another shop, a brand) that no indexed document mentions. A Chinese
        ranking is fused from two (see :meth:`bot.retrieval.Retriever._chinese`): its first source
        may be one both list below their best, so the best score among the fused first
        :data:`FUSED_POOL` is what says whether anything is close."""
        if not sources:
            return True
        best = max(s.score for s in sources[:FUSED_POOL]) if lang == "zh" else sources[0].score
        if best < self.settings.abstain_below and not self.covered(question, sources, lang):
            return True
        if self.vocabulary is None:
            return False
        names = unknown_names(question, self.vocabulary())
        # "Walmart's return policy" is never ours; a plain unknown name only outweighs a
        # match that is not already a near-certain FAQ hit.
        return any(possessive for _, possessive in names) or (
            bool(names) and sources[0].score < self.settings.faq_direct_above
        )

    def covered(self, question: str, sources: list[Source], lang: str = "en") -> bool:
        """Whether a unit of the sources retrieved just under ``abstain_below`` carries the question
        plainly, word for word ("What's the return window for silver members?" ~ "Silver members:
        return possible within the last 6 months", under "Return"): the embedding alone undersells
        a long guideline section. In a fused Chinese ranking, the first :data:`FUSED_POOL` are
        read whatever their scores ("账户里最多能存几个收货地址" ~ "账户 > 地址中最多可以保存 10 个收货地址",
        a section both rankings list below their best)."""
        from bot.answers.passages import coverage, parse

        floor = self.settings.abstain_below - RESCUE_MARGIN
        if lang == "zh":
            near = [s for s in sources[:FUSED_POOL] if s.kind != "product"]
        elif max(s.score for s in sources) < floor:
            return False
        else:
            near = [s for s in sources[:POOL_SOURCES] if s.kind != "product" and s.score >= floor]
        units = [u for n, s in enumerate(near) for u in parse(*split_heading(s)[:2], source=n)]
        return coverage(question, units) >= (FUSED_COVERAGE if lang == "zh" else RESCUE_COVERAGE)

    def abstain(self, lang: str, retrieved: list[Source]) -> Answer:
        return Answer(ABSTAIN_TEXT.get(lang, ABSTAIN_TEXT["en"]), True, [], "abstain", retrieved)

    def extractive(self, question: str, sources: list[Source]) -> tuple[str, Source]:
        """The reply quoting the unit(s) that answer ``question`` (see :mod:`bot.answers.passages`),
        and the source they come from."""
        from bot.answers.passages import compose

        choice, src = self.pick(question, sources)
        return self.product_sentence(question, src) or compose(question, choice.texts), src

    def product_sentence(self, question: str, src: Source, lang: str = "en") -> str:
        """For a product record, the sentence the catalogue's fields make ("The Switch Pro Controller is
        $69.99, and we have 6 left."), never a field of the record quoted on its own ("Price: $69.99.")."""
        if src.kind != "product":
            return ""
        from bot.answers.facts import asked_attributes, compose, facets
        from bot.answers.products import Product

        product = Product.from_record(dict(src.metadata), src.text, getattr(self.settings, "currency", "USD"))
        attrs = asked_attributes(question, product)  # "自充气睡垫的R值是多少" asks its r-value, not its price
        return compose(product, facets(question) or (set() if attrs else {"price", "stock"}), lang, attrs, question)

    def pool(self, sources: list[Source], lang: str = "en") -> list[Source]:
        """The sources whose units compete for the answer: the best one and those retrieved nearly
        as well (the sentence that answers may sit in the second-best entry or section). A Chinese
        ranking's scores are partly ranks (:func:`bot.retrieval.rank_score`), so there the fused
        first :data:`FUSED_POOL` compete whatever their scores: the FAQ entry the multilingual model
        prefers broadly and the section whose characters carry the asked detail ("密码最少要几位")."""
        top = sources[0]
        if self.fused(top, lang):
            return [top] + [s for s in sources[1:FUSED_POOL] if s.kind != "product"]
        return [top] + [s for s in sources[1:POOL_SOURCES] if s.score >= top.score - POOL_MARGIN and s.kind != "product"]

    def fused(self, top: Source, lang: str) -> bool:
        """Whether the sources are read as a fused Chinese ranking: Chinese, and ``top`` not an entry the
        characters match outright (score at least ``faq_direct_above``)."""
        return lang == "zh" and top.score < self.settings.faq_direct_above

    def _prior(self, pool: list[Source], lang: str) -> list[float]:
        """Per pooled source, what its retrieval adds to its units' scores: less the less well it was
        retrieved (by score; in a fused Chinese ranking, by place)."""
        if self.fused(pool[0], lang):
            return [-FUSED_PRIOR * n for n in range(len(pool))]
        return [POOL_PRIOR * (s.score - pool[0].score) for s in pool]

    def pick(self, question: str, sources: list[Source], lang: str = "en"):
        """``(Choice, source)``: the answering units over :meth:`pool` and the source they come from."""
        from bot.answers.passages import choose, is_yes_no, names_only, parse

        pool = self.pool(sources, lang)
        units, heading_only, yes_no = [], set(), set()
        for n, src in enumerate(pool):
            body, context, heading = split_heading(src)
            units += parse(body, context, source=n)
            if names_only(question, heading):
                heading_only.add(n)
            if src.kind == "faq" and heading and is_yes_no(heading):
                yes_no.add(n)
        by_source = self._prior(pool, lang)
        prior = [by_source[u.source] for u in units]
        # the bundled English embedder does not read Chinese: a Chinese question's units are ranked on words
        choice = choose(question, units, n=2, embed=None if lang == "zh" else self._encode, prior=prior,
                        heading_only=heading_only, yes_no_entries=yes_no)
        return choice, pool[choice.source]

    def _encode(self, texts: list[str]):
        """Unit vectors of ``texts``; the units of a store's documents recur, so they are kept."""
        import numpy as np

        cache = self._vectors
        missing = list(dict.fromkeys(t for t in texts if t not in cache))
        if missing:
            if len(cache) + len(missing) > VECTOR_CACHE:
                cache.clear()
            cache.update(zip(missing, self.checker.encode(missing)))
        return np.stack([cache[t] for t in texts])

    def answer(
        self, question: str, sources: list[Source], history: list[tuple[str, str]], lang: str = "en"
    ) -> Iterator[tuple[str, object]]:
        """Abstain, quote the unit(s) that answer, or — where generation can add something — ask the model."""
        from bot.answers.passages import compose

        if self.should_abstain(question, sources, lang):
            yield "final", self.abstain(lang, sources)
            return
        choice, src = self.pick(question, sources, lang)
        if choice.units and not self.wants_model(src, choice.score, lang):
            text = (self.product_sentence(question, src, lang) or in_language(compose(question, choice.texts), src, lang)) + " [1]"
            yield "delta", text
            yield "final", Answer(text, False, [src], "faq" if src.kind == "faq" else "extractive", sources)
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
        quoted, top = self.extractive(question, sources)
        text = quoted + " [1]"
        if run.degraded:
            text = f"{DEGRADED_NOTE.get(lang, DEGRADED_NOTE['en'])} {text}"
        yield "delta", text
        mode = "degraded" if run.degraded else "extractive"
        yield "final", Answer(text, False, [top], mode, sources, run.checks, timings)


PASSAGE_COVERAGE = 0.45  # a quoted unit carrying less of the question than this may be improved on by the model
POOL_SOURCES = 4  # at most this many retrieved sources compete with their units for the answer
POOL_MARGIN = 0.12  # … those retrieved within this much of the best one
POOL_PRIOR = 1.0  # a unit's score loses this × how much less well its source was retrieved
FUSED_POOL = 3  # in a fused (Chinese) ranking, the first this many compete with their units …
FUSED_PRIOR = 0.1  # … a unit's score losing this for each place its source stands lower
RESCUE_MARGIN = 0.08  # a source retrieved this much under abstain_below may still answer …
RESCUE_COVERAGE = 0.7  # … when one of its units carries this share of the question's words
# (a Chinese question's character pairs include those across its word boundaries, "里最", "存几",
# which no sentence carries: there a unit carrying this share of them is as plain a match)
FUSED_COVERAGE = 0.5
VECTOR_CACHE = 4096  # unit embeddings kept


# A quote from a source in another language than the shopper's: a lead-in in the shopper's language
# naming the document, then the source's own words (the bundled model cannot translate reliably).
QUOTED_LEAD = {"zh": "这方面我们目前只有英文说明（{name}），原文是：“{text}”"}


def in_language(text: str, src: Source, lang: str) -> str:
    """``text`` (quoted from ``src``) as a reply to a shopper writing in ``lang``: as it is when it
    is in that language, else introduced by :data:`QUOTED_LEAD` naming the source.

    >>> src = Source(id="faq/promotions.md#x", title="How do I use a promo code?", text="", score=1.0, kind="faq")
    >>> in_language("Only one promo code per order can be used.", src, "zh")
    '这方面我们目前只有英文说明（How do I use a promo code?），原文是：“Only one promo code per order can be used.”'
    >>> in_language("每个订单只能使用一个优惠码。", src, "zh")
    '每个订单只能使用一个优惠码。'
    """
    from knowledge.lang import detect_lang

    lead = QUOTED_LEAD.get(lang)
    if not lead or not text or detect_lang(text) == lang:
        return text
    name = str(src.metadata.get("section") or src.title or src.id).rsplit(" > ", 1)[-1].strip()
    return lead.format(name=name, text=text)


def split_heading(src: Source) -> tuple[str, str, str]:
    """``(body, context, heading)`` of a source: a document section's text starts with its heading
    path, which is for retrieval and scoping, not for the shopper; an FAQ entry's context is its
    question."""
    if src.kind == "faq":
        return src.text, src.title, src.title
    body, heading = src.text, ""
    section = str(src.metadata.get("section") or "")
    first, _, rest = body.partition("\n")
    if rest and (first.strip() == section.strip() and section or " > " in first):
        body, heading = rest, first.strip()
    return body, heading.replace(" > ", " "), heading.rsplit(" > ", 1)[-1]


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
