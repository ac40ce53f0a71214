"""Offline evaluation: train/validation/test splits and full-ranking scoring of any model.

A :class:`Split` holds what a model is fitted on (``train``, plus ``valid`` for early
stopping) and what it is tested on: each test user's ``history`` (the events the model may
see when ranking — also excluded from the ranking) and their ``relevant`` held-out items.

Protocols:

- ``leave-last-out``: per user (time order) the last item is the test target, the one
  before it the validation target, the rest train; users with fewer than 3 events are
  train-only. At test time the history is train + the validation item (a new event the
  model has not trained on: models with user tables fold it in).
- ``stratified-75-25`` (alias ``random-75-25``): a random 75 % of each user's (or item's)
  interactions train, 25 % test, like recommenders' ``python_stratified_split``; every
  held-out interaction is relevant; training items are excluded from the ranking. 5 % of
  the training part (same stratification) is carved out for early stopping.

Example::

    >>> from recommender.data import Interactions
    >>> inter = Interactions.from_records([("u", i, t) for t, i in enumerate("abcd")])
    >>> s = leave_last_out(inter)
    >>> [inter.item_ids[i] for i in s.train.items], s.relevant
    (['a', 'b'], [{3}])
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.data import Interactions
from recommender.metrics import (
    catalogue_coverage, hit_at_k, map_at_k, mean_average_precision, ndcg_at_k, precision_at_k, recall_at_k,
)

PROTOCOLS = ("leave-last-out", "stratified-75-25", "random-75-25")


@dataclass
class Split:
    train: Interactions
    valid: Interactions | None
    history: Interactions  # what the model sees for each test user (train [+ valid])
    test_users: np.ndarray  # (n_test,) user indices
    relevant: list[set[int]]  # per test user: held-out item indices
    history_is_train: bool = False  # True when history == train (learned user vectors apply)


def _position_in_user(users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position from the start, position from the end) of each row within its user's rows."""
    counts = np.bincount(users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[users]
    pos = np.arange(len(users)) - starts
    return pos, counts[users] - 1 - pos


def leave_last_out(inter: Interactions) -> Split:
    """Last event per user → test, the one before → validation (users with ≥ 3 events)."""
    _, from_end = _position_in_user(inter.users)
    n = np.bincount(inter.users, minlength=inter.n_users)[inter.users]
    test = (from_end == 0) & (n >= 3)
    val = (from_end == 1) & (n >= 3)
    train = inter.subset(~test & ~val)
    return Split(
        train=train, valid=inter.subset(val), history=inter.subset(~test),
        test_users=inter.users[test], relevant=[{int(i)} for i in inter.items[test]],
    )


def stratified_split(inter: Interactions, ratio: float = 0.75, by: str = "user", seed: int = 42,
                     valid_share: float = 0.05) -> Split:
    """Random ``ratio`` of each ``by`` group (user or item) to train, the rest to test."""
    if by not in ("user", "item"):
        raise ValueError("stratify by 'user' or 'item'")
    rng = np.random.default_rng(seed)
    group = inter.users if by == "user" else inter.items

    def draw(mask_in: np.ndarray, share: float) -> np.ndarray:
        """Boolean mask: about ``share`` of each group's rows within ``mask_in``, at least one kept out."""
        idx = np.nonzero(mask_in)[0]
        keys = rng.random(len(idx))
        order = np.lexsort((keys, group[idx]))
        idx, g = idx[order], group[idx][order]
        sizes = np.bincount(g, minlength=group.max() + 1)
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        pos = np.arange(len(idx)) - start[g]
        take = pos < np.floor(sizes[g] * share).astype(int)
        out = np.zeros(len(group), dtype=bool)
        out[idx[take]] = True
        return out

    test = draw(np.ones(len(group), dtype=bool), 1.0 - ratio)
    valid = draw(~test, valid_share)
    train = inter.subset(~test & ~valid)
    held = inter.subset(test)
    rel: dict[int, set[int]] = {}
    for u, i in zip(held.users, held.items):
        rel.setdefault(int(u), set()).add(int(i))
    users = np.asarray(sorted(rel), dtype=np.int64)
    return Split(
        train=train, valid=inter.subset(valid), history=train, test_users=users,
        relevant=[rel[int(u)] for u in users], history_is_train=True,
    )


def make_split(inter: Interactions, protocol: str, by: str = "user", seed: int = 42) -> Split:
    if protocol == "leave-last-out":
        return leave_last_out(inter)
    if protocol in ("stratified-75-25", "random-75-25"):
        return stratified_split(inter, 0.75, by, seed)
    raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")


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
