"""The served model's choice on validation (``auto``), EASE's λ, and BPR's two backends."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.fitting import AUTO, AUTO_CANDIDATES, fit_model, select_model, serving_params
from recommender.interactions import Interactions
from recommender.models.base import make_model
from tests.recsys_fakes import FAST_PARAMS, TEXTS, checkerboard


def _sequences(n_users: int = 60, seed: int = 0) -> Interactions:
    """Users walk a ring of 12 items: the next item is always the one after the last."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        start = int(rng.integers(12))
        for t in range(5):
            rows.append((f"u{u}", f"i{(start + t) % 12}", float(t), "purchase"))
    return Interactions.from_records(rows)


def test_auto_picks_the_best_on_validation_and_never_a_worse_baseline():
    inter = _sequences()
    params = {c: FAST_PARAMS.get(c, {}) for c in AUTO_CANDIDATES}
    model = fit_model(inter, {}, AUTO, params, show_progress=False)
    scores = model.fit_info["auto_validation_ndcg@20"]
    assert "hybrid" not in scores  # no item has text: the text model is not a candidate
    assert model.name == max(scores, key=scores.get)
    assert scores[model.name] >= max(scores["popularity"], scores["itemknn"])
    assert model.name != "popularity"


def test_select_model_scores_every_candidate_with_text():
    inter = checkerboard()
    params = {c: FAST_PARAMS.get(c, {}) for c in AUTO_CANDIDATES}
    mask = np.zeros(len(inter), dtype=bool)
    mask[-1] = True
    name, model, scores = select_model(inter.subset(~mask), inter.subset(mask), TEXTS, params)
    assert set(scores) == {*AUTO_CANDIDATES, "blend"}  # the blend of the two best competes too
    assert model.name == name and scores[name] == max(scores.values())


def test_serving_params_for_auto_cover_every_candidate():
    p = serving_params(AUTO, "fake")
    assert p["hybrid"] == {"embedder": "fake"} and p["itemknn"] == {}


def test_ease_lambda_is_chosen_on_validation():
    inter = _sequences()
    mask = np.zeros(len(inter), dtype=bool)
    mask[4::5] = True
    m = make_model("ease").fit(inter.subset(~mask), valid=inter.subset(mask))
    assert m.fit_info["l2"] > 0 and len(m.fit_info["l2_validation"]) == 3
    assert make_model("ease", l2=5.0).fit(inter).fit_info["l2"] == 5.0


@pytest.mark.parametrize("backend", ["torch", "auto"])
def test_bpr_backends_rank_the_held_out_item_first(backend):
    if backend == "auto":
        pytest.importorskip("implicit")
    m = make_model("bpr", **{**FAST_PARAMS["bpr"], "backend": backend, "threads": 1}).fit(checkerboard())
    assert m.recommend("u00", k=1)[0] == ["a3"]
    assert (m.fit_info.get("backend") == "implicit") == (backend == "auto")
