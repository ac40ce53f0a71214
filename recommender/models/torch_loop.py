"""Shared machinery of the PyTorch models: device choice, seeding, optimiser steps, validation, early stopping.

``fit_loop`` runs epochs of mini-batch steps under a tqdm bar, scores the validation split
after each epoch (NDCG@20 of the held-out items, ranking all items minus the user's
training items, on up to ``max_users`` users), keeps the best weights and stops after
``patience`` epochs without improvement. Everything is vectorised per batch; the same code
runs on CUDA when ``torch.cuda.is_available()`` (device ``"auto"``).

Example::

    >>> pick_device("cpu")
    'cpu'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from recommender.interactions import Interactions

log = logging.getLogger(__name__)


def pick_device(pref: str = "auto") -> str:
    """``"cuda"`` when asked for or ``"auto"`` with a GPU present, else ``"cpu"``."""
    if pref and pref != "auto":
        return pref
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def seed_all(seed: int) -> None:
    """Seed numpy and torch (CPU and CUDA)."""
    import torch

    np.random.seed(seed)
    torch.manual_seed(seed)


def validation_ndcg(model, valid: Interactions, k: int = 20, max_users: int = 3000, seed: int = 0) -> float:
    """NDCG@k of ``model`` on ``valid`` (held-out events of training users), full ranking
    minus each user's training items; scored on a fixed random sample of ``max_users`` users."""
    from recommender.metrics import ndcg_at_k

    users = np.unique(valid.users)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    relevant: dict[int, set[int]] = {}
    for u, i in zip(valid.users, valid.items):
        relevant.setdefault(int(u), set()).add(int(i))
    ranked, rel = [], []
    for start in range(0, len(users), 1024):
        batch = users[start : start + 1024]
        prof = model.user_items[batch]
        scores = np.asarray(model.score(prof, users=batch), dtype=np.float32)
        rows, cols = prof.nonzero()
        scores[rows, cols] = -np.inf
        kk = min(k, scores.shape[1] - 1)
        top = np.argpartition(-scores, kk, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(scores, top, 1), axis=1)
        top = np.take_along_axis(top, order, 1)
        ranked.extend(top.tolist())
        rel.extend(relevant[int(u)] for u in batch)
    return ndcg_at_k(ranked, rel, k)


def fit_loop(
    step: Callable[[np.ndarray], float],
    n_examples: int,
    batch_size: int,
    epochs: int,
    validate: Callable[[], float] | None,
    snapshot: Callable[[], Any],
    restore: Callable[[Any], None],
    patience: int = 3,
    seed: int = 0,
    show_progress: bool = False,
    desc: str = "train",
) -> dict[str, Any]:
    """Run ``epochs`` passes of ``step(batch_example_indices) -> loss`` with early stopping on
    ``validate`` (the best epoch's weights are restored); without ``validate`` every epoch runs.

    Returns ``{"epochs": run, "best_epoch": …, "best_valid_ndcg@20": …, "seconds": …,
    "history": [[epoch, validation NDCG@20, seconds so far], …]}``.
    """
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    best, best_epoch, best_state, bad = -float("inf"), 0, None, 0
    t0, epoch = time.perf_counter(), 0
    n_batches = max(1, -(-n_examples // batch_size))
    bar = tqdm(total=epochs * n_batches, desc=desc, disable=not show_progress, leave=False)
    history: list[list[float]] = []  # [epoch, validation NDCG@20, seconds so far] per validated epoch
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(n_examples)
        total = 0.0
        for b in range(n_batches):
            total += step(perm[b * batch_size : (b + 1) * batch_size])
            bar.update(1)
        if validate is None:  # nothing to stop on: run the epochs asked for (a refit on chosen epochs)
            bar.set_postfix(loss=f"{total / n_batches:.4f}")
            best_epoch = epoch
            continue
        score = validate()
        history.append([epoch, float(score), round(time.perf_counter() - t0, 1)])
        log.debug("%s epoch %d: loss %.4f, validation NDCG@20 %.4f", desc, epoch, total / n_batches, score)
        bar.set_postfix(loss=f"{total / n_batches:.4f}", valid=f"{score:.4f}")
        if score > best:
            best, best_epoch, best_state, bad = score, epoch, snapshot(), 0
        else:
            bad += 1
            if bad >= patience:
                break
    bar.close()
    if best_state is not None:
        restore(best_state)
    return {
        "epochs": epoch, "best_epoch": best_epoch,
        "best_valid_ndcg@20": float(best) if validate is not None else None,
        "seconds": time.perf_counter() - t0, "history": history,
    }


def optimiser_step(opt, loss) -> float:
    """One gradient step of ``opt`` on ``loss``; returns the loss as a float."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


def prepare_torch(params: dict):
    """Seed, thread count and device for one training run; returns the device.

    ``params`` needs ``seed``, ``threads`` (0 = torch's default) and ``device`` ("auto" picks
    CUDA when present).
    """
    import torch

    seed_all(params["seed"])
    if params["threads"]:
        torch.set_num_threads(int(params["threads"]))
    return pick_device(params["device"])
