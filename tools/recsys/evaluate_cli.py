"""``python -m recommender.evaluate``: train and score models on one split of a CSV.

    python -m recommender.evaluate --interactions knowledge/data/interactions.csv \\
        --items knowledge/data/products.csv --protocol leave-last-out --k 10 20 --json out.json

Prints one table (metrics at each k plus train seconds) and writes
``{"protocol": …, "models": {NAME: {"recall@10": …, "ndcg@10": …, …, "train_seconds": …}}}``.
``--models all`` scores every model plus ``default``, the one the server would serve: for
``KEFU_RECOMMENDER_MODEL=auto`` (the default) the candidate with the best validation NDCG@20
on this split's validation part (:func:`recommender.fitting.select_model`), fitted on its
training part like every other row.
Protocols (see :mod:`tools.recsys.splits`): ``leave-last-out``, ``stratified-75-25``
(alias ``random-75-25``) with ``--stratify-by user|item`` and ``--seed``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recommender.fitting import AUTO, select_model, serving_params
from tools.recsys.cli_common import DEFAULT, fail, load_or_fail, parse_model_list
from tools.recsys.scoring import fit_and_score, format_table
from tools.recsys.splits import PROTOCOLS, make_split


def _runs(names: list[str], embedder: str | None) -> list[tuple[str, str, dict]]:
    """(row label, model name, parameters) per requested model; ``default`` is the model the
    server would serve (``KEFU_RECOMMENDER_MODEL``) with the server's parameters."""
    runs = []
    for name in names:
        if name == DEFAULT:
            from settings import Settings

            settings = Settings()
            served = settings.recommender_model
            runs.append((name, served, serving_params(served, embedder or settings.embedder or "bundled")))
        else:
            runs.append((name, name, {"embedder": embedder} if (name == "hybrid" and embedder) else {}))
    return runs


def _score_auto(split, texts, ks, params, progress) -> dict:
    """The ``auto`` choice on ``split``: select on its validation part, score the chosen fit."""
    import time

    from tools.recsys.scoring import score_model

    if split.valid is None or not len(split.valid):
        fail("auto needs a validation split to choose on")
    t0 = time.perf_counter()
    name, model, scores = select_model(split.train, split.valid, texts, params, progress)
    out = score_model(model, split, ks)
    out["train_seconds"] = time.perf_counter() - t0
    print(f"default (auto) chose {name}: validation NDCG@20 "
          + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    return {**out, "chosen": name, **{f"valid_ndcg@20_{k}": v for k, v in scores.items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--interactions", type=Path, required=True)
    ap.add_argument("--items", type=Path)
    ap.add_argument("--protocol", default="leave-last-out", choices=PROTOCOLS)
    ap.add_argument("--stratify-by", default="user", choices=("user", "item"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--models", default="popularity,itemknn,bpr,lightgcn,hybrid")
    ap.add_argument("--k", type=int, nargs="+", default=[10, 20])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--embedder", default=None, help="text embedder for the hybrid: bundled | fake | path")
    ap.add_argument("--progress", action="store_true", help="show training progress bars")
    args = ap.parse_args(argv)
    names = parse_model_list(args.models)
    if any(k <= 0 for k in args.k):
        fail("--k values must be positive")
    inter, texts = load_or_fail(args.interactions, args.items)
    split = make_split(inter, args.protocol, args.stratify_by, args.seed)
    if len(split.test_users) == 0:
        fail("no user has enough interactions to hold any out (leave-last-out needs 3 per user)")
    results = {}
    for label, name, params in _runs(names, args.embedder):
        if name == AUTO:
            results[label] = _score_auto(split, texts, args.k, params, args.progress)
        else:
            _, results[label] = fit_and_score(name, split, texts, args.k, params, show_progress=args.progress)
    cols = [f"{m}@{k}" for k in args.k for m in ("recall", "ndcg", "map")] + ["map", "coverage@" + str(args.k[0]), "train_seconds"]
    print(f"protocol {args.protocol}: {len(split.train)} train interactions, {len(split.test_users)} test users, "
          f"{inter.n_items} items")
    print(format_table(results, cols))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"protocol": args.protocol, "models": results}, indent=2), encoding="utf-8")
    return 0
