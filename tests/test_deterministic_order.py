"""Run-to-run determinism: the same question, catalogue and code give the same scores and order in
every process, whatever ``PYTHONHASHSEED`` makes of the order of a set of words.

A plain ``sum`` over a set of floats rounds in the set's iteration order, which follows the
per-process string hash: the last bits of a score moved from run to run, so two products the
question matches equally (or a score exactly at a threshold, 0.9999999999999999 vs 1.0) swapped
between runs.
"""

import json
import os
import subprocess
import sys

from bot.answers.products import Product, ProductFinder

from .conftest import REPO

PRODUCTS = [
    ("P1", "PlayStation 5 Console - Disc Edition", "Sony", "PS5"),
    ("P2", "PlayStation 5 Console - Digital Edition", "Sony", "PS5"),
    ("P3", "DualSense Wireless Controller for PS5", "Sony", "PS5"),
    ("P4", "Redline RW-100 Starter Racing Wheel", "Redline Gear", "PS4, PC"),
    ("P5", "Redline RW-300 Pro Racing Wheel with Pedals", "Redline Gear", "PS4, PC"),
    ("P6", "Voltedge 2 TB NVMe SSD with Heatsink for PS5", "Voltedge", "PS5, PC"),
    ("P7", "Trailcrest Summit 2-Person Backpacking Tent", "Trailcrest", ""),
    ("P8", "Trailcrest Ridge 4-Person Family Tent", "Trailcrest", ""),
    ("P9", "Copperleaf 10-Piece Stainless Steel Cookware Set", "Copperleaf", ""),
    ("P10", "Nintendo Switch OLED Model", "Nintendo", "Switch"),
]
QUESTIONS = [
    "PS5 disc edition console price sony",
    "redline rw-100 starter racing wheel price",
    "voltedge nvme ssd heatsink ps5 price",
    "trailcrest summit backpacking tent 2-person",
    "copperleaf stainless steel cookware set 10-piece",
    "nintendo switch oled model console",
]


def catalogue() -> list[Product]:
    return [Product(id=i, title=t, brand=b, attributes={"platform": p} if p else {}) for i, t, b, p in PRODUCTS]


def scores_in_this_process() -> list[list[str]]:
    """Per question: every product's fused score (exact ``repr``) and the found product."""
    finder = ProductFinder(catalogue())
    out = []
    for q in QUESTIONS:
        found = finder.find(q, dense=[0.0] * len(finder.products))
        out.append([repr(s) for s in finder._lexical(set(q.lower().split()))] + [repr(found.score),
                    found.product.id if found.product else ""])
    return out


_CHILD = ("import json, sys; sys.path.insert(0, {repo!r}); from tests.test_deterministic_order import "
          "scores_in_this_process as s; print(json.dumps(s()))")


def test_product_scores_do_not_depend_on_the_string_hash_seed():
    runs = set()
    for seed in ("1", "2", "3", "4"):
        env = os.environ | {"PYTHONHASHSEED": seed}
        got = subprocess.run([sys.executable, "-c", _CHILD.format(repo=str(REPO))], env=env, cwd=REPO,
                             capture_output=True, text=True, check=True, timeout=120)
        runs.add(got.stdout.strip().splitlines()[-1])
    assert len(runs) == 1, "scores differ between hash seeds"
    assert json.loads(runs.pop()) == scores_in_this_process()
