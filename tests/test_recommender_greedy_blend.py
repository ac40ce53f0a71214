"""The greedy blend ``auto`` offers (:func:`recommender.fitting.blend_best`): it adds a third
model only when that helps on validation, never scores below its members there, and a nested
blend refits, saves and loads like a flat one."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.fitting import _chosen_params, blend_best, fit_model, last_event_mask
from recommender.interactions import Interactions
from recommender.models.base import Recommender, load_model, make_model
from recommender.models.blend import BlendRecommender
from recommender.models.torch_loop import validation_ndcg
from tests.recsys_fakes import checkerboard


def _split(inter: Interactions):
    val = last_event_mask(inter)
    return inter.subset(~val), inter.subset(val)


def _group_oracle(name: str, group: int, valid: Interactions, n_groups: int = 3):
    """A model (registered name ``name``) that puts each validation user's held-out item first
    for users ``u % n_groups == group`` and ranks at random (seeded) for the others."""
    targets = {int(u): int(i) for u, i in zip(valid.users, valid.items)}

    class Oracle(Recommender):
        def _fit(self, interactions, item_texts, valid_, show_progress):
            pass

        def score(self, profiles, users=None):
            users = np.asarray(users)
            rng = np.random.default_rng(group)
            out = rng.random((len(users), self.n_items)).astype(np.float32)
            for row, u in enumerate(users):
                if int(u) % n_groups == group and int(u) in targets:
                    out[row, targets[int(u)]] = 5.0
            return out

        def item_similarity(self, item):
            return np.zeros(self.n_items, dtype=np.float32)

    Oracle.name = name
    return Oracle


def _random_log(n_users: int = 90, n_items: int = 40, length: int = 5) -> Interactions:
    rng = np.random.default_rng(0)
    rows = [(f"u{u:03d}", f"i{int(i)}", float(t)) for u in range(n_users)
            for t, i in enumerate(rng.choice(n_items, length, replace=False))]
    return Interactions.from_records(rows, item_ids=[f"i{k}" for k in range(n_items)])


def test_a_third_member_joins_only_when_it_helps_on_validation():
    train, valid = _split(_random_log())
    fitted = {n: _group_oracle(n, g, valid)().fit(train) for g, n in enumerate(("itemknn", "ease", "seqknn"))}
    scores = {n: validation_ndcg(m, valid) for n, m in fitted.items()}
    three = blend_best(fitted, scores, valid)
    assert sorted(three.leaf_names()) == ["ease", "itemknn", "seqknn"]  # each knows a third of the users
    two = blend_best(fitted, scores, valid, max_members=2)
    assert len(two.leaf_names()) == 2
    best_pair = max(BlendRecommender.from_members(fitted[a], fitted[b], valid).fit_info["validation_ndcg@20"]
                    for a, b in (("itemknn", "ease"), ("itemknn", "seqknn"), ("ease", "seqknn")))
    assert validation_ndcg(three, valid) > best_pair >= max(scores.values())
    # a useless third model (the same random order for everyone) is left out
    fitted_noise = {"itemknn": fitted["itemknn"], "ease": fitted["ease"],
                    "seqknn": _group_oracle("seqknn", 99, valid)().fit(train)}
    noise_scores = {n: validation_ndcg(m, valid) for n, m in fitted_noise.items()}
    assert sorted(blend_best(fitted_noise, noise_scores, valid).leaf_names()) == ["ease", "itemknn"]


def test_greedy_blend_is_never_worse_than_its_members_and_refits_saves_and_loads(tmp_path):
    inter = checkerboard()
    train, valid = _split(inter)
    fitted = {"popularity": make_model("popularity").fit(train), "itemknn": make_model("itemknn").fit(train),
              "seqknn": make_model("seqknn").fit(train, valid=valid),
              "ease": make_model("ease").fit(train, valid=valid)}
    scores = {n: validation_ndcg(m, valid) for n, m in fitted.items()}
    blend = blend_best(fitted, scores, valid)
    assert "popularity" not in blend.leaf_names() and 2 <= len(blend.leaf_names()) <= 3
    assert validation_ndcg(blend, valid) == pytest.approx(blend.fit_info["validation_ndcg@20"])
    assert validation_ndcg(blend, valid) >= max(v for n, v in scores.items() if n != "popularity") - 1e-9
    refit = fit_model(inter, {}, "blend", _chosen_params(blend, {}), show_progress=False)
    assert refit.leaf_names() == blend.leaf_names() and refit.w == blend.w
    prof = refit.profile("u03", [("a1", 1.0)])
    loaded = load_model(refit.save(tmp_path / "m"))
    assert loaded.leaf_names() == refit.leaf_names()
    np.testing.assert_allclose(loaded.score(prof), refit.score(prof), rtol=1e-5, atol=1e-5)
    assert loaded.recommend("u00", k=2)[0] == refit.recommend("u00", k=2)[0]


def test_a_nested_blend_by_name_needs_its_members_named():
    with pytest.raises(ValueError, match="nested blend"):
        make_model("blend", members="blend,itemknn")
    nested = make_model("blend", members="blend,itemknn",
                        member_params={"blend": {"members": "ease,seqknn", "weight": 0.5}}, weight=0.3)
    nested.fit(checkerboard())
    assert nested.leaf_names() == ["ease", "seqknn", "itemknn"]
