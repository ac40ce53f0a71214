"""SASRec: it learns what comes next from the order of events, reads that order from profiles,
folds in new events, and saves/loads exactly."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.interactions import Interactions
from recommender.models.base import load_model, make_model
from recommender.models.sasrec import pad_left, profile_sequences

pytest.importorskip("torch")

PARAMS = {"factors": 16, "layers": 1, "epochs": 40, "lr": 0.01, "batch_size": 16, "seed": 0, "device": "cpu",
          "threads": 1, "dropout": 0.0, "knn_weight": 0.0, "patience": 5}


def ring_log(n_users: int = 48, n_items: int = 10, length: int = 6, seed: int = 0) -> Interactions:
    """Users walk a ring of items in one direction: after ``i{k}`` always comes ``i{k+1}``.
    Every item is as popular and co-occurs with both ring neighbours, so only the *order* of a
    history tells the next item."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        start = int(rng.integers(n_items))
        rows += [(f"u{u}", f"i{(start + t) % n_items}", float(t), "purchase") for t in range(length)]
    return Interactions.from_records(rows, item_ids=[f"i{k}" for k in range(n_items)])


@pytest.fixture(scope="module")
def fitted():
    inter = ring_log()
    last = np.zeros(len(inter), dtype=bool)
    last[5::6] = True  # each user's last event validates
    return make_model("sasrec", **PARAMS).fit(inter.subset(~last), valid=inter.subset(last))


def test_profile_order_comes_from_recency_weights():
    from scipy.sparse import csr_matrix

    prof = csr_matrix(np.array([[0.25, 1.0, 0.5, 0.0]], dtype=np.float32))
    assert profile_sequences(prof, 5)[0].tolist() == [0, 2, 1]
    assert profile_sequences(prof, 2)[0].tolist() == [2, 1]
    assert pad_left([np.array([3]), np.array([1, 2])], 9).tolist() == [[9, 3], [1, 2]]


def test_sasrec_learns_the_next_item_of_a_sequence(fitted):
    hits = 0
    for k in range(10):
        events = [(f"i{(k + t) % 10}", 1.0) for t in range(3)]
        ids, _ = fitted.recommend(None, k=1, events=events)
        hits += ids == [f"i{(k + 3) % 10}"]
    assert hits >= 9
    info = fitted.fit_info
    assert info["best_epoch"] >= 1 and info["best_valid_ndcg@20"] > 0.5
    # one [epoch, validation NDCG@20, seconds] per validated epoch; the best is the one kept
    assert [h[0] for h in info["history"]] == list(range(1, info["epochs"] + 1))
    assert max(h[1] for h in info["history"]) == pytest.approx(info["best_valid_ndcg@20"])
    assert info["cpu_seconds"] > 0


def test_the_same_items_in_another_order_predict_another_item(fitted):
    a, _ = fitted.recommend(None, k=1, events=[("i6", 1.0), ("i7", 1.0), ("i1", 1.0), ("i2", 1.0)])
    b, _ = fitted.recommend(None, k=1, events=[("i1", 1.0), ("i2", 1.0), ("i6", 1.0), ("i7", 1.0)])
    assert a == ["i3"] and b == ["i8"]


def test_new_events_fold_into_a_known_user(fitted):
    u = fitted.user_ids[0]
    seq = profile_sequences(fitted.user_items[0], 50)[0]
    last = int(fitted.item_ids[seq[-1]][1:])
    nxt = f"i{(last + 1) % 10}"
    ids, _ = fitted.recommend(u, k=1, events=[(nxt, 1.0)])
    assert ids == [f"i{(last + 2) % 10}"]


def test_save_and_load_score_the_same(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    prof = fitted.user_items[:5]
    np.testing.assert_allclose(loaded.score(prof), fitted.score(prof), rtol=1e-5, atol=1e-5)
    assert loaded.similar_items("i3", k=2)[0] == fitted.similar_items("i3", k=2)[0]


def test_sampled_softmax_also_learns_the_ring():
    inter = ring_log()
    m = make_model("sasrec", **{**PARAMS, "full_softmax_max": 0, "negatives": 8}).fit(inter)
    ids, _ = m.recommend(None, k=1, events=[("i6", 1.0), ("i7", 1.0)])
    assert ids == ["i8"]


def test_the_neighbour_term_can_be_ease_with_its_lambda_carried_to_the_refit():
    from recommender.fitting import _chosen_params

    inter = ring_log()
    last = np.zeros(len(inter), dtype=bool)
    last[5::6] = True
    m = make_model("sasrec", **{**PARAMS, "epochs": 3, "knn_weight": 0.5, "knn_model": "ease"})
    m.fit(inter.subset(~last), valid=inter.subset(last))
    assert m.knn_sim is not None and m.knn_w == 0.5 and m.fit_info["knn_l2"] > 0
    assert _chosen_params(m, {})["knn_l2"] == m.fit_info["knn_l2"]
    with pytest.raises(ValueError, match="knn_model"):
        make_model("sasrec", **{**PARAMS, "epochs": 1, "knn_model": "svd"}).fit(inter)
