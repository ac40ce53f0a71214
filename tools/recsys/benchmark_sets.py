"""Readers for the public evaluation sets in ``../shared/datasets/recsys`` and their protocols.

- **Games-6k** (Amazon Video Games, RUCAIBox/LLMRank): ``Games-6k.valid.inter`` gives each
  user's history before the validation target, ``Games-6k.test.inter`` the history before the
  test target. Train on the former, validate on its target, test on the latter's target with
  the full test history as the profile; rank all items minus the history.
- **Amazon Beauty** (``amazon_beauty_seq.txt``, ids only): leave-last-out on each line.
- **Games-6k ratings-style** (:func:`games6k_ratings_split`): each user's whole history
  (test history + test target) as an unordered user × item set with titles as the only
  text, split like recommenders' ``python_stratified_split`` (75/25 per user, seed 42) —
  a stand-in for ratings data with weak text.

The folder is ``$KEFU_DATASETS_DIR`` or ``<repo>/../shared/datasets``; :func:`datasets_dir`
returns ``None`` when it is absent so callers can skip with a message. Nothing is read at
import time.

Example::

    >>> d = datasets_dir()        # Path('.../shared/datasets') or None
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np

from recommender.interactions import Interactions
from tools.recsys.splits import Split, leave_last_out

REPO_ROOT = Path(__file__).resolve().parents[2]


def datasets_dir() -> Path | None:
    """The shared datasets folder, or ``None`` when this checkout has none."""
    env = os.environ.get("KEFU_DATASETS_DIR")
    path = Path(env) if env else (REPO_ROOT / ".." / "shared" / "datasets").resolve()
    return path if path.is_dir() else None


def recsys_file(name: str) -> Path | None:
    d = datasets_dir()
    p = d / "recsys" / name if d else None
    return p if p is not None and p.is_file() else None


def _read_inter(path: Path) -> tuple[list[str], list[list[str]], list[str]]:
    users, hists, targets = [], [], []
    with path.open(encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            u, h, t = line.rstrip("\n").split("\t")
            users.append(u)
            hists.append(h.split())
            targets.append(t)
    return users, hists, targets


def games6k_titles(folder: Path) -> dict[str, str]:
    """Item id → title (HTML entities decoded)."""
    out = {}
    with (folder / "Games-6k.item").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            i, _, title = line.rstrip("\n").partition("\t")
            out[i] = html.unescape(title)
    return out


def games6k_split(folder: Path, cold_share: float = 0.0, seed: int = 0) -> tuple[Split, dict[str, str], np.ndarray]:
    """The Games-6k next-item split, item texts, and a boolean (n_items,) mask of cold items.

    With ``cold_share > 0`` that share of items (seeded) is held out: every interaction with
    them leaves training, validation and the test histories; they stay rankable by text.
    """
    titles = games6k_titles(folder)
    item_ids = list(titles)
    imap = {i: n for n, i in enumerate(item_ids)}
    vu, vh, vt = _read_inter(folder / "Games-6k.valid.inter")
    tu, th, tt = _read_inter(folder / "Games-6k.test.inter")
    user_ids = vu
    umap = {u: n for n, u in enumerate(user_ids)}
    cold = np.zeros(len(item_ids), dtype=bool)
    if cold_share > 0:
        rng = np.random.default_rng(seed)
        cold[rng.choice(len(item_ids), int(round(cold_share * len(item_ids))), replace=False)] = True

    def build(users, hists) -> Interactions:
        uu, ii, tt_ = [], [], []
        for u, h in zip(users, hists):
            idx = [imap[x] for x in h if not cold[imap[x]]]
            uu.extend([umap[u]] * len(idx))
            ii.extend(idx)
            tt_.extend(range(len(idx)))
        n = len(uu)
        return Interactions(np.asarray(uu), np.asarray(ii), np.ones(n, np.float32), np.asarray(tt_, float),
                            user_ids, item_ids)

    train = build(vu, vh)
    keep_v = [not cold[imap[t]] for t in vt]
    valid = Interactions(
        np.asarray([umap[u] for u, k in zip(vu, keep_v) if k]), np.asarray([imap[t] for t, k in zip(vt, keep_v) if k]),
        np.ones(sum(keep_v), np.float32), np.full(sum(keep_v), 1e9), user_ids, item_ids,
    )
    history = build(tu, th)
    test_users = np.asarray([umap[u] for u in tu])
    relevant = [{imap[t]} for t in tt]
    split = Split(train=train, valid=valid, history=history, test_users=test_users, relevant=relevant)
    return split, titles, cold


def beauty_split(path: Path) -> Split:
    """Leave-last-out on ``user item item ...`` lines (positions are the timestamps)."""
    records = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            records.extend((parts[0], it, t) for t, it in enumerate(parts[1:]))
    return leave_last_out(Interactions.from_records(records))


def games6k_ratings_split(folder: Path, seed: int = 42) -> tuple[Split, dict[str, str]]:
    """Games-6k as ratings-style data: stratified 75/25 per user over each full history."""
    from tools.recsys.splits import stratified_split

    titles = games6k_titles(folder)
    tu, th, tt = _read_inter(folder / "Games-6k.test.inter")
    records = [(u, i, t) for u, h, last in zip(tu, th, tt) for t, i in enumerate(dict.fromkeys([*h, last]))]
    inter = Interactions.from_records(records, item_ids=list(titles))
    return stratified_split(inter, 0.75, "user", seed), titles
