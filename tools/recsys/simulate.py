"""Seeded generator of the demo store's purchase log (``knowledge/data/interactions.csv``).

    python -m tools.recsys.simulate --products knowledge/data/products.csv \\
        --out knowledge/data/interactions.csv [--users 400] [--seed 7] [--days 180]

The demo store has no real customers, so the recommender is trained on a simulated log.
How it is simulated (everything drawn from one ``numpy`` generator seeded by ``--seed``,
so the same products file and seed give the same CSV byte for byte):

1. **Item appeal**: each product gets a popularity weight ``lognormal(0, 1) × (rating/5)²`` —
   a long tail where a few items sell a lot and well-rated items sell more.
2. **Personas**: each shopper gets one or two favourite categories (drawn in proportion to
   category size), within them one or two favourite subcategories/platforms (items there
   get ×4 appeal, e.g. a "PS4 gamer"), a budget (items above it get ×0.2 appeal) and an
   activity level (sessions ~ 1 + Poisson(2.5)).
3. **Sessions** spread uniformly over the ``--days`` before ``--end``: the shopper *views*
   2–6 items drawn by appeal inside a favourite category (10 % of views anywhere, by
   overall popularity), puts one or two of them in the *cart* (35 %), and *purchases* a
   cart item (60 %). A purchase triggers a **complementary purchase** with probability 0.35:
   an item of the same category but another subcategory that shares a word of its title
   or attributes (console → game/controller for that console), else a same-brand item.
4. Events within a session are minutes apart; out-of-stock items are still viewed but
   never bought.

Columns: ``user_id,item_id,timestamp,type`` (ISO-8601 UTC timestamps, type
view|cart|purchase). With the defaults (~400 users) the log has about 6,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from recommender.interactions import DataError, load_items_csv
from tools.recsys.cli_common import fail

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "and", "for", "with", "of", "a", "an", "in", "to", "on", "by", "edition", "pack", "new", "set"}


def _float(value: str, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _words(row: dict[str, str]) -> set[str]:
    text = f"{row.get('title', '')} {row.get('attributes', '')}".lower()
    return {w for w in _WORD.findall(text) if len(w) > 1 and w not in _STOP}


def simulate(products: dict[str, dict[str, str]], n_users: int = 400, seed: int = 7, days: int = 180,
             end: datetime | None = None) -> list[tuple[str, str, str, str]]:
    """Rows ``(user_id, item_id, iso_timestamp, type)`` sorted by time (see module docstring)."""
    rng = np.random.default_rng(seed)
    end = end or datetime(2025, 6, 30, tzinfo=timezone.utc)
    ids = list(products)
    n = len(ids)
    if n == 0:
        return []
    rows = [products[i] for i in ids]
    cat = np.asarray([r.get("category", "") or "all" for r in rows])
    sub = np.asarray([r.get("subcategory", "") or r.get("category", "") or "all" for r in rows])
    price = np.asarray([_float(r.get("price"), 0.0) for r in rows])
    rating = np.clip(np.asarray([_float(r.get("rating"), 4.0) for r in rows]), 1.0, 5.0)
    stock = np.asarray([_float(r.get("stock"), 1.0) for r in rows])
    brand = np.asarray([r.get("brand", "") for r in rows])
    appeal = rng.lognormal(0.0, 1.0, n) * (rating / 5.0) ** 2
    words = [_words(r) for r in rows]
    cats = sorted(set(cat))
    by_cat = {c: np.nonzero(cat == c)[0] for c in cats}
    cat_p = np.asarray([len(by_cat[c]) for c in cats], dtype=float)
    cat_p /= cat_p.sum()

    complements: dict[int, np.ndarray] = {}

    def complement_of(i: int) -> np.ndarray:
        if i not in complements:
            same_cat = by_cat[cat[i]]
            cands = [j for j in same_cat if sub[j] != sub[i] and words[i] & words[j]]
            if not cands:
                cands = [j for j in range(n) if j != i and brand[i] and brand[j] == brand[i]]
            complements[i] = np.asarray(cands, dtype=int)
        return complements[i]

    def draw(pool: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
        p = weights[pool] / weights[pool].sum()
        return rng.choice(pool, size=min(k, len(pool)), replace=False, p=p)

    out: list[tuple[float, str, str, str]] = []
    start = end - timedelta(days=days)
    for u in range(n_users):
        uid = f"u{u + 1:04d}"
        fav_cats = rng.choice(len(cats), size=min(len(cats), 1 + int(rng.random() < 0.4)), replace=False, p=cat_p)
        w = appeal.copy()
        for c in fav_cats:
            subs = sorted(set(sub[by_cat[cats[c]]]))
            fav_subs = rng.choice(subs, size=min(len(subs), 1 + int(rng.random() < 0.3)), replace=False)
            w[np.isin(sub, fav_subs)] *= 4.0
        if price.max() > 0:
            budget = np.quantile(price, rng.uniform(0.4, 1.0))
            w[price > budget] *= 0.2
        fav_pool = np.concatenate([by_cat[cats[c]] for c in fav_cats])
        for _ in range(1 + rng.poisson(2.5)):
            t = start + timedelta(seconds=float(rng.uniform(0, days * 86400)))
            pool = fav_pool if rng.random() > 0.1 else np.arange(n)
            viewed = draw(pool, w, int(rng.integers(2, 6)))
            events: list[tuple[int, str]] = [(int(i), "view") for i in viewed]
            in_stock = [int(i) for i in viewed if stock[i] > 0]
            if in_stock and rng.random() < 0.35:
                carted = draw(np.asarray(in_stock), w, 1 + int(rng.random() < 0.3))
                events += [(int(i), "cart") for i in carted]
                if rng.random() < 0.6:
                    bought = int(carted[0])
                    events.append((bought, "purchase"))
                    comp = complement_of(bought)
                    comp = comp[stock[comp] > 0] if len(comp) else comp
                    if len(comp) and rng.random() < 0.35:
                        extra = int(draw(comp, w, 1)[0])
                        events += [(extra, "view"), (extra, "cart"), (extra, "purchase")]
            for step, (i, kind) in enumerate(events):
                ts = t + timedelta(minutes=2 * step + float(rng.uniform(0, 1.5)))
                out.append((ts.timestamp(), uid, ids[i], kind))
    out.sort()
    return [(u, i, datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), k) for ts, u, i, k in out]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.recsys.simulate", description=__doc__.split("\n")[0])
    ap.add_argument("--products", type=Path, required=True, help="products CSV (id,title,...,category,subcategory,price,stock,rating)")
    ap.add_argument("--out", type=Path, required=True, help="interactions CSV to write")
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=180)
    args = ap.parse_args(argv)
    if args.users <= 0 or args.days <= 0:
        fail("--users and --days must be positive")
    try:
        products = load_items_csv(args.products)
    except DataError as exc:
        fail(str(exc))
    rows = simulate(products, args.users, args.seed, args.days)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(["user_id", "item_id", "timestamp", "type"])
        wr.writerows(rows)
    counts = defaultdict(int)
    for r in rows:
        counts[r[3]] += 1
    print(f"wrote {len(rows)} events ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}) "
          f"for {args.users} users over {len(products)} products → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
