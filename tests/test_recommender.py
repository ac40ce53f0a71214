"""Contract tests run against every recommender model, plus hybrid text features."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.models.base import MODELS, load_model, make_model, top_k
from tests.recsys_fakes import A_ITEMS, B_ITEMS, FAST_PARAMS, TEXTS, checkerboard


@pytest.fixture(scope="module", params=list(MODELS))
def fitted(request):
    name = request.param
    return make_model(name, **FAST_PARAMS.get(name, {})).fit(checkerboard(), item_texts=TEXTS)


def test_held_out_item_comes_first(fitted):
    ids, scores = fitted.recommend("u00", k=3)
    assert ids[0] == "a3"
    assert list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_exclusions_and_exactly_k(fitted, k):
    ids, _ = fitted.recommend("u00", k=k, exclude=["a3", "b1"])
    assert len(ids) == k
    assert not {"a3", "b1", "a0", "a1", "a2"} & set(ids)


def test_returns_all_that_remain_when_fewer_than_k(fitted):
    ids, _ = fitted.recommend("u00", k=50)
    assert sorted(ids) == sorted(["a3", *B_ITEMS])


def test_allowed_mask_is_respected(fitted):
    allowed = np.array([i not in ("a3", "b0") for i in fitted.item_ids])
    ids, _ = fitted.recommend("u00", k=3, allowed=allowed)
    assert len(ids) == 3 and not {"a3", "b0"} & set(ids)


def test_save_load_identical_scores(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    for user in ("u00", "u15"):
        p = fitted.profile(user)
        np.testing.assert_allclose(again.score(p), fitted.score(p), rtol=1e-6, atol=1e-6)
    assert again.recommend("u00", k=4) [0] == fitted.recommend("u00", k=4)[0]
    assert again.similar_items("a0", 3)[0] == fitted.similar_items("a0", 3)[0]


def test_fold_in_new_user_moves_toward_similar_items(fitted):
    if fitted.name == "popularity":
        pytest.skip("popularity ignores the profile by design")
    before, _ = fitted.recommend("new-user", k=3, events=[("b0", 4.0)])
    after, _ = fitted.recommend("new-user", k=3, events=[("b0", 4.0), ("a0", 4.0), ("a1", 4.0)])
    assert set(before) <= set(B_ITEMS)
    assert after[0] in A_ITEMS


def test_similar_items_never_self(fitted):
    ids, _ = fitted.similar_items("a0", k=3)
    assert "a0" not in ids and len(ids) == 3
    if fitted.name != "popularity":
        assert ids[0] in A_ITEMS
    assert fitted.similar_items("nope", k=3)[0] == []


def test_reason_contributions_point_at_the_history(fitted):
    if fitted.name == "popularity":
        pytest.skip("no per-item decomposition")
    prof = fitted.profile("u00")
    contrib = fitted.contributions(prof.indices, prof.data, fitted.item_index("a3"))
    assert contrib.shape == (len(prof.indices),) and contrib.max() > 0


def test_unknown_param_fails_loudly():
    with pytest.raises(TypeError):
        make_model("bpr", factorz=3)
    with pytest.raises(ValueError):
        make_model("svd")


def test_top_k_ties_and_infinities():
    assert top_k(np.array([0.1, 0.9, -np.inf, 0.5]), 3).tolist() == [1, 3, 0]
    assert top_k(np.array([1.0, 1.0, 1.0]), 2).tolist() == [0, 1]
    assert top_k(np.array([-np.inf]), 2).tolist() == []


@pytest.fixture(scope="module")
def hybrid():
    return make_model("hybrid", **FAST_PARAMS["hybrid"]).fit(checkerboard(), item_texts=TEXTS)


def test_hybrid_new_item_with_text_only_is_recommendable(hybrid, tmp_path):
    n = hybrid.add_items(["a-new"], ["Turbo racing game 9 for PS4, fast cars and tracks"])
    assert n == 1
    ids, _ = hybrid.recommend("u03", k=len(hybrid.item_ids))
    assert "a-new" in ids
    assert ids.index("a-new") < min(ids.index(b) for b in B_ITEMS)
    hybrid.save(tmp_path / "h")
    again = load_model(tmp_path / "h")
    assert again.recommend("u03", k=3)[0] == hybrid.recommend("u03", k=3)[0]


def test_hybrid_stated_taste_maps_into_item_space(hybrid):
    prof = hybrid.profile(None)
    scores = hybrid.score_with_text(prof, ["noise cancelling wireless headphones"], [1.0]).ravel()
    best = hybrid.item_ids[int(np.argmax(scores))]
    assert best in B_ITEMS
