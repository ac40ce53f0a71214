"""The served default: chosen on validation (never worse there than popularity or item-kNN), a
sequential log gets a sequence model, and ``recommender.evaluate --models all`` reports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender.fitting import AUTO, AUTO_CANDIDATES, fit_model
from recommender.models.base import MODELS
from tests.recsys_fakes import FAST_PARAMS
from tests.test_sasrec import ring_log

ROOT = Path(__file__).resolve().parents[1]


def test_auto_serves_the_sequence_model_when_order_tells_the_next_item():
    params = {c: FAST_PARAMS.get(c, {}) for c in AUTO_CANDIDATES}
    model = fit_model(ring_log(), {}, AUTO, params, show_progress=False)
    scores = model.fit_info["auto_validation_ndcg@20"]
    assert set(scores) == {*AUTO_CANDIDATES, "blend"} - {"hybrid"}  # no text: no hybrid; the greedy blend
    assert model.name == max(scores, key=scores.get)
    served = model.leaf_names() if model.name == "blend" else [model.name]
    assert "seqknn" in served  # it reads the order
    assert scores["seqknn"] > max(scores["popularity"], scores["itemknn"])


def test_sasrec_is_not_fitted_by_the_servers_auto_but_competes_when_asked():
    """The server's start-up fit stays cheap (SASRec costs seconds of epochs even on the demo
    log); ``select_model`` still weighs it when a caller names it as a candidate."""
    from recommender.fitting import last_event_mask, select_model

    assert "sasrec" not in AUTO_CANDIDATES
    inter = ring_log()
    val = last_event_mask(inter)
    sas = {**FAST_PARAMS["sasrec"], "knn_weight": 0.0, "layers": 1, "epochs": 40, "patience": 5}
    name, _, scores = select_model(inter.subset(~val), inter.subset(val), {}, {"sasrec": sas},
                                   candidates=("popularity", "itemknn", "sasrec"))
    assert set(scores) == {"popularity", "itemknn", "sasrec", "blend"}
    assert scores["sasrec"] > max(scores["popularity"], scores["itemknn"])
    assert scores[name] == max(scores.values())


def _ring_csv(tmp_path: Path) -> Path:
    inter = ring_log(n_users=24, length=5)
    rows = ["user_id,item_id,timestamp,type"]
    rows += [f"{inter.user_ids[u]},{inter.item_ids[i]},{int(t)},purchase"
             for u, i, t in zip(inter.users, inter.items, inter.times)]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow  # trains every model twice (its row and the default's choice): ~15 s on two idle cores
def test_evaluate_models_all_reports_every_model_and_the_default(tmp_path):
    out = tmp_path / "r.json"
    res = subprocess.run(
        [sys.executable, "-m", "recommender.evaluate", "--interactions", str(_ring_csv(tmp_path)), "--models", "all",
         "--embedder", "fake", "--k", "5", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "KEFU_RECOMMENDER_MODEL": "auto"},
    )
    assert res.returncode == 0, res.stderr
    models = json.loads(out.read_text())["models"]
    assert set(models) == {*MODELS, "default"}
    default = models["default"]
    valid = {k.removeprefix("valid_ndcg@20_"): v for k, v in default.items() if k.startswith("valid_ndcg@20_")}
    assert default["chosen"] in {*AUTO_CANDIDATES, "blend"} and valid[default["chosen"]] == max(valid.values())
    assert valid[default["chosen"]] >= max(valid["popularity"], valid["itemknn"])
    assert "default" in res.stdout and f"chose {default['chosen']}" in res.stdout
    assert np.isfinite(default["ndcg@5"])
