"""Training the Chinese model (:mod:`bot.sentiment.zh`) on the training part of
``online_shopping_10_cats.zip`` and reporting it on the held-out part.

Hyper-parameters are fixed in advance (no search on the held-out part).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bot.sentiment.zh import MODEL_PATH, ChineseSentiment, vectorizer
from tools.sentiment.data import CHINESE_FILE, load_online_shopping, split

C = 4.0  # inverse L2 strength, fixed a priori (sklearn's default is 1.0; more data → weaker prior)


def train_chinese(texts: list[str], labels: np.ndarray) -> ChineseSentiment:
    """Logistic regression (liblinear, L2, ``C``) on the hashed n-grams; float16 weights."""
    from sklearn.linear_model import LogisticRegression

    x = vectorizer().transform(list(texts))
    clf = LogisticRegression(C=C, max_iter=2000, solver="liblinear")
    clf.fit(x, labels)
    return ChineseSentiment(coef=clf.coef_[0].astype(np.float16), intercept=float(clf.intercept_[0]))


def train_zh(root: Path, out_dir: Path) -> None:
    """Train on the 80% part under ``root/sentiment``, write ``out_dir/sentiment_zh.npz``,
    print the held-out accuracy."""
    t0 = time.time()
    texts, labels = load_online_shopping(root / "sentiment" / CHINESE_FILE)
    train_idx, test_idx = split(len(texts))
    model = train_chinese([texts[i] for i in train_idx], labels[train_idx])
    path = out_dir / MODEL_PATH.name
    model.save(path)
    p = model.proba_positive([texts[i] for i in test_idx])
    acc = float(((p > 0.5) == labels[test_idx]).mean())
    print(f"Chinese model: train {len(train_idx)}, held-out {len(test_idx)} "
          f"accuracy {acc:.4f} ({time.time() - t0:.0f}s); wrote {path} "
          f"({path.stat().st_size / 1e6:.2f} MB)")
