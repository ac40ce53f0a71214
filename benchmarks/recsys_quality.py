"""Recommender quality on public data: Games-6k next-item, cold-start items, Amazon Beauty.

    python -m benchmarks.recsys_quality [--json OUT] [--quick] [--only games,cold,beauty,ratings]

- **Games-6k** (``../shared/datasets/recsys``): train on each user's history before the
  validation target, early-stop/tune on the validation target, test on the last item, full
  ranking minus the user's history; Recall/NDCG@10/20 for every Kefu model plus ``implicit``'s
  ALS and BPR as outside references (skipped with a message when ``implicit`` is not
  installed). Item-kNN's α and recency half-life are picked on the validation target;
  sequential item-kNN (``seqknn``, :mod:`recommender.models.seqknn`: "bought next"
  transitions plus a share of co-occurrence over a recency-weighted profile) picks its
  co-occurrence share and half-life there itself.
  BPR, LightGCN and the hybrid carry the neighbour term (``recommender.models.neighbours``) with its
  weight α chosen on the validation target; each is also scored with α = 0 from the same fit
  (rows ``<model>-no-nbr``: the embeddings alone).
  SASRec (``recommender.models.sasrec``: causal self-attention over the history, softmax
  cross-entropy with sampled negatives, epochs by early stopping on the validation target,
  its neighbour term's α on the same target) runs here and on Beauty; ``epochs`` in its row
  is the epoch validation chose.
- **Cold start**: 5 % of items (seeded) lose every interaction; Recall@20 on the test users
  whose target is such an item — the hybrid (with and without its neighbour term) vs
  popularity and item-kNN (ID-only models cannot score).
- **Amazon Beauty** (ids only): leave-last-out, full ranking minus history; SASRec's
  published R@10 0.0605 / N@10 0.0318 (TIGER paper) for reference.

- **Ratings-style, weak text** (``--only ratings``): Games-6k's full histories as an
  unordered set, titles only, stratified 75/25 per user (seed 42, k=10), the
  recommenders-library protocol (:func:`tools.recsys.benchmark_sets.games6k_ratings_split`).

Every section also reports ``blend`` (:func:`recommender.fitting.blend_best`: the greedy
z-scored mix of up to three fitted candidates, each weight chosen on validation — what ``auto``
offers besides the candidates; ``members`` names them), ``blend-all`` (the same greedy blend
over every fitted model, SASRec included, which ``auto`` does not fit), and ``blend-<a>+<b>``
for each pair of :data:`BLEND_PAIRS` whose members ran (``train_seconds`` = the members' fits; choosing the weight adds one validation pass).

Every section also reports ``default``: the model ``KEFU_RECOMMENDER_MODEL=auto`` would serve —
of the fitted candidates in :data:`recommender.fitting.AUTO_CANDIDATES`, the one with the best
validation NDCG@20 (the test part is never looked at); ``chosen`` names it.

The MiniLM vectors of the Games titles are cached in ``$KEFU_DATA_DIR/cache`` (default
``./data/cache``): the first run embeds 16,859 titles (minutes on a small CPU).
Top-level JSON keys are ``<dataset>/<model>`` → flat metric dicts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

COLS = ["recall@10", "ndcg@10", "recall@20", "ndcg@20", "train_seconds", "train_cpu_seconds", "epochs", "knn_weight",
        "blend_weight"]
#: torch / implicit threads for every trained model (``--threads``).
THREADS = 2


#: SASRec parameters from ``--sasrec-params`` (JSON), over the defaults.
SASREC_EXTRA: dict = {}


def sasrec_params(quick: bool, epochs: int | None) -> dict:
    """SASRec as benchmarked (its epochs: :func:`sasrec_epochs`; early stopping on validation applies)."""
    return {"threads": THREADS, "epochs": sasrec_epochs(quick, epochs), **SASREC_EXTRA}
#: Blends reported besides the one ``auto`` offers (when both members ran).
BLEND_PAIRS = (("sasrec", "hybrid"), ("sasrec", "ease"), ("seqknn", "hybrid"), ("seqknn", "ease"), ("seqknn", "sasrec"))


def sasrec_epochs(quick: bool, epochs: int | None) -> int:
    return epochs or (2 if quick else 40)


class ImplicitAdapter:
    """Wraps a fitted ``implicit`` model in the ``score(profiles, users)`` shape the scorer uses."""

    def __init__(self, model, n_items: int):
        self.model, self.n_items, self.params, self.fit_info = model, n_items, {"half_life": 0}, {}

    def score(self, profiles, users=None):
        uf = np.asarray(self.model.user_factors)
        itf = np.asarray(self.model.item_factors)
        u = np.asarray(users)
        return uf[np.maximum(u, 0)] @ itf.T


def implicit_models(split, quick: bool) -> dict[str, dict[str, float]]:
    try:
        import implicit  # noqa: F401
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking
    except ImportError:
        print("implicit is not installed (pip install implicit): skipping the ALS/BPR references")
        return {}
    from tools.recsys.scoring import score_model
    from tools.recsys.splits import Split

    out = {}
    ui = split.train.matrix(binary=True).tocsr()
    hist_split = Split(split.train, split.valid, split.history, split.test_users, split.relevant, history_is_train=True)
    for name, make in (
        ("implicit-als", lambda: AlternatingLeastSquares(factors=64, regularization=0.05, iterations=15,
                                                         num_threads=THREADS,
                                                         random_state=0)),
        ("implicit-bpr", lambda: BayesianPersonalizedRanking(factors=64, learning_rate=0.01, regularization=0.01,
                                                             iterations=100, num_threads=THREADS, random_state=0)),
    ):
        model = make()
        t0 = time.perf_counter()
        model.fit(ui * (20.0 if "als" in name else 1.0), show_progress=False)
        secs = time.perf_counter() - t0
        r = score_model(ImplicitAdapter(model, ui.shape[1]), hist_split)
        r["train_seconds"] = secs
        out[name] = r
    return out


def text_vectors(titles: dict[str, str]) -> np.ndarray:
    from knowledge.embedder import make_embedder

    cache = Path(os.environ.get("KEFU_DATA_DIR", "data")) / "cache" / "games6k_minilm.npy"
    if cache.is_file():
        v = np.load(cache)
        if len(v) == len(titles):
            return v
    print(f"embedding {len(titles)} Games-6k titles with the bundled MiniLM (cached in {cache})…", flush=True)
    v = make_embedder("bundled").encode(list(titles.values()))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, v)
    return v


def add_ablation(results: dict, name: str, model, split, ks=(10, 20)) -> None:
    """Record ``name`` as fitted (its α on validation) and, for a model with the neighbour
    term switched on, the same fit scored with α = 0 as ``name-no-nbr`` (embeddings alone)."""
    from tools.recsys.scoring import score_model

    r = results[name]
    alpha = getattr(model, "knn_w", None)
    if alpha is None:
        return
    r["knn_weight"] = float(alpha)
    if alpha:
        model.knn_w = 0.0
        pure = score_model(model, split, ks)
        model.knn_w = alpha
        results[f"{name}-no-nbr"] = {**pure, "train_seconds": r["train_seconds"], "knn_weight": 0.0}


def add_blends(results: dict, models: dict, split, pairs=BLEND_PAIRS) -> None:
    """Rows ``blend`` (what ``auto`` offers: the greedy blend of the fitted candidates,
    :func:`recommender.fitting.blend_best`) and ``blend-<a>+<b>`` for each of ``pairs`` whose
    members were fitted; each weight is chosen on validation, test scored once per row.
    ``models["blend"]`` becomes the auto blend, so :func:`add_default` weighs it too."""
    from recommender.fitting import AUTO_CANDIDATES, blend_best
    from recommender.models.blend import BlendRecommender
    from recommender.models.torch_loop import validation_ndcg
    from tools.recsys.scoring import score_model

    cands = {n: m for n, m in models.items() if n in AUTO_CANDIDATES}
    valid = {n: validation_ndcg(m, split.valid) for n, m in cands.items()}

    def record(label: str, blend) -> None:
        r = score_model(blend, split, (10, 20))
        secs = sum(results[n]["train_seconds"] for n in blend.leaf_names())
        cpu = sum(results[n].get("train_cpu_seconds", 0.0) for n in blend.leaf_names())
        results[label] = {**r, "train_seconds": secs, "train_cpu_seconds": cpu, "blend_weight": blend.w,
                          "valid_ndcg@20": blend.fit_info["validation_ndcg@20"],
                          "members": "+".join(blend.leaf_names())}
        print(f"  {label} ({'+'.join(blend.leaf_names())}, w {blend.w:.1f}): ndcg@10 {r['ndcg@10']:.4f}", flush=True)

    auto = blend_best(cands, valid, split.valid)
    if auto is not None:
        models["blend"] = auto
        record("blend", auto)
    extra = {n: m for n, m in models.items() if n not in cands and n != "blend"}
    if extra:  # the same greedy blend over every fitted model (SASRec too), not what the server offers
        every = {**cands, **extra}
        scores = {**valid, **{n: validation_ndcg(m, split.valid) for n, m in extra.items()}}
        wide = blend_best(every, scores, split.valid)
        if wide is not None and wide.leaf_names() != getattr(auto, "leaf_names", list)():
            record("blend-all", wide)
    for a, b in pairs:
        if a in cands and b in cands and [a, b] != getattr(auto, "leaf_names", list)():  # not the auto blend again
            record(f"blend-{a}+{b}", BlendRecommender.from_members(cands[a], cands[b], split.valid))


def add_default(results: dict, models: dict, split) -> None:
    """``results["default"]``: the row of the candidate ``auto`` would pick (best validation NDCG@20)."""
    from recommender.fitting import AUTO_CANDIDATES, BLEND
    from recommender.models.torch_loop import validation_ndcg

    valid = {n: validation_ndcg(m, split.valid) for n, m in models.items() if n in AUTO_CANDIDATES or n == BLEND}
    if not valid:
        return
    best = max(valid, key=valid.get)
    results["default"] = {**results[best], "chosen": best, **{f"valid_ndcg@20_{n}": v for n, v in valid.items()}}
    print(f"  default = {best} (validation NDCG@20 " + ", ".join(f"{n} {v:.4f}" for n, v in valid.items()) + ")")


def tune_itemknn(split, grid) -> dict:
    """Pick item-kNN params by validation NDCG@20 (the test target is never looked at)."""
    from recommender.models.base import make_model
    from recommender.models.torch_loop import validation_ndcg

    best, best_p = -1.0, {}
    for p in grid:
        m = make_model("itemknn", **p).fit(split.train)
        s = validation_ndcg(m, split.valid, max_users=5000)
        if s > best:
            best, best_p = s, p
    return best_p


def run_games(folder: Path, quick: bool, progress: bool, models: set[str] | None = None,
              epochs: int | None = None) -> dict[str, dict[str, float]]:
    from recommender.models.base import make_model
    from tools.recsys.benchmark_sets import games6k_split
    from tools.recsys.scoring import fit_and_score

    split, titles, _ = games6k_split(folder)
    vecs = None  # embedded on first use: only the text models need them
    e = epochs or (3 if quick else 30)
    grid = [{"alpha": a, "half_life": h} for a in (0.5, 0.7) for h in (0.0, 1.0)]
    specs = {
        "popularity": {},
        "itemknn": tune_itemknn(split, grid),
        "seqknn": {},
        "ease": {"half_life": 1.0},
        "bpr": {"epochs": e * 2, "threads": THREADS, "half_life": 1.0},
        "lightgcn": {"epochs": e, "threads": THREADS, "half_life": 1.0},
        "hybrid": {"epochs": e, "threads": THREADS, "half_life": 1.0},
        "sasrec": sasrec_params(quick, epochs),
    }
    results, fitted = {}, {}
    for name, params in specs.items():
        if models and name not in models and name not in ("popularity", "itemknn"):
            continue  # the two baselines always run: every figure is a ratio to them
        model = fitted[name] = make_model(name, **params)
        if model.uses_text:
            vecs = text_vectors(titles) if vecs is None else vecs
            model.set_text_vectors(dict(zip(titles, vecs)))
        _, r = fit_and_score(name, split, titles, (10, 20), model=model, show_progress=progress)
        r["train_cpu_seconds"] = model.fit_info.get("cpu_seconds", 0.0)
        r.update({f"param_{k}": float(v) for k, v in params.items() if isinstance(v, (int, float))})
        results[name] = r
        add_ablation(results, name, model, split)
        print(f"  games6k {name}: ndcg@10 {r['ndcg@10']:.4f} ({r['train_seconds']:.0f}s)", flush=True)
    add_blends(results, fitted, split)
    add_default(results, fitted, split)
    if not models or "implicit" in models:
        results.update(implicit_models(split, quick))
    return results


def run_cold(folder: Path, quick: bool, progress: bool) -> dict[str, dict[str, float]]:
    from recommender.models.base import make_model
    from tools.recsys.benchmark_sets import games6k_split
    from tools.recsys.scoring import score_model

    split, titles, cold = games6k_split(folder, cold_share=0.05, seed=0)
    vecs = text_vectors(titles)
    mask = np.asarray([cold[next(iter(r))] for r in split.relevant])
    out = {}
    for name, params in (("popularity", {}), ("itemknn", {}),
                         ("hybrid", {"epochs": 3 if quick else 30, "threads": THREADS, "half_life": 1.0})):
        model = make_model(name, **params)
        if model.uses_text:
            model.set_text_vectors(dict(zip(titles, vecs)))
        t0 = time.perf_counter()
        model.fit(split.train, titles, split.valid, show_progress=progress)
        secs = time.perf_counter() - t0
        variants = [(name, getattr(model, "knn_w", 0.0))]
        if variants[0][1]:
            variants.append((f"{name}-no-nbr", 0.0))
        for label, alpha in variants:
            if alpha != variants[0][1]:
                model.knn_w = alpha
            r = score_model(model, split, (10, 20), test_mask=mask)
            out[label] = {"cold_recall@20": r["recall@20"], "cold_ndcg@20": r["ndcg@20"],
                          "cold_users": float(mask.sum()), "train_seconds": secs, "knn_weight": float(alpha)}
            print(f"  cold {label}: recall@20 {r['recall@20']:.4f}", flush=True)
    return out


def run_beauty(path: Path, quick: bool, progress: bool, epochs: int | None = None,
               models: set[str] | None = None) -> dict[str, dict[str, float]]:
    from tools.recsys.benchmark_sets import beauty_split
    from tools.recsys.scoring import fit_and_score

    split = beauty_split(path)
    e = epochs or (3 if quick else 30)
    out, fitted = {"sasrec-published": {"recall@10": 0.0605, "ndcg@10": 0.0318}}, {}
    for name, params in (("popularity", {}), ("itemknn", {"alpha": 0.7, "half_life": 1.0}), ("seqknn", {}),
                         ("ease", {"half_life": 1.0}),
                         ("bpr", {"epochs": 2 * e, "threads": THREADS, "half_life": 1.0}),
                         ("hybrid", {"epochs": e, "threads": THREADS, "half_life": 1.0}),
                         ("sasrec", sasrec_params(quick, epochs))):
        if models and name not in models and name not in ("popularity", "itemknn"):
            continue
        fitted[name], r = fit_and_score(name, split, None, (10, 20), params, show_progress=progress)
        r["train_cpu_seconds"] = fitted[name].fit_info.get("cpu_seconds", 0.0)
        out[name] = r
        add_ablation(out, name, fitted[name], split)
        print(f"  beauty {name}: ndcg@10 {r['ndcg@10']:.4f}", flush=True)
    add_blends(out, fitted, split)
    add_default(out, fitted, split)
    return out


def run_ratings(folder: Path, quick: bool, progress: bool, epochs: int | None = None) -> dict[str, dict[str, float]]:
    """The ratings-style benchmark: every model with its defaults (what ``auto`` chooses from)."""
    from tools.recsys.benchmark_sets import games6k_ratings_split
    from tools.recsys.scoring import fit_and_score

    split, titles = games6k_ratings_split(folder)
    vecs = text_vectors(titles)
    e = epochs or (3 if quick else 30)
    out, fitted = {}, {}
    for name, params in (("popularity", {}), ("itemknn", {}), ("seqknn", {}), ("ease", {}),
                         ("bpr", {"epochs": 2 * e, "threads": THREADS}), ("hybrid", {"epochs": e, "threads": THREADS})):
        from recommender.models.base import make_model

        model = make_model(name, **params)
        if model.uses_text:
            model.set_text_vectors(dict(zip(titles, vecs)))
        fitted[name], out[name] = fit_and_score(name, split, titles, (10, 20), model=model, show_progress=progress)
        print(f"  ratings {name}: ndcg@10 {out[name]['ndcg@10']:.4f} ({out[name]['train_seconds']:.0f}s)", flush=True)
    add_blends(out, fitted, split)
    add_default(out, fitted, split)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.recsys_quality", description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--quick", action="store_true", help="few epochs (minutes instead of tens of minutes)")
    ap.add_argument("--only", default="games,cold,beauty,ratings")
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--models", help="models to train besides the baselines (Games-6k, Beauty), e.g. sasrec,implicit")
    ap.add_argument("--epochs", type=int, help="epochs for the embedding models in every section (early stopping still applies)")
    ap.add_argument("--threads", type=int, default=2, help="torch/implicit threads for the trained models (default 2)")
    ap.add_argument("--sasrec-params", default="{}", help='SASRec parameters as JSON, e.g. \'{"negatives": 1024}\'')
    args = ap.parse_args(argv)
    global THREADS
    THREADS = max(1, args.threads)
    import json

    SASREC_EXTRA.update(json.loads(args.sasrec_params))
    from tools.recsys.benchmark_sets import recsys_file
    from tools.recsys.scoring import format_table

    try:
        import torch

        torch.set_num_threads(THREADS)
    except ImportError:  # pragma: no cover
        pass
    games, beauty = recsys_file("Games-6k.item"), recsys_file("amazon_beauty_seq.txt")
    if games is None and beauty is None:
        print("../shared/datasets/recsys is absent (set KEFU_DATASETS_DIR): nothing to measure")
        return 0
    only = set(args.only.split(","))
    results: dict[str, dict[str, float]] = {}
    if games is not None and "games" in only:
        wanted = set(args.models.split(",")) if args.models else None
        for k, v in run_games(games.parent, args.quick, args.progress, wanted, args.epochs).items():
            results[f"games6k/{k}"] = v
    if games is not None and "cold" in only:
        for k, v in run_cold(games.parent, args.quick, args.progress).items():
            results[f"games6k-cold/{k}"] = v
    if beauty is not None and "beauty" in only:
        wanted = set(args.models.split(",")) if args.models else None
        for k, v in run_beauty(beauty, args.quick, args.progress, args.epochs, wanted).items():
            results[f"beauty/{k}"] = v
    if games is not None and "ratings" in only:
        for k, v in run_ratings(games.parent, args.quick, args.progress, args.epochs).items():
            results[f"ratings/{k}"] = v
    for prefix, cols in (("games6k/", COLS), ("games6k-cold/", ["cold_recall@20", "cold_ndcg@20", "cold_users", "knn_weight"]),
                         ("beauty/", COLS), ("ratings/", COLS)):
        sub = {k[len(prefix):]: v for k, v in results.items() if k.startswith(prefix)}
        if sub:
            print(f"\n{prefix.rstrip('/')}")
            print(format_table(sub, cols))
    g = {k: v for k, v in results.items() if k.startswith("games6k/")}
    if g:
        base = max(g.get("games6k/popularity", {}).get("ndcg@10", 0), g.get("games6k/itemknn", {}).get("ndcg@10", 0))
        for name in ("bpr", "bpr-no-nbr", "lightgcn", "lightgcn-no-nbr", "hybrid", "hybrid-no-nbr"):
            r = g.get(f"games6k/{name}")
            if r and base > 0:
                r["ndcg@10_vs_best_baseline"] = r["ndcg@10"] / base
                print(f"{name}: NDCG@10 {r['ndcg@10']:.4f} = {r['ndcg@10'] / base:.2f}× the best of popularity/item-kNN")
    from benchmarks.common import RESULTS, write_json

    write_json(results, args.json or RESULTS / "recsys_quality.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
