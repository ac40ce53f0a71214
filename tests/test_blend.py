"""The blend of two fitted models: its weight is chosen on validation, its ends are the members
alone, it saves/loads its members in subfolders (no pickle), and ``auto`` offers it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.fitting import _chosen_params, blend_best, fit_model, select_model
from recommender.interactions import Interactions
from recommender.models.base import load_model, make_model
from recommender.models.blend import WEIGHT_GRID, BlendRecommender
from recommender.models.torch_loop import validation_ndcg
from tests.recsys_fakes import checkerboard


def _split(inter: Interactions):
    """Each user's last event validates (users with ≥ 3 events)."""
    from recommender.fitting import last_event_mask

    val = last_event_mask(inter)
    return inter.subset(~val), inter.subset(val)


def _members(train: Interactions):
    return make_model("popularity").fit(train), make_model("itemknn").fit(train)


def test_weight_ends_are_the_members_alone():
    train, _ = _split(checkerboard())
    pop, knn = _members(train)
    prof = knn.profile("u00")
    for w, member in ((0.0, pop), (1.0, knn)):
        blend = BlendRecommender.from_members(pop, knn, weight=w)
        assert blend.recommend("u00", k=3)[0] == member.recommend("u00", k=3)[0]
        assert np.argsort(-blend.score(prof)[0], kind="stable").tolist()[:3] == \
            np.argsort(-member.score(prof)[0], kind="stable").tolist()[:3]


def test_weight_is_chosen_on_validation_and_never_worse_than_a_member():
    train, valid = _split(checkerboard())
    pop, knn = _members(train)
    blend = BlendRecommender.from_members(pop, knn, valid)
    grid = blend.fit_info["weight_validation"]
    assert set(grid) == {str(w) for w in WEIGHT_GRID}
    assert blend.w == max(WEIGHT_GRID, key=lambda w: grid[str(w)])
    mine = validation_ndcg(blend, valid)
    assert mine == pytest.approx(blend.fit_info["validation_ndcg@20"])
    assert mine >= max(validation_ndcg(pop, valid), validation_ndcg(knn, valid)) - 1e-9
    # the checkerboard's answer: co-occurrence beats popularity, so popularity alone (w = 0) loses
    assert grid["0.0"] < grid[str(blend.w)]
    assert blend.recommend("u00", k=1)[0] == ["a3"]


def test_fit_by_name_fits_both_members_and_folds_in_new_events():
    train, valid = _split(checkerboard())
    blend = make_model("blend", members="ease,itemknn", member_params={"ease": {"l2": 1.0}}).fit(train, valid=valid)
    assert [m.name for m in blend.members] == ["ease", "itemknn"]
    assert blend.members[0].params["l2"] == 1.0
    ids, _ = blend.recommend(None, k=2, events=[("b0", 1.0), ("b1", 1.0)])
    assert set(ids) == {"b2", "b3"}  # never an item in the profile, the same-kind items first


def test_save_and_load_round_trip_without_pickle(tmp_path):
    train, valid = _split(checkerboard())
    blend = BlendRecommender.from_members(*_members(train), valid)
    blend.save(tmp_path / "m")
    assert (tmp_path / "m" / "member0" / "model.json").is_file()
    assert json.loads((tmp_path / "m" / "member1" / "model.json").read_text())["model"] == "itemknn"
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, BlendRecommender) and loaded.w == blend.w
    prof = blend.profile("u03", [("a1", 1.0)])
    np.testing.assert_allclose(loaded.score(prof), blend.score(prof), rtol=1e-5, atol=1e-5)
    assert loaded.recommend("u00", k=2)[0] == blend.recommend("u00", k=2)[0]
    assert loaded.similar_items("a0", k=2)[0] == blend.similar_items("a0", k=2)[0]


def test_bad_members_fail_loudly():
    with pytest.raises(ValueError, match="exactly two"):
        make_model("blend", members="itemknn")
    with pytest.raises(ValueError, match="unknown member"):
        make_model("blend", members="itemknn,nope")
    with pytest.raises(ValueError, match="unknown member"):
        make_model("blend", members="itemknn,blend")
    train, _ = _split(checkerboard())
    other = Interactions.from_records([("x", "a0", 0.0), ("x", "z", 1.0)])
    with pytest.raises(ValueError, match="same interactions"):
        BlendRecommender.from_members(make_model("itemknn").fit(train), make_model("itemknn").fit(other))


def test_auto_offers_the_blend_of_the_two_best_and_refits_it_with_its_choices():
    inter = checkerboard()
    train, valid = _split(inter)
    name, model, scores = select_model(train, valid, {}, candidates=("popularity", "itemknn", "ease"))
    assert "blend" in scores
    assert scores[name] == max(scores.values())
    blend = blend_best({"popularity": make_model("popularity").fit(train), "itemknn": make_model("itemknn").fit(train),
                        "ease": make_model("ease").fit(train, valid=valid)},
                       {"popularity": 0.9, "itemknn": 0.5, "ease": 0.7}, valid)
    assert blend.names == ["ease", "itemknn"]  # popularity is never a member
    params = _chosen_params(blend, {})
    assert params["weight"] == blend.w and params["member_params"]["ease"]["l2"] == blend.members[0].fit_info["l2"]
    refit = fit_model(inter, {}, "blend", params, show_progress=False)
    assert refit.w == blend.w and len(refit.user_ids) == inter.n_users
    assert all(len(m.user_ids) == inter.n_users for m in refit.members)  # the members refitted on everything
