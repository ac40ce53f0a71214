"""``python -m recommender.train``: fit one model on an interactions CSV and save it.

    python -m recommender.train --interactions knowledge/data/interactions.csv \\
        --items knowledge/data/products.csv --model hybrid --out data/recommender/hybrid

The last event of each user (with ≥ 3 events) is held out for early stopping, then the
model is saved as a folder (``model.json`` + ``arrays.npz``) that ``load_model`` reads.
Bad input → one-line message on stderr and exit status 2. ``recommender/train.py`` is the
entry point; the fitting itself is :func:`recommender.fitting.fit_model`, what the server runs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from recommender.fitting import fit_model
from tools.recsys.cli_common import fail, load_or_fail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.train", description=__doc__.split("\n")[0])
    ap.add_argument("--interactions", type=Path, required=True, help="CSV user_id,item_id,timestamp[,type][,rating]")
    ap.add_argument("--items", type=Path, help="CSV item_id (or id),title[,description,category,price]")
    ap.add_argument("--model", default="hybrid", help="auto | popularity | itemknn | ease | bpr | lightgcn | hybrid")
    ap.add_argument("--out", type=Path, required=True, help="folder to write the model to")
    ap.add_argument("--params", default="{}", help='JSON model parameters, e.g. \'{"factors": 32}\'')
    ap.add_argument("--embedder", default=None, help="text embedder for the hybrid: bundled | fake | path")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    from recommender.models.base import MODELS

    from recommender.fitting import AUTO, AUTO_CANDIDATES, serving_params

    if args.model not in MODELS and args.model != AUTO:
        fail(f"unknown model {args.model!r}; choose from {', '.join([AUTO, *MODELS])}")
    try:
        params = json.loads(args.params)
        assert isinstance(params, dict)
    except (ValueError, AssertionError):
        fail("--params must be a JSON object")
    if args.embedder and args.model == "hybrid":
        params["embedder"] = args.embedder
    if args.model == AUTO:  # --params apply to every candidate that knows them
        from recommender.models.base import model_class

        base, given = serving_params(AUTO, args.embedder or "bundled"), params
        known = {c: {**model_class(c).common_defaults, **model_class(c).defaults} for c in AUTO_CANDIDATES}
        params = {c: {**base[c], **{k: v for k, v in given.items() if k in known[c]}} for c in AUTO_CANDIDATES}
    inter, texts = load_or_fail(args.interactions, args.items)
    t0 = time.perf_counter()
    try:
        model = fit_model(inter, texts, args.model, params, show_progress=not args.quiet)
    except TypeError as exc:
        fail(str(exc))
    model.save(args.out)
    print(f"trained {args.model} on {len(inter)} interactions ({inter.n_users} users, {inter.n_items} items) "
          f"in {time.perf_counter() - t0:.1f}s → {args.out}")
    return 0
