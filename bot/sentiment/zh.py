"""Chinese sentiment: hashed character n-grams + logistic regression, shipped as a small npz.

The English models are English-only, so Chinese shopper messages (see
:func:`bot.sentiment.base.is_chinese`) go to this model. It is trained by
``python -m bot.sentiment train`` (:mod:`tools.sentiment.train_zh`) on the *training part* of
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

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.sentiment.base import MODELS_DIR, require_file

MODEL_PATH = MODELS_DIR / "sentiment_zh.npz"
N_FEATURES = 2**18
NGRAMS = (1, 3)


def vectorizer():
    """The fixed feature map: text → (n, N_FEATURES) sparse, binary, L2-normalised."""
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


@dataclass
class ChineseSentiment:
    """Binary logistic regression over hashed char n-grams; ``coef`` has shape (N_FEATURES,)."""

    coef: np.ndarray
    intercept: float

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """P(positive) for each text, shape (n,)."""
        if not texts:
            return np.zeros(0)
        x = vectorizer().transform(list(texts))  # (n, N_FEATURES) sparse
        logits = x @ self.coef.astype(np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.asarray(logits).ravel()))

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
        require_file(path, "Chinese sentiment weights")
        with np.load(path, allow_pickle=False) as z:
            if int(z["n_features"][0]) != N_FEATURES or tuple(z["ngrams"]) != NGRAMS:
                raise ValueError(f"{path} was trained with other features; retrain it")
            return cls(coef=z["coef"], intercept=float(z["intercept"][0]))
