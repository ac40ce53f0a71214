"""Ranking metrics as pure functions: precision, recall, nDCG, hit rate, MAP@k, MAP, coverage.

Every ``*_at_k`` function takes ``recommended`` (one ranked list of item ids per user) and
``relevant`` (one collection per user: a set of ids, or a dict id → graded gain for nDCG)
and returns the mean over users. Users with nothing relevant are skipped (they cannot be
scored), so a list of only such users gives 0.0. Conventions follow recommenders'
``python_evaluation``: recall@k divides by all relevant items, MAP@k by min(|relevant|, k).

Example::

    >>> recall_at_k([["a", "b", "c"]], [{"c", "z"}], k=3)
    0.5
    >>> round(ndcg_at_k([["a", "b"]], [{"b"}], k=2), 4)
    0.6309
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np


def _pairs(recommended: Sequence[Sequence], relevant: Sequence[Collection]):
    if len(recommended) != len(relevant):
        raise ValueError(f"{len(recommended)} ranked lists but {len(relevant)} relevant sets")
    for rec, rel in zip(recommended, relevant):
        if len(rel):
            yield list(rec), rel


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return float(sum(vals) / len(vals)) if vals else 0.0


def precision_at_k(recommended: Sequence[Sequence], relevant: Sequence[Collection], k: int) -> float:
    """Mean over users of (# relevant among the top k) / k.

    Example: top-2 ``[a, b]``, relevant ``{b}`` → 0.5.
    """
    return _mean(sum(1 for r in rec[:k] if r in rel) / k for rec, rel in _pairs(recommended, relevant))


def recall_at_k(recommended: Sequence[Sequence], relevant: Sequence[Collection], k: int) -> float:
    """Mean over users of (# relevant among the top k) / (# relevant).

    Example: top-3 ``[a, b, c]``, relevant ``{c, z}`` → 0.5.
    """
    return _mean(sum(1 for r in rec[:k] if r in rel) / len(rel) for rec, rel in _pairs(recommended, relevant))


def hit_at_k(recommended: Sequence[Sequence], relevant: Sequence[Collection], k: int) -> float:
    """Share of users with at least one relevant item in the top k.

    Example: ``[[a], [b]]`` vs ``[{a}, {c}]`` at k=1 → 0.5.
    """
    return _mean(float(any(r in rel for r in rec[:k])) for rec, rel in _pairs(recommended, relevant))


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain, Σ gain_i / log2(i + 1) with ranks i from 1.

    Example: ``dcg([3, 2, 3, 0, 1, 2])`` ≈ 6.861 (the Wikipedia example).
    """
    return float(sum(g / math.log2(i + 2) for i, g in enumerate(gains)))


def ndcg_at_k(
    recommended: Sequence[Sequence], relevant: Sequence[Collection | Mapping], k: int
) -> float:
    """Mean normalised DCG at k. ``relevant`` may map ids to graded gains (else gain 1).

    The ideal DCG ranks the user's relevant gains in decreasing order.
    Example (Wikipedia): ranking d1..d6 with gains 3, 2, 3, 0, 1, 2 → nDCG@6 ≈ 0.961.
    """
    out = []
    for rec, rel in _pairs(recommended, relevant):
        gain = rel if isinstance(rel, Mapping) else dict.fromkeys(rel, 1.0)
        actual = dcg([gain.get(r, 0.0) for r in rec[:k]])
        ideal = dcg(sorted(gain.values(), reverse=True)[:k])
        out.append(actual / ideal if ideal > 0 else 0.0)
    return _mean(out)


def map_at_k(recommended: Sequence[Sequence], relevant: Sequence[Collection], k: int) -> float:
    """Mean over users of Σ_{i≤k} P@i·rel_i / min(|relevant|, k).

    Example: top-3 ``[a, x, b]``, relevant ``{a, b}`` → (1/1 + 2/3) / 2 ≈ 0.833.
    """
    out = []
    for rec, rel in _pairs(recommended, relevant):
        hits, total = 0, 0.0
        for i, r in enumerate(rec[:k], start=1):
            if r in rel:
                hits += 1
                total += hits / i
        out.append(total / min(len(rel), k))
    return _mean(out)


def average_precision_from_ranks(ranks: Sequence[int]) -> float:
    """Untruncated average precision of one user from the 1-based full-ranking positions of
    all their relevant items.

    Example: relevant items at ranks 1 and 3 → (1/1 + 2/3) / 2 ≈ 0.833.
    """
    r = np.sort(np.asarray(ranks, dtype=np.float64))
    if not len(r):
        return 0.0
    return float(np.mean(np.arange(1, len(r) + 1) / r))


def mean_average_precision(ranks_per_user: Sequence[Sequence[int]]) -> float:
    """Untruncated MAP: mean of :func:`average_precision_from_ranks` over users with relevant items."""
    return _mean(average_precision_from_ranks(r) for r in ranks_per_user if len(r))


def catalogue_coverage(recommended: Sequence[Sequence], n_items: int, k: int | None = None) -> float:
    """Share of the catalogue that appears in at least one user's top k.

    Example: ``[[a, b], [a, c]]`` over 4 items → 0.75.
    """
    if n_items <= 0:
        return 0.0
    seen = {r for rec in recommended for r in (rec[:k] if k else rec)}
    return len(seen) / n_items
