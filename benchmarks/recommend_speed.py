"""Recommender speed: training time vs ``implicit`` BPR, serving latency at 100k items, model size.

    python -m benchmarks.recommend_speed [--json OUT] [--epochs 10] [--requests 300]

1. **Training** on Games-6k's training part (``../shared/datasets/recsys``; skipped when
   absent): Kefu's BPR for ``--epochs`` epochs (no early stopping, no neighbour term: the
   same model) vs ``implicit``'s CPU BPR for the same number of passes, same factors (64) and
   threads (2), in the same run; the ratio is Kefu seconds / implicit seconds. Kefu's BPR
   trains with implicit itself where it is installed (``backend="auto"``), so the ratio is
   the cost of Kefu's wrapping (matrices, export). Also the hybrid and SASRec for one epoch each
   (SASRec: no neighbour term). SASRec's epoch is compared with a reference in the same run
   (``implicit`` has no sequence model): a straightforward PyTorch loop of the same network,
   loss and optimiser taking one sequence per step, timed on ``--reference-sequences``
   sequences and scaled to the epoch; ``epoch_seconds_vs_reference`` = Kefu / reference.
2. **Latency**: ``recommend(user, k=10)`` with two fresh events (fold-in, neighbour term,
   filtering, top-k) on a synthetic 100,000-item catalogue with 64-d factors, 100 neighbours
   per item and 10,000 users (random values: the cost does not depend on them); p50/p99 over
   ``--requests`` calls.
3. **Memory**: bytes of the saved arrays (``arrays.npz``) of each model.

JSON: ``{"kefu-bpr": {...}, "implicit-bpr": {...}, "kefu-hybrid": {...}, "kefu-sasrec": {...}, "reference-sasrec": {...},
"serving-100k-…": {...}}``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _size(model) -> float:
    with tempfile.TemporaryDirectory() as d:
        model.save(d)
        return float(sum(p.stat().st_size for p in Path(d).iterdir()))


def synthetic_model(name: str, n_items: int, n_users: int, d: int = 64, seed: int = 0):
    """A model of class ``name`` with random arrays at the given size (for latency only)."""
    from scipy.sparse import csr_matrix

    from recommender.models.base import make_model

    rng = np.random.default_rng(seed)
    m = make_model(name)
    m.item_ids = [f"i{i}" for i in range(n_items)]
    m.user_ids = [f"u{u}" for u in range(n_users)]
    m._reindex()
    rows = np.repeat(np.arange(n_users), 10)  # 10 past events per user
    m.user_items = csr_matrix((np.ones(len(rows), np.float32), (rows, rng.integers(0, n_items, len(rows)))),
                              shape=(n_users, n_items))
    f = lambda *s: rng.standard_normal(s).astype(np.float32) * 0.1  # noqa: E731
    if name == "hybrid":
        m._set_arrays({"text": f(n_items, 32), "id_in": f(n_items, d), "id_out": f(n_items, d), "proj_in": f(32, d),
                       "proj_out": f(32, d), "bias": f(n_items), "cold_bias": np.zeros(1, np.float32)})
    else:
        m._set_arrays({"user_factors": f(n_users, d), "item_factors": f(n_items, d), "item_bias": f(n_items)})
    # the neighbour term as served: 100 neighbours per item, α = 0.1
    k = 100
    sim = csr_matrix((np.abs(f(n_items * k)), rng.integers(0, n_items, n_items * k), np.arange(0, n_items * k + 1, k)),
                     shape=(n_items, n_items))
    m._set_neighbour_arrays({"knn_w": np.asarray([0.1], np.float32), "knn_data": sim.data,
                             "knn_indices": sim.indices, "knn_indptr": sim.indptr}, n_items)
    return m


def sasrec_reference_epoch(fitted, train, n_sequences: int = 500, seed: int = 0) -> dict[str, float]:
    """Seconds per epoch of a straightforward SASRec loop: the same network, loss and
    optimiser as ``fitted``'s training, one sequence per step (no batching, no length
    grouping), timed on ``n_sequences`` training sequences and scaled to all of them."""
    import torch

    from recommender.models.sasrec import _Net

    p, ni = fitted.params, train.n_items
    seqs = fitted._sequences(train)
    pick = np.random.default_rng(seed).choice(len(seqs), min(n_sequences, len(seqs)), replace=False)
    net = _Net.build(ni, int(p["factors"]), int(p["layers"]), int(p["heads"]), int(p["max_len"]), float(p["dropout"]),
                     "cpu")
    opt = torch.optim.Adam(net.parameters(), lr=p["lr"], betas=(0.9, 0.98))
    full, n_neg = ni <= int(p["full_softmax_max"]), int(p["negatives"])
    net.train()
    t0 = time.perf_counter()
    for i in pick:
        s = torch.as_tensor(seqs[i][None, :])
        h, y = net(s[:, :-1])[0], s[0, 1:]
        emb = net.items.weight[:ni]
        if full:
            loss = torch.nn.functional.cross_entropy(h @ emb.T, y)
        else:
            neg = torch.randint(0, ni, (n_neg,))
            logits = torch.cat([(h * emb[y]).sum(-1, keepdim=True),
                                (h @ emb[neg].T).masked_fill(neg[None, :] == y[:, None], float("-inf"))], 1)
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(y), dtype=torch.long))
        opt.zero_grad()
        loss.backward()
        opt.step()
    secs = time.perf_counter() - t0
    return {"epoch_seconds": secs / len(pick) * len(seqs), "timed_sequences": float(len(pick)),
            "sequences": float(len(seqs))}


def latency(model, requests: int, seed: int = 1) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    times = []
    for r in range(requests):
        u = f"u{rng.integers(len(model.user_ids))}"
        ev = [(f"i{rng.integers(model.n_items)}", 4.0), (f"i{rng.integers(model.n_items)}", 1.0)]
        t0 = time.perf_counter()
        ids, _ = model.recommend(u, k=10, events=ev, exclude=[f"i{r}"])
        times.append(time.perf_counter() - t0)
        assert len(ids) == 10
    t = np.asarray(times) * 1000
    return {"p50_ms": float(np.percentile(t, 50)), "p99_ms": float(np.percentile(t, 99)),
            "n_items": float(model.n_items), "model_bytes": _size(model)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.recommend_speed", description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--reference-sequences", type=int, default=500,
                    help="sequences the per-sequence SASRec reference loop is timed on (scaled to an epoch)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    from recommender.models.base import make_model
    from tools.recsys.benchmark_sets import games6k_split, recsys_file
    from tools.recsys.scoring import format_table

    results: dict[str, dict[str, float]] = {}
    games = recsys_file("Games-6k.item")
    if games is None:
        print("../shared/datasets/recsys is absent (set KEFU_DATASETS_DIR): skipping the training comparison")
    else:
        split, titles, _ = games6k_split(games.parent)
        train = split.train
        kefu = make_model("bpr", epochs=args.epochs, patience=10**6, threads=2, knn_weight=0.0)
        t0 = time.perf_counter()
        kefu.fit(train)
        results["kefu-bpr"] = {"train_seconds": time.perf_counter() - t0, "epochs": float(args.epochs),
                               "model_bytes": _size(kefu), "interactions": float(len(train)),
                               "backend_implicit": float(kefu.fit_info.get("backend") == "implicit")}
        try:
            from implicit.cpu.bpr import BayesianPersonalizedRanking

            imp = BayesianPersonalizedRanking(factors=64, iterations=args.epochs, num_threads=2, random_state=0)
            t0 = time.perf_counter()
            imp.fit(train.matrix(binary=True).tocsr(), show_progress=False)
            secs = time.perf_counter() - t0
            results["implicit-bpr"] = {"train_seconds": secs, "epochs": float(args.epochs)}
            results["kefu-bpr"]["train_seconds_vs_implicit"] = results["kefu-bpr"]["train_seconds"] / secs
        except ImportError:
            print("implicit is not installed (pip install implicit): no training-time baseline")
        from benchmarks.recsys_quality import text_vectors

        hyb = make_model("hybrid", epochs=1, threads=2)
        hyb.set_text_vectors(dict(zip(titles, text_vectors(titles))))
        t0 = time.perf_counter()
        hyb.fit(train, titles)
        results["kefu-hybrid"] = {"train_seconds": time.perf_counter() - t0, "epochs": 1.0, "model_bytes": _size(hyb)}
        seq = make_model("sasrec", epochs=1, threads=2, knn_weight=0.0)
        t0 = time.perf_counter()
        seq.fit(train)
        results["kefu-sasrec"] = {"train_seconds": time.perf_counter() - t0, "epochs": 1.0, "model_bytes": _size(seq),
                                  "epoch_seconds": float(seq.fit_info["seconds"])}
        ref = sasrec_reference_epoch(seq, train, args.reference_sequences)
        results["reference-sasrec"] = ref
        results["kefu-sasrec"]["epoch_seconds_vs_reference"] = results["kefu-sasrec"]["epoch_seconds"] / ref["epoch_seconds"]
    for name in ("bpr", "hybrid"):
        results[f"serving-100k-{name}"] = latency(synthetic_model(name, 100_000, 10_000), args.requests)
    print(format_table(results, ["train_seconds", "epochs", "train_seconds_vs_implicit", "epoch_seconds",
                                  "epoch_seconds_vs_reference", "p50_ms", "p99_ms", "model_bytes"]))
    from benchmarks.common import RESULTS, write_json

    write_json(results, args.json or RESULTS / "recommend_speed.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
