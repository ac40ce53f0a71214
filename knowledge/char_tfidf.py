"""Character n-gram TF-IDF, fitted once per index contents and read back from disk after that.

Retrieval matches questions on character n-grams (:class:`bot.retrieval.CharIndex` over the
records that are not Chinese, :class:`bot.retrieval.LexicalIndex` over the Chinese ones). The
fit is scikit-learn's ``TfidfVectorizer(analyzer=…, ngram_range=…, sublinear_tf=True)``; what
it learns — the n-gram vocabulary, the idf weights and the documents' rows — is saved under
``<data_dir>/cache`` keyed by a digest of the texts and the settings, so a later start reads
it back instead of importing scikit-learn (≈ 1.5 CPU-seconds) and refitting. Queries are
scored here, with numpy alone, exactly as ``vectorizer.transform([q]) @ matrix.T`` scores them
(same analyzers, sublinear tf, idf, l2 norm; equal to ~1e-15).

    >>> index = CharTfidf.fit(["free shipping", "gift cards"], "char_wb", (3, 5))
    >>> sims = index.scores("shipping cost")
    >>> int(sims.argmax()), bool(sims[1] == 0)
    (0, True)
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

FORMAT = 1  # bump when what is saved changes
ANALYZERS = ("char", "char_wb")
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's whitespace normalisation


def char_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """scikit-learn's ``analyzer="char"`` (lower-cased)."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    lo, hi = ngram_range
    return [text[i : i + n] for n in range(lo, min(hi + 1, len(text) + 1)) for i in range(len(text) - n + 1)]


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """scikit-learn's ``analyzer="char_wb"`` (lower-cased): n-grams inside space-padded words,
    a word shorter than ``n`` counted once."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    lo, hi = ngram_range
    out: list[str] = []
    for w in text.split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            if len(w) <= n:
                out.append(w)
                break
            out.extend(w[i : i + n] for i in range(len(w) - n + 1))
    return out


def analyzer_name(analyzer) -> str:
    """``"char"``, ``"char_wb"`` or, for a callable, its module and name."""
    if callable(analyzer):
        return f"{analyzer.__module__}.{analyzer.__qualname__}"
    if analyzer not in ANALYZERS:
        raise ValueError(f"unknown analyzer {analyzer!r} (one of {ANALYZERS} or a callable)")
    return analyzer


def digest(texts: list[str], analyzer, ngram_range: tuple[int, int]) -> str:
    """What a fit depends on: the texts (in order), the analyzer, the n-gram range, scikit-learn's
    version and this module's format. For a callable analyzer, the terms it makes of each text
    (so a change to the callable is a new fit)."""
    from importlib.metadata import version

    h = hashlib.blake2b(digest_size=16)
    name = analyzer_name(analyzer)
    h.update(f"{FORMAT}|{name}|{tuple(ngram_range)}|{version('scikit-learn')}|{len(texts)}|".encode())
    for text in texts:
        pieces = analyzer(text) if callable(analyzer) else [text]
        h.update("\1".join(pieces).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class CharTfidf:
    """A fitted character n-gram TF-IDF over ``n_docs`` texts; :meth:`scores` against every one."""

    def __init__(self, terms: list[str], idf: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                 data: np.ndarray, n_docs: int, analyzer, ngram_range: tuple[int, int]):
        analyzer_name(analyzer)  # a known one
        self.vocabulary = {t: i for i, t in enumerate(terms)}
        if len(self.vocabulary) != len(terms):
            raise ValueError("repeated terms")
        self.idf = np.asarray(idf, dtype=np.float64)
        # the documents' rows by column (n-gram): column j's rows are indices[indptr[j]:indptr[j+1]]
        self.indptr, self.indices, self.data = indptr, indices, np.asarray(data, dtype=np.float64)
        self.n_docs = int(n_docs)
        self.analyzer, self.ngram_range = analyzer, (int(ngram_range[0]), int(ngram_range[1]))
        if callable(analyzer):
            self._ngrams = lambda text, _range: analyzer(text)
        else:
            self._ngrams = char_wb_ngrams if analyzer == "char_wb" else char_ngrams

    @property
    def vocabulary_(self) -> dict[str, int]:
        """As ``TfidfVectorizer.vocabulary_``: term → column."""
        return self.vocabulary

    @property
    def idf_(self) -> np.ndarray:
        """As ``TfidfVectorizer.idf_``."""
        return self.idf

    # -- fitting -------------------------------------------------------------------------------
    @classmethod
    def fit(cls, texts: list[str], analyzer, ngram_range: tuple[int, int] = (1, 1)) -> CharTfidf:
        """scikit-learn's fit (``ValueError`` when the texts have no n-gram at all). ``analyzer``:
        ``"char"``, ``"char_wb"`` (lower-cased, ``ngram_range``) or a callable text → terms."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(analyzer=analyzer, ngram_range=tuple(ngram_range), sublinear_tf=True, lowercase=True)
        matrix = vec.fit_transform(list(texts)).tocsc()
        matrix.sort_indices()
        terms = [""] * len(vec.vocabulary_)
        for term, j in vec.vocabulary_.items():
            terms[j] = term
        return cls(terms, vec.idf_, matrix.indptr, matrix.indices, matrix.data, matrix.shape[0], analyzer, ngram_range)

    @classmethod
    def cached(cls, texts: list[str], analyzer, ngram_range: tuple[int, int], cache_dir: Path | None) -> CharTfidf:
        """The fit of ``texts``: read from ``cache_dir`` when an earlier fit of the very same texts
        and settings is there, else fitted (and saved there; a damaged file is refitted)."""
        name = analyzer_name(analyzer).rsplit(".", 1)[-1]
        path = Path(cache_dir) / f"chars-{name}-{digest(texts, analyzer, ngram_range)}.npz" if cache_dir else None
        if path is not None and path.is_file():
            try:
                return cls.load(path, analyzer)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("refitting the character index: %s unreadable (%s)", path, exc)
        index = cls.fit(texts, analyzer, ngram_range)
        if path is not None:
            try:
                index.save(path)
            except OSError as exc:
                log.warning("could not cache the character index in %s: %s", path, exc)
        return index

    # -- on disk -------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write to ``path`` atomically (a reader never sees half a file)."""
        from knowledge.revision_cache import atomic_write

        terms = sorted(self.vocabulary, key=self.vocabulary.get)
        with atomic_write(path) as f:
            np.savez(f, format=np.array(FORMAT), terms=np.array(terms, dtype=str), idf=self.idf,
                     indptr=self.indptr, indices=self.indices, data=self.data, n_docs=np.array(self.n_docs),
                     analyzer=np.array(analyzer_name(self.analyzer)), ngram_range=np.array(self.ngram_range))

    @classmethod
    def load(cls, path: Path, analyzer=None) -> CharTfidf:
        """A saved fit; ``analyzer``: the callable it was fitted with (checked by name)."""
        with np.load(path, allow_pickle=False) as z:
            if int(z["format"]) != FORMAT:
                raise ValueError(f"format {int(z['format'])}, not {FORMAT}")
            saved = str(z["analyzer"])
            if callable(analyzer) and saved != analyzer_name(analyzer):
                raise ValueError(f"fitted with {saved}, not {analyzer_name(analyzer)}")
            terms = [str(t) for t in z["terms"]]
            index = cls(terms, z["idf"], z["indptr"], z["indices"], z["data"], int(z["n_docs"]),
                        analyzer if callable(analyzer) else saved, tuple(int(v) for v in z["ngram_range"]))
        if len(index.idf) != len(terms) or len(index.indptr) != len(terms) + 1:
            raise ValueError("inconsistent arrays")
        return index

    # -- scoring -------------------------------------------------------------------------------
    def query_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The query's (columns, l2-normalised sublinear tf-idf weights), as ``transform`` makes it."""
        counts: dict[int, int] = {}
        get = self.vocabulary.get
        for gram in self._ngrams(text, self.ngram_range):
            j = get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        cols = np.array(sorted(counts), dtype=np.int64)
        if not len(cols):
            return cols, np.zeros(0)
        w = (np.log(np.array([counts[j] for j in cols], dtype=np.float64)) + 1.0) * self.idf[cols]
        norm = math.sqrt(sum(float(v) * float(v) for v in w))
        return cols, w / norm if norm else w

    def scores(self, text: str) -> np.ndarray:
        """Cosine of ``text``'s tf-idf with every document's, shape (n_docs,)."""
        sims = np.zeros(self.n_docs)
        cols, w = self.query_vector(text)
        for j, wj in zip(cols.tolist(), w.tolist()):
            lo, hi = self.indptr[j], self.indptr[j + 1]
            sims[self.indices[lo:hi]] += self.data[lo:hi] * wj
        return sims
