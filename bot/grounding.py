"""Cite-or-abstain: check every sentence of a reply against the retrieved text.

A sentence is *supported* when

1. its embedding is close to some sentence of the sources (cosine ≥ ``support_min``),
2. most of its content words occur in the sources (share ≥ ``lexical_min``), so a fluent
   sentence that merely sounds like the source ("…deemed unsuitable by the manufacturer's
   standards") is dropped, and
3. every fact token in it — numbers, prices, percentages, times — occurs in the sources
   (so "$19.99" or "60 days" cannot be made up even inside an otherwise similar sentence), and
4. it is a sentence, not a fragment: a heading or list stub the model echoes ("1-Year Harbor
   Lane", "PayPal") is not an answer, however well it matches (fewer than ``MIN_WORDS`` words).

Unsupported sentences are dropped; each kept sentence is cited with the source it is
closest to. When nothing survives, the caller abstains or answers extractively.

Example::

    >>> sorted(facts("Returns are free within 30 days; express costs $9.99."))
    ['30', '9.99']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_SENT_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
_CITE = re.compile(r"\s*\[(\d+)\]")
_FACT = re.compile(r"\d+(?:[.,:]\d+)*")
_DONT_KNOW = re.compile(
    r"\b(i (do not|don't|dont) know|not sure|no information|cannot find|can't find|unable to)\b|不知道|没有相关", re.I
)


_WORDS = re.compile(r"[a-z][a-z']+")
_TOKENS = re.compile(r"[A-Za-z0-9$€£¥₹][A-Za-z0-9'.,$%-]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
MIN_WORDS = 4  # a generated "sentence" shorter than this is a fragment (Latin-script text only)


def is_fragment(sentence: str) -> bool:
    """Fewer than :data:`MIN_WORDS` words (Chinese text, which has no spaces, is never a fragment here).

    >>> is_fragment("1-Year Harbor Lane"), is_fragment("Returns are free within 30 days.")
    (True, False)
    """
    return not _CJK.search(sentence) and len(_TOKENS.findall(sentence)) < MIN_WORDS
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those you your yours we our us they their them he she his her i me my mine can could will would "
    "shall should may might must do does did done have has had not no yes so than then there here what which "
    "who whom whose when where why how all any each every some such more most other into about over under "
    "also just only very too up down out off again once both few own same s t don't doesn't isn't aren't "
    "won't can't i'm you're we're it's that's there's".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (no stopwords, possessives folded)."""
    return {w.removesuffix("'s") for w in _WORDS.findall(text.lower())} - STOPWORDS


def split_sentences(text: str) -> list[str]:
    """``"A. B! C"`` → ``["A.", "B!", "C"]`` (CJK full stops too)."""
    return [s.strip() for s in _SENT_END.split(text) if s and s.strip()]


def strip_citations(text: str) -> str:
    return _CITE.sub("", text).strip()


def facts(text: str) -> set[str]:
    """Fact tokens of a text: numbers normalised (``1,299.00`` → ``1299``, ``$9.99`` → ``9.99``)."""
    out = set()
    for token in _FACT.findall(text):
        norm = token.replace(",", "")
        if re.fullmatch(r"\d+\.0+", norm):
            norm = norm.split(".")[0]
        out.add(norm)
    return out


@dataclass
class CheckedSentence:
    text: str  # without citation markers
    supported: bool
    source: int  # 0-based index of the closest source
    similarity: float
    reason: str = ""


class GroundingChecker:
    """Scores reply sentences against source texts with the shared embedder."""

    def __init__(self, embedder, support_min: float = 0.62, lexical_min: float = 0.7):
        self.embedder = embedder
        self.support_min = support_min
        self.lexical_min = lexical_min

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (n, d) from the shared embedder."""
        if hasattr(self.embedder, "encode"):
            return np.asarray(self.embedder.encode(texts), dtype=np.float32)
        return np.asarray(self.embedder.embed_documents(texts), dtype=np.float32)

    def check(self, reply: str, sources: list[str]) -> list[CheckedSentence]:
        sentences = [strip_citations(s) for s in split_sentences(reply)]
        sentences = [s for s in sentences if len(s) > 2]
        if not sentences or not sources:
            return []
        src_sents: list[str] = []
        owner: list[int] = []
        for i, src in enumerate(sources):
            for s in split_sentences(src):
                src_sents.append(s)
                owner.append(i)
        known = facts(" ".join(sources))
        vocab = content_words(" ".join(sources))
        vecs = self.encode(sentences + src_sents)
        reply_vecs, src_vecs = vecs[: len(sentences)], vecs[len(sentences) :]
        sims = reply_vecs @ src_vecs.T  # (n_reply, n_source_sentences)
        checked = []
        for n, sentence in enumerate(sentences):
            best = int(sims[n].argmax())
            sim = float(sims[n, best])
            missing = facts(sentence) - known
            words = content_words(sentence)
            overlap = len(words & vocab) / len(words) if words else 0.0
            if _DONT_KNOW.search(sentence):
                checked.append(CheckedSentence(sentence, False, owner[best], sim, "says it does not know"))
            elif is_fragment(sentence):
                checked.append(CheckedSentence(sentence, False, owner[best], sim, "a fragment, not a sentence"))
            elif missing:
                checked.append(CheckedSentence(sentence, False, owner[best], sim, f"unsupported facts {sorted(missing)}"))
            elif overlap < self.lexical_min:
                checked.append(CheckedSentence(sentence, False, owner[best], sim, f"only {overlap:.0%} of its words are in the sources"))
            elif sim < self.support_min:
                checked.append(CheckedSentence(sentence, False, owner[best], sim, f"similarity {sim:.2f}"))
            else:
                checked.append(CheckedSentence(sentence, True, owner[best], sim))
        return checked

    def best_sentences(self, question: str, source: str, n: int = 2, min_sim: float = 0.25) -> list[str]:
        """The ``n`` sentences of ``source`` closest to the question, in document order."""
        sents = [s for s in split_sentences(source) if len(s) > 3]
        if not sents:
            return []
        vecs = self.encode([question] + sents)
        sims = vecs[1:] @ vecs[0]
        order = [i for i in np.argsort(-sims)[:n] if sims[i] >= min_sim] or [int(np.argmax(sims))]
        return [sents[i] for i in sorted(order)]
