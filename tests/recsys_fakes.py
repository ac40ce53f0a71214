"""Synthetic recommender data for the unit tests: a checkerboard store where the answer is known.

Items ``a0..a3`` are racing games, ``b0..b3`` headphones. Twelve users buy every racing
game, eight buy every headphone; user ``u00`` bought only ``a0..a2`` — so ``a3`` is the one
right answer for them, and any sane model ranks it first.
"""

from __future__ import annotations

from recommender.interactions import Interactions

A_ITEMS = [f"a{i}" for i in range(4)]
B_ITEMS = [f"b{i}" for i in range(4)]
TEXTS = {
    **{i: f"Turbo racing game {n} for PS4, fast cars and tracks" for n, i in enumerate(A_ITEMS)},
    **{i: f"Wireless headphones model {n}, noise cancelling audio" for n, i in enumerate(B_ITEMS)},
}


def checkerboard() -> Interactions:
    rows = []
    for u in range(20):
        items = A_ITEMS if u < 12 else B_ITEMS
        for t, item in enumerate(items):
            if u == 0 and item == "a3":
                continue
            # vary the order so that sequence models see every pair
            rows.append((f"u{u:02d}", item, float((t + u) % 4), "purchase"))
    return Interactions.from_records(rows, item_ids=A_ITEMS + B_ITEMS)


FAST_PARAMS = {
    "popularity": {},
    "itemknn": {},
    "ease": {},
    # the PyTorch loop (per-epoch validation); implicit's backend is tested in test_recommender_auto.py
    "bpr": {"factors": 8, "epochs": 60, "lr": 0.05, "batch_size": 16, "seed": 1, "device": "cpu", "backend": "torch"},
    "lightgcn": {"factors": 8, "epochs": 60, "lr": 0.05, "batch_size": 16, "seed": 1, "device": "cpu"},
    "hybrid": {"factors": 8, "epochs": 60, "lr": 0.05, "batch_size": 16, "seed": 1, "device": "cpu",
               "embedder": "fake"},
    "sasrec": {"factors": 16, "epochs": 30, "lr": 0.005, "batch_size": 8, "seed": 1, "device": "cpu", "dropout": 0.3,
               "threads": 1},
}
# the blend's default pair (SASRec + hybrid) with their fast parameters; fitted without validation: weight 0.5
FAST_PARAMS["blend"] = {"members": "sasrec,hybrid",
                        "member_params": {"sasrec": FAST_PARAMS["sasrec"], "hybrid": FAST_PARAMS["hybrid"]}}
