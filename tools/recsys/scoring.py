"""Full-ranking scoring of any model on a :class:`~tools.recsys.splits.Split`, and the results table.

Every test user's whole catalogue is ranked (minus the items in their history) and the
metrics of :mod:`recommender.metrics` are taken at each k; ``fit_and_score`` also times the fit.

Example::

    >>> print(format_table({"itemknn": {"recall@10": 0.2323, "train_seconds": 0.04}}, ["recall@10", "train_seconds"]))
    model    recall@10  train_seconds
    -------  ---------  -------------
    itemknn     0.2323            0.0
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from recommender.metrics import (
    catalogue_coverage, hit_at_k, map_at_k, mean_average_precision, ndcg_at_k, precision_at_k, recall_at_k,
)
from tools.recsys.splits import Split


def rank_users(model, split: Split, k_max: int, batch: int = 1024,
               test_mask: np.ndarray | None = None) -> tuple[list[list[int]], list[list[int]]]:
    """Top-``k_max`` item indices per test user and the 1-based full ranks of their relevant items."""
    hl = model.params.get("half_life") or None
    profiles = split.history.profiles(hl)
    users = split.test_users if test_mask is None else split.test_users[test_mask]
    relevant = split.relevant if test_mask is None else [r for r, m in zip(split.relevant, test_mask) if m]
    ranked, ranks = [], []
    for s in range(0, len(users), batch):
        bu = users[s : s + batch]
        prof = profiles[bu]
        known = bu if split.history_is_train else np.full(len(bu), -1)
        scores = np.asarray(model.score(prof, users=known), dtype=np.float32)
        r, c = prof.nonzero()
        scores[r, c] = -np.inf
        kk = min(k_max, scores.shape[1] - 1)
        top = np.argpartition(-scores, kk, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(scores, top, 1), axis=1, kind="stable")
        ranked.extend(np.take_along_axis(top, order, 1).tolist())
        for row, rel in zip(scores, relevant[s : s + batch]):
            ranks.append([int((row > row[i]).sum()) + 1 for i in rel])
    return ranked, ranks


def score_model(model, split: Split, ks: Sequence[int] = (10, 20), test_mask: np.ndarray | None = None) -> dict[str, float]:
    """All metrics at every k (and untruncated MAP) of a fitted model on the split's test users."""
    ranked, ranks = rank_users(model, split, max(ks), test_mask=test_mask)
    rel = split.relevant if test_mask is None else [r for r, m in zip(split.relevant, test_mask) if m]
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = recall_at_k(ranked, rel, k)
        out[f"ndcg@{k}"] = ndcg_at_k(ranked, rel, k)
        out[f"precision@{k}"] = precision_at_k(ranked, rel, k)
        out[f"hit@{k}"] = hit_at_k(ranked, rel, k)
        out[f"map@{k}"] = map_at_k(ranked, rel, k)
        out[f"coverage@{k}"] = catalogue_coverage(ranked, model.n_items, k)
    out["map"] = mean_average_precision(ranks)
    out["n_users"] = float(len(rel))
    return out


def fit_and_score(
    name: str, split: Split, item_texts: dict[str, str] | None = None, ks: Sequence[int] = (10, 20),
    params: dict[str, Any] | None = None, show_progress: bool = False, model=None,
) -> tuple[Any, dict[str, float]]:
    """Make (unless given), fit and score one model; metrics include ``train_seconds``."""
    from recommender.models.base import make_model

    model = model if model is not None else make_model(name, **(params or {}))
    t0 = time.perf_counter()
    model.fit(split.train, item_texts=item_texts, valid=split.valid, show_progress=show_progress)
    train_seconds = time.perf_counter() - t0
    metrics = score_model(model, split, ks)
    metrics["train_seconds"] = train_seconds
    if model.fit_info.get("best_epoch"):
        metrics["epochs"] = float(model.fit_info["best_epoch"])
    return model, metrics


def format_table(results: dict[str, dict[str, float]], columns: Sequence[str]) -> str:
    """A plain-text table: one row per model, one column per metric."""
    head = ["model", *columns]
    rows = [[name, *(f"{m.get(c, float('nan')):.4f}" if c != "train_seconds" else f"{m.get(c, 0.0):.1f}"
                     for c in columns)] for name, m in results.items()]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(str(v).rjust(w) if n else str(v).ljust(w) for n, (v, w) in enumerate(zip(r, widths)))
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])
