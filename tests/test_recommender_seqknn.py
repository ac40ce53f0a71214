"""Sequential item-kNN (transitions, validation tuning, refit) and the blend's profile re-weighting."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.fitting import _chosen_params, fit_model
from recommender.interactions import Interactions, recency_profile
from recommender.models.base import load_model, make_model
from recommender.models.blend import BlendRecommender, reweight_profile
from recommender.models.seqknn import CO_GRID, HALF_LIFE_GRID, transition_counts


def _ring(n_users: int = 60, seed: int = 0, length: int = 5) -> Interactions:
    """Users walk a ring of 12 items forwards: the next item is always the one after the last."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        start = int(rng.integers(12))
        rows.extend((f"u{u}", f"i{(start + t) % 12}", float(t), "purchase") for t in range(length))
    return Interactions.from_records(rows)


def test_transition_counts_weigh_gaps_and_keep_direction():
    inter = Interactions.from_records([("u", i, t) for t, i in enumerate("abc")] + [("v", "c", 0), ("v", "a", 1)])
    m = transition_counts(inter, window=2, gap_power=1.0).toarray()
    a, b, c = (inter.item_ids.index(x) for x in "abc")
    assert m[a, b] == 1.0 and m[b, c] == 1.0 and m[a, c] == 0.5  # u: a→b, b→c at gap 1, a→c at gap 2
    assert m[c, a] == 1.0 and m[b, a] == 0.0  # v: c→a; no pair crosses users
    assert np.all(np.diag(m) == 0)


def test_next_item_follows_the_order_not_just_co_occurrence():
    inter = _ring()
    m = make_model("seqknn", tune=False).fit(inter)
    ids, _ = m.recommend("new", k=2, events=[("i3", 1.0), ("i4", 1.0)])
    assert ids[0] == "i5"  # after i4 on the ring; i2 co-occurs as often but comes before
    assert m.similar_items("i4", 1)[0] == ["i5"]


def test_the_last_event_counts_most():
    m = make_model("seqknn", tune=False, co_weight=0.0).fit(_ring())
    ids, _ = m.recommend("new", k=1, events=[("i0", 1.0), ("i7", 1.0)])
    assert ids == ["i8"]  # i7 is the most recent: its successor beats i0's


def test_validation_picks_from_the_grid_and_the_refit_keeps_it(tmp_path):
    inter = _ring(length=6)
    model = fit_model(inter, {}, "seqknn", show_progress=False)  # last events validate, then a refit on all
    assert model.params["tune"] is False
    assert model.params["co_weight"] in CO_GRID and model.params["half_life"] in HALF_LIFE_GRID
    mask = np.zeros(len(inter), dtype=bool)
    mask[5::6] = True
    tuned = make_model("seqknn").fit(inter.subset(~mask), valid=inter.subset(mask))
    assert len(tuned.fit_info["validation"]) == len(CO_GRID) * len(HALF_LIFE_GRID)
    chosen = _chosen_params(tuned, {})
    assert chosen["co_weight"] == tuned.params["co_weight"] and chosen["tune"] is False
    tuned.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.params["half_life"] == tuned.params["half_life"]
    p = tuned.profile("u1")
    np.testing.assert_allclose(again.score(p), tuned.score(p), rtol=1e-6)


def test_unknown_param_fails():
    with pytest.raises(TypeError):
        make_model("seqknn", windw=3)


def test_reweight_profile_is_exact_for_items_bought_once():
    users, items = np.zeros(4, dtype=np.int64), np.asarray([3, 1, 0, 2])
    w = np.ones(4, dtype=np.float32)
    h1 = recency_profile(users, items, w, 1, 4, 1.0)
    h3 = recency_profile(users, items, w, 1, 4, 3.0)
    np.testing.assert_allclose(reweight_profile(h1, 1.0, 3.0).toarray(), h3.toarray(), rtol=1e-5)
    assert reweight_profile(h1, 1.0, 0.0).toarray().tolist() == [[1.0, 1.0, 1.0, 1.0]]
    assert reweight_profile(h1, 0.0, 2.0) is h1  # no order in the source: nothing to recover


def test_blend_gives_each_member_its_own_half_life_for_new_profiles():
    inter = _ring()
    a = make_model("seqknn", tune=False, half_life=1.0).fit(inter)
    b = make_model("itemknn", half_life=3.0).fit(inter)
    blend = BlendRecommender.from_members(a, b, weight=1.0)  # all weight on the item-kNN member
    events = [("i3", 1.0), ("i9", 1.0), ("i4", 1.0)]
    got = blend.score(blend.profile(None, events))
    want = b.score(b.profile(None, events))
    z = (want - want.mean()) / want.std()
    np.testing.assert_allclose(got[0], z[0], rtol=1e-4, atol=1e-4)
