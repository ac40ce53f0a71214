"""Offline evaluation: accuracy and macro-F1 of a sentiment model on a labelled file.

Binary decision: positive iff P(pos) > P(neg) (neutral ignored), so a three-way model is
scored on binary data without a threshold to tune.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.sentiment.base import SentimentModel
from tools.sentiment.data import read_labelled


def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 over the classes {0, 1} (a class never predicted nor present
    scores F1 0).

    >>> binary_metrics(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
    {'accuracy': 0.75, 'macro_f1': 0.7333, 'n': 4}
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    f1s = []
    for c in (0, 1):
        tp = int(((y_pred == c) & (y_true == c)).sum())
        fp = int(((y_pred == c) & (y_true != c)).sum())
        fn = int(((y_pred != c) & (y_true == c)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    acc = float((y_true == y_pred).mean()) if len(y_true) else 0.0
    return {"accuracy": round(acc, 4), "macro_f1": round(float(np.mean(f1s)), 4), "n": int(len(y_true))}


def binary_predictions(model: SentimentModel, texts: list[str], batch: int = 256) -> np.ndarray:
    """1 where P(pos) > P(neg), else 0 (neutral ignored), shape (n,)."""
    out = []
    for i in range(0, len(texts), batch):
        probs = model.predict_proba(texts[i : i + batch])
        out.append((probs[:, 2] > probs[:, 0]).astype(np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def evaluate_file(model: SentimentModel, path: Path, text_col: int = 0, label_col: int = 1) -> dict:
    """``{"accuracy", "macro_f1", "n"}`` of ``model`` on a file :func:`read_labelled` reads."""
    texts, labels = read_labelled(path, text_col, label_col)
    return binary_metrics(labels, binary_predictions(model, texts))
