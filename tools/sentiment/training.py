"""What training both English adapters shares: the logistic training loop, calibration fits,
the per-job driver and saving.

Deterministic for a given torch build and thread count: the calibration split is a seeded
numpy permutation, batches come from a seeded torch generator.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np


def bucketed_batches(fit, lengths: list[int], batch: int, gen) -> list[list[int]]:
    """One epoch's batches of the example indices ``fit``, in a seeded random order: shuffle,
    sort by ``lengths`` within chunks of 8 batches (little padding), then shuffle the batches.

    >>> import torch
    >>> sorted(len(b) for b in bucketed_batches([0, 1, 2, 3, 4], [3, 1, 2, 5, 4], 2, torch.Generator()))
    [1, 2, 2]
    """
    import torch

    perm = [int(fit[i]) for i in torch.randperm(len(fit), generator=gen)]
    chunks = [sorted(perm[i : i + 8 * batch], key=lambda k: lengths[k]) for i in range(0, len(perm), 8 * batch)]
    batches = [c[i : i + batch] for c in chunks for i in range(0, len(c), batch)]
    return [batches[b] for b in torch.randperm(len(batches), generator=gen).tolist()]


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T minimising the log-loss of sigmoid(logit / T) (grid search, T in 0.25–20)."""
    best, best_t = math.inf, 1.0
    for t in np.exp(np.linspace(np.log(0.25), np.log(20.0), 200)):
        z = logits / t
        loss = float(np.mean(np.logaddexp(0, z) - labels * z))
        if loss < best:
            best, best_t = loss, float(t)
    return best_t


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) minimising the log-loss of sigmoid(a·z + b) (Newton steps, lightly regularised)."""
    a, b = 1.0, 0.0
    for _ in range(100):
        s = a * z + b
        p = 1.0 / (1.0 + np.exp(-s))
        g = np.array([np.mean((p - y) * z) + 1e-4 * a, np.mean(p - y)])
        w = p * (1 - p)
        hess = np.array([[np.mean(w * z * z) + 1e-4, np.mean(w * z)], [np.mean(w * z), np.mean(w) + 1e-9]])
        step = np.linalg.solve(hess, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(b)


def train_logistic(top, logits_of, lengths: list[int], labels: np.ndarray, *, n_cal: int, lr: float,
                   epochs: int, batch: int, seed: int, gen, log=print) -> tuple[np.ndarray, np.ndarray, float]:
    """The training loop both English adapters share: hold back ``n_cal`` sentences (seeded
    permutation) for calibration, then AdamW with a one-cycle schedule over length-bucketed
    batches of the rest, logistic loss on ``logits_of(batch indices)``. Returns
    ``(calibration indices, training indices, start time)``."""
    import torch
    import torch.nn.functional as F

    order = np.random.default_rng(seed).permutation(len(lengths))
    cal, fit = order[:n_cal], order[n_cal:]
    y = torch.tensor(labels, dtype=torch.float32)
    params = [p for p in top.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * math.ceil(len(fit) / batch),
                                                pct_start=0.1)
    t0 = time.time()
    for epoch in range(epochs):
        top.train()
        total = 0.0
        for idx in bucketed_batches(fit, lengths, batch, gen):
            loss = F.binary_cross_entropy_with_logits(logits_of(idx), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        log(f"  epoch {epoch + 1}/{epochs}: loss {total / len(fit):.4f} ({time.time() - t0:.0f}s)")
    return cal, fit, t0


def save_adapter(tensors: dict, meta: dict, path: Path) -> None:
    """An adapter file: safetensors (no pickle), string metadata."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=meta)


def train_jobs(model: str, data: dict, jobs: dict, fit) -> None:
    """Train and save one adapter per job: ``jobs`` maps excluded file names → output path,
    ``fit(used file names) -> (tensors, metadata)`` trains on the files not excluded."""
    for excluded, path in jobs.items():
        used = [n for n in data if n not in excluded]
        print(f"{model} English adapter on {'+'.join(used)} (excluded: {', '.join(excluded) or 'none'})")
        tensors, meta = fit(used)
        meta["trained_on"] = ",".join(used)
        save_adapter(tensors, meta, path)
        print(f"  wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
