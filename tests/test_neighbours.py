"""The neighbour term shared by the embedding models, and the hybrid's cold-item lending."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.models.base import load_model, make_model
from recommender.models.neighbours import KNN_GRID, zscore
from tests.recsys_fakes import A_ITEMS, B_ITEMS, FAST_PARAMS, TEXTS, checkerboard

EMBEDDING_MODELS = ("bpr", "lightgcn", "hybrid")


def split_checkerboard():
    """The checkerboard with each user's last event held out as validation."""
    inter = checkerboard()
    last = np.r_[inter.users[1:] != inter.users[:-1], True]
    return inter.subset(~last), inter.subset(last)


@pytest.mark.parametrize("name", EMBEDDING_MODELS)
def test_weight_is_chosen_on_validation_from_the_grid(name):
    train, valid = split_checkerboard()
    m = make_model(name, **FAST_PARAMS[name]).fit(train, item_texts=TEXTS, valid=valid)
    tried = m.fit_info["knn_weight_validation"]
    assert sorted(float(k) for k in tried) == sorted(KNN_GRID)
    assert m.knn_w == m.fit_info["knn_weight"]
    assert tried[str(m.knn_w)] == max(tried.values())


@pytest.mark.parametrize("name", EMBEDDING_MODELS)
def test_served_score_is_the_documented_mix(name):
    m = make_model(name, **FAST_PARAMS[name], knn_weight=0.5).fit(checkerboard(), item_texts=TEXTS)
    assert m.knn_w == 0.5
    prof = m.profile("u00")
    mixed = m.score(prof, np.array([-1]))
    m.knn_w = 0.0
    base = m.score(prof, np.array([-1]))
    nb = zscore(np.asarray((prof @ m.knn_sim).todense(), dtype=np.float32))
    np.testing.assert_allclose(mixed, zscore(base) + 0.5 * nb, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", EMBEDDING_MODELS)
def test_weight_zero_is_the_embedding_model_alone(name, tmp_path):
    m = make_model(name, **FAST_PARAMS[name], knn_weight=0.0).fit(checkerboard(), item_texts=TEXTS)
    assert m.knn_sim is None and m.knn_w == 0.0
    again = load_model(m.save(tmp_path / name))
    assert again.knn_sim is None and again.knn_w == 0.0


def test_refit_validates_without_the_previous_term():
    train, valid = split_checkerboard()
    m = make_model("bpr", **FAST_PARAMS["bpr"], knn_weight=2.5).fit(train, valid=valid)
    seen = []
    original = m._with_neighbours

    def spy(base, profiles):
        seen.append(m.knn_sim is None)
        return original(base, profiles)

    m._with_neighbours = spy
    m.params["knn_weight"] = -1.0
    m.fit(train, valid=valid)
    assert seen[0], "the first validation of a refit must see the new embeddings alone"


def test_hybrid_lends_a_new_item_its_text_neighbours_column():
    m = make_model("hybrid", **FAST_PARAMS["hybrid"], knn_weight=1.0).fit(checkerboard(), item_texts=TEXTS)
    m.add_items(["a-new"], ["Turbo racing game 9 for PS4, fast cars and tracks"])
    new = m.item_index("a-new")
    col = np.asarray(m.knn_sim[:, new].todense()).ravel()
    # racing-game buyers' items point at it; headphones do not
    assert all(col[m.item_index(a)] > 0 for a in A_ITEMS)
    assert all(col[m.item_index(b)] == 0 for b in B_ITEMS)
    ids, _ = m.recommend("u00", k=3)
    assert ids[:2] == ["a3", "a-new"] or ids[:2] == ["a-new", "a3"]


def test_hybrid_without_lending_leaves_new_items_neutral():
    params = {**FAST_PARAMS["hybrid"], "knn_weight": 1.0, "knn_proxy": 0}
    m = make_model("hybrid", **params).fit(checkerboard(), item_texts=TEXTS)
    m.add_items(["a-new"], ["Turbo racing game 9 for PS4, fast cars and tracks"])
    assert m.knn_sim[:, m.item_index("a-new")].nnz == 0
    assert "a-new" in m.recommend("u00", k=len(m.item_ids))[0]
