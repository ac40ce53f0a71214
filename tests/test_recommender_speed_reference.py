"""The per-sequence SASRec reference loop that ``benchmarks.recommend_speed`` times Kefu's epoch against."""

from __future__ import annotations

import pytest

from recommender.models.base import make_model
from tests.recsys_fakes import checkerboard


def test_reference_epoch_trains_the_same_network_and_scales_to_all_sequences():
    pytest.importorskip("torch")
    from benchmarks.recommend_speed import sasrec_reference_epoch

    inter = checkerboard()
    seq = make_model("sasrec", factors=8, epochs=1, batch_size=4, device="cpu", threads=1, knn_weight=0.0).fit(inter)
    ref = sasrec_reference_epoch(seq, inter, n_sequences=5)
    assert ref["timed_sequences"] == 5 and ref["sequences"] == 20  # every checkerboard user has ≥ 2 events
    assert ref["epoch_seconds"] > 0
    assert seq.fit_info["seconds"] > 0
