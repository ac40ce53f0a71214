"""Sponsored slots offline: do profile-targeted picks reach the shopper more than random ones?

On Games-6k (Amazon Video Games, ``../shared/datasets/recsys``; next-item protocol) a set of
campaigns is drawn — ``--campaigns`` items sampled by training popularity (advertisers promote
products people buy), each with a log-normal bid, seeded — and for every test user the
sponsored slot(s) are filled four ways from the *same* campaigns, never with an item already in
the user's history:

- ``targeted``: what the server does (:func:`recommender.sponsored.relevance_of` and
  :func:`~recommender.sponsored.pick_order`): relevance to the user's profile (1 / (1 + rank of
  the item among all allowed items by item-kNN's score)) × bid, for items ranked above
  ``--min-relevance`` of the allowed items (the ``KEFU_SPONSORED_MIN_RELEVANCE`` default);
- ``relevance_only``: the same without the bid (an upper bound for targeting);
- ``bid_only``: the highest bids, the same for everyone (no targeting);
- ``random``: a uniform draw from the eligible campaigns (its expected hit rate, exactly).

A *hit* is the user's test item (their next purchase) among the picks. ``fill`` is the share of
users for whom a slot was filled at all (the relevance floor leaves some slots empty).
``targeted`` carries ``hit@N_vs_random``: its hit rate over the random one's, same run.

    python -m benchmarks.sponsored [--limit 20000] [--campaigns 500] [--slots 1 3] [--json OUT]
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import datasets_or_exit, emit, parser, quiet_libraries


def run(limit: int, n_campaigns: int, slots: list[int], min_relevance: float, seed: int = 42) -> dict:
    from recommender.models.base import make_model
    from recommender.sponsored import pick_order, relevance_of
    from tools.recsys.benchmark_sets import games6k_split

    folder = datasets_or_exit("recsys", "Games-6k.item").parent
    t0 = time.perf_counter()
    split, _, _ = games6k_split(folder)
    model = make_model("itemknn").fit(split.train)
    rng = np.random.default_rng(seed)
    pop = np.bincount(split.train.items, minlength=split.train.n_items).astype(np.float64)
    camp = rng.choice(len(pop), size=n_campaigns, replace=False, p=pop / pop.sum())
    bids = np.round(rng.lognormal(mean=-0.7, sigma=0.6, size=n_campaigns), 2)
    users = split.test_users
    order = rng.permutation(len(users))[: min(limit, len(users))]
    history = split.history.profiles()
    targets = np.asarray([next(iter(split.relevant[j])) for j in order])
    hits = {name: {n: 0.0 for n in slots} for name in ("targeted", "relevance_only", "bid_only", "random")}
    filled = {n: 0 for n in slots}
    by_bid = np.argsort(-bids, kind="stable")
    batch = 1000
    for lo in range(0, len(order), batch):
        rows = users[order[lo: lo + batch]]
        prof = history[rows]
        scores = np.asarray(model.score(prof), dtype=np.float64)
        for b in range(len(rows)):
            seen = prof.indices[prof.indptr[b]: prof.indptr[b + 1]]
            s = scores[b]
            allowed = np.ones(len(s), dtype=bool)
            allowed[seen] = False
            rel, pct = relevance_of(s, allowed, camp)
            ok = allowed[camp]
            passes = ok & (pct >= min_relevance)
            target = targets[lo + b]
            elig = np.flatnonzero(ok)
            target_in = np.flatnonzero(camp[elig] == target)
            for n in slots:
                t = pick_order(rel, bids, n, passes)
                hits["targeted"][n] += float(target in camp[t])
                filled[n] += bool(t)
                r = pick_order(rel, np.ones_like(bids), n, passes)
                hits["relevance_only"][n] += float(target in camp[r])
                top_bid = [i for i in by_bid if ok[i]][:n]
                hits["bid_only"][n] += float(target in camp[top_bid])
                if len(elig) and len(target_in):
                    hits["random"][n] += min(n, len(elig)) / len(elig)
    m = len(order)
    in_campaigns = float(np.isin(targets, camp).mean())
    out: dict[str, dict] = {}
    for name, per in hits.items():
        out[name] = {f"hit@{n}": per[n] / m for n in slots}
    for n in slots:
        out["targeted"][f"fill@{n}"] = filled[n] / m
        base = out["random"][f"hit@{n}"]
        out["targeted"][f"hit@{n}_vs_random"] = out["targeted"][f"hit@{n}"] / base if base > 0 else float("nan")
    out["setup"] = {"users": m, "campaigns": n_campaigns, "targets_in_campaigns": in_campaigns,
                    "min_relevance": min_relevance, "seconds": time.perf_counter() - t0}
    return out


def main(argv: list[str] | None = None) -> int:
    from recommender.sponsored import DEFAULTS

    p = parser("sponsored", __doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=20000, help="test users (seeded sample; 50,546 in all)")
    p.add_argument("--campaigns", type=int, default=500, help="campaign items drawn by popularity")
    p.add_argument("--slots", type=int, nargs="+", default=[1, 3], help="sponsored places per list")
    p.add_argument("--min-relevance", type=float, default=DEFAULTS["sponsored_min_relevance"])
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    if args.limit <= 0 or args.campaigns <= 0 or min(args.slots) <= 0:
        p.error("--limit, --campaigns and --slots must be positive")
    quiet_libraries()
    results = run(args.limit, args.campaigns, args.slots, args.min_relevance, args.seed)
    emit(results, args.json, "Sponsored picks on Games-6k: hit rate of the next purchase")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
