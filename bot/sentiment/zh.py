"""Chinese sentiment: hashed character n-grams + logistic regression, shipped as a small npz.

The bundled MiniLM encoder is English-only, so Chinese shopper messages (see
:func:`bot.sentiment.is_chinese`) go to this model. It is trained by
``python -m bot.sentiment train`` on the *training part* of
``online_shopping_10_cats.zip`` (SophonPlus ChineseNlpCorpus, 62,774 labelled product and
hotel reviews) and reported on the held-out part, which is never used for fitting or tuning.

Split (fixed, documented): drop empty reviews and repeated review texts (first kept), shuffle
with ``numpy.random.default_rng(20240607)``, last 20% = held-out test, first 80% = train.
Hyper-parameters are fixed in advance (no search on the test part).

Features: character 1–3-grams (punctuation and spaces kept; full-width forms folded by NFKC),
counted with sklearn's ``HashingVectorizer`` (MurmurHash3, stable across versions) into
2**18 buckets, binary, L2-normalised. The weights are stored as float16 in ``npz``: no
pickle, ~0.5 MB compressed. Trade-off: no word segmentation or negation scope, but robust
to typos and fast (thousands of messages a second on one core).

Example::

    >>> model = ChineseSentiment.load()          # doctest: +SKIP
    >>> model.proba_positive(["质量很好，物流也快"])  # doctest: +SKIP
    array([0.97])
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "models" / "sentiment_zh.npz"
N_FEATURES = 2**18
NGRAMS = (1, 3)
SPLIT_SEED = 20240607
TEST_FRACTION = 0.2
C = 4.0  # inverse L2 strength, fixed a priori (sklearn's default is 1.0; more data → weaker prior)


def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        n_features=N_FEATURES,
        alternate_sign=False,
        binary=True,
        norm="l2",
        preprocessor=lambda t: unicodedata.normalize("NFKC", t).lower(),
    )


def load_online_shopping(path: Path) -> tuple[list[str], np.ndarray]:
    """Deduplicated ``(reviews, labels)`` from ``online_shopping_10_cats.zip`` (or its csv)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".csv"))
            text = zf.read(name).decode("utf-8-sig")
    else:
        text = path.read_text(encoding="utf-8-sig")
    seen: set[str] = set()
    texts, labels = [], []
    for row in csv.DictReader(io.StringIO(text)):
        review = (row.get("review") or "").strip().lstrip("\ufeff")
        if not review or review in seen or row.get("label") not in ("0", "1"):
            continue
        seen.add(review)
        texts.append(review)
        labels.append(int(row["label"]))
    return texts, np.asarray(labels, dtype=np.int64)


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out test indices) for ``n`` deduplicated reviews; fixed seed."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    cut = n - int(round(n * TEST_FRACTION))
    return np.sort(order[:cut]), np.sort(order[cut:])


@dataclass
class ChineseSentiment:
    """Binary logistic regression over hashed char n-grams; ``coef`` has shape (N_FEATURES,)."""

    coef: np.ndarray
    intercept: float

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """P(positive) for each text, shape (n,)."""
        if not texts:
            return np.zeros(0)
        x = _vectorizer().transform(list(texts))  # (n, N_FEATURES) sparse
        logits = x @ self.coef.astype(np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.asarray(logits).ravel()))

    @classmethod
    def train(cls, texts: list[str], labels: np.ndarray) -> ChineseSentiment:
        from sklearn.linear_model import LogisticRegression

        x = _vectorizer().transform(list(texts))
        clf = LogisticRegression(C=C, max_iter=2000, solver="liblinear")
        clf.fit(x, labels)
        return cls(coef=clf.coef_[0].astype(np.float16), intercept=float(clf.intercept_[0]))

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            coef=self.coef.astype(np.float16),
            intercept=np.asarray([self.intercept]),
            n_features=np.asarray([N_FEATURES]),
            ngrams=np.asarray(NGRAMS),
        )

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ChineseSentiment:
        if not path.is_file():
            raise FileNotFoundError(f"Chinese sentiment weights missing: {path} "
                                    "(run: python -m bot.sentiment train)")
        with np.load(path, allow_pickle=False) as z:
            if int(z["n_features"][0]) != N_FEATURES or tuple(z["ngrams"]) != NGRAMS:
                raise ValueError(f"{path} was trained with other features; retrain it")
            return cls(coef=z["coef"], intercept=float(z["intercept"][0]))
