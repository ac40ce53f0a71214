"""Metric functions against hand-computed values."""

from __future__ import annotations

import math

import pytest

from recommender.metrics import (
    average_precision_from_ranks, catalogue_coverage, dcg, hit_at_k, map_at_k, mean_average_precision, ndcg_at_k,
    precision_at_k, recall_at_k,
)

PERFECT = ([["a", "b", "c"]], [{"a", "b", "c"}])
MISS = ([["x", "y", "z"]], [{"a"}])


@pytest.mark.parametrize("fn", [precision_at_k, recall_at_k, hit_at_k, ndcg_at_k, map_at_k])
def test_perfect_is_one_and_miss_is_zero(fn):
    assert fn(*PERFECT, k=3) == pytest.approx(1.0)
    assert fn(*MISS, k=3) == 0.0


def test_hand_values():
    rec, rel = [["a", "x", "b", "y"]], [{"a", "b", "z"}]
    assert precision_at_k(rec, rel, 4) == pytest.approx(2 / 4)
    assert recall_at_k(rec, rel, 4) == pytest.approx(2 / 3)
    assert hit_at_k(rec, rel, 1) == 1.0
    assert map_at_k(rec, rel, 4) == pytest.approx((1 / 1 + 2 / 3) / 3)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(rec, rel, 4) == pytest.approx((1 + 1 / math.log2(4)) / ideal)


def test_textbook_ndcg_example():
    # Wikipedia "Discounted cumulative gain": gains 3, 2, 3, 0, 1, 2 → DCG 6.861, IDCG 7.141, nDCG 0.961
    gains = {"d1": 3, "d2": 2, "d3": 3, "d4": 0, "d5": 1, "d6": 2}
    assert dcg([3, 2, 3, 0, 1, 2]) == pytest.approx(6.861, abs=1e-3)
    assert ndcg_at_k([["d1", "d2", "d3", "d4", "d5", "d6"]], [gains], 6) == pytest.approx(0.961, abs=1e-3)


def test_users_without_relevant_items_are_skipped_and_means_taken():
    rec, rel = [["a"], ["b"], ["c"]], [{"a"}, set(), {"z"}]
    assert hit_at_k(rec, rel, 1) == 0.5
    with pytest.raises(ValueError):
        recall_at_k([["a"]], [], 1)


def test_untruncated_map_and_coverage():
    assert average_precision_from_ranks([3, 1]) == pytest.approx((1 + 2 / 3) / 2)
    assert mean_average_precision([[1], [2], []]) == pytest.approx(0.75)
    assert catalogue_coverage([["a", "b"], ["a", "c"]], 4) == 0.75
    assert catalogue_coverage([["a", "b"], ["c", "d"]], 4, k=1) == 0.5
