"""Command-line tools: bad input gives one line on stderr and a non-zero exit; good input works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, items, needle",
    [
        ("user_id,item_id\nu1,a\n", None, "missing column"),
        ("", None, "empty"),
        ("user_id,item_id,timestamp\n", None, "no interactions"),
        ("user_id,item_id,timestamp\nu1,a,1\nu1,zz,2\n", "item_id,title\na,Alpha\n", "not in the items file"),
        ("user_id,item_id,timestamp,type\nu1,a,1,like\n", None, "unknown event type"),
    ],
)
@pytest.mark.parametrize("tool", ["recommender.evaluate", "recommender.train"])
def test_bad_csv_one_line_error(tmp_path, content, items, needle, tool):
    inter = write(tmp_path / "i.csv", content)
    args = [tool, "--interactions", str(inter)]
    if items:
        args += ["--items", str(write(tmp_path / "items.csv", items))]
    if tool == "recommender.train":
        args += ["--out", str(tmp_path / "m"), "--model", "itemknn"]
    res = run(*args)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.stderr


def test_missing_file_and_bad_model(tmp_path):
    res = run("recommender.evaluate", "--interactions", str(tmp_path / "nope.csv"))
    assert res.returncode != 0 and len(res.stderr.strip().splitlines()) == 1
    inter = write(tmp_path / "i.csv", "user_id,item_id,timestamp\nu1,a,1\n")
    res = run("recommender.evaluate", "--interactions", str(inter), "--models", "svd")
    assert res.returncode != 0 and "unknown model" in res.stderr


def _log(tmp_path: Path) -> Path:
    rows = ["user_id,item_id,timestamp,type"]
    for u in range(12):
        items = ["a0", "a1", "a2", "a3"] if u < 7 else ["b0", "b1", "b2", "b3"]
        rows += [f"u{u},{it},2025-01-0{t + 1}T10:00:00Z,purchase" for t, it in enumerate(items)]
    return write(tmp_path / "log.csv", "\n".join(rows) + "\n")


def test_evaluate_and_train_on_a_small_log(tmp_path):
    out = tmp_path / "r.json"
    res = run("recommender.evaluate", "--interactions", str(_log(tmp_path)), "--models", "popularity,itemknn",
              "--protocol", "random-75-25", "--k", "2", "--json", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert data["protocol"] == "random-75-25"
    assert set(data["models"]) == {"popularity", "itemknn"}
    assert {"recall@2", "ndcg@2", "map", "train_seconds"} <= set(data["models"]["itemknn"])
    res = run("recommender.train", "--interactions", str(_log(tmp_path)), "--model", "itemknn",
              "--out", str(tmp_path / "m"), "--quiet")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "m" / "model.json").is_file() and (tmp_path / "m" / "arrays.npz").is_file()


def test_models_all_means_every_model_and_the_served_one():
    from recommender.models.base import MODELS
    from tools.recsys.cli_common import parse_model_list
    from tools.recsys.evaluate_cli import _runs

    assert parse_model_list("all") == [*MODELS, "default"]
    assert parse_model_list("popularity, ItemKNN") == ["popularity", "itemknn"]
    runs = _runs(["itemknn", "hybrid", "default"], "fake")
    assert runs[:2] == [("itemknn", "itemknn", {}), ("hybrid", "hybrid", {"embedder": "fake"})]
    label, served, params = runs[2]
    from recommender.fitting import serving_params

    assert label == "default" and served in [*MODELS, "auto"]
    assert params == serving_params(served, "fake")
