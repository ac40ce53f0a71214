"""Training the SmolLM2 English adapter (:mod:`bot.sentiment.smollm2`, spec ``bundled``).

The top ``30 − CUT`` = 8 layers get LoRA (rank ``RANK`` on q/k/v/o and the three MLP
matrices), trained with cross-entropy over the two label-word scores (a logistic loss on z);
the lower ``CUT`` layers stay frozen, so training runs them once per sentence and caches their
output. A Platt scaling ``sigmoid(a·z + b)`` fitted on a held-back 10% of the training
sentences (plus a temperature over it, ≈ 1) calibrates P(positive). The configurations tried
before settling on these: docs/sentiment-experiments.md.
"""

from __future__ import annotations

import json
import time

import numpy as np

from bot.sentiment.llama import stack_class
from bot.sentiment.smollm2 import (
    BASE_NAME,
    MAX_SENTENCE_TOKENS,
    PROMPT,
    base_folder,
    label_ids,
    load_base,
    pad_ids,
    prompt_parts,
)
from tools.sentiment.training import fit_platt, fit_temperature, train_jobs, train_logistic

CUT = 22          # layers 0..CUT-1 frozen (their output is cached during training)
RANK = 8
EPOCHS = 2
LR = 5e-4
BATCH = 16
SEED = 0
CALIBRATION_FRACTION = 0.1
MEMBERS = ("lora",)  # "zero_shot" (the frozen top layers) can be averaged in; it did not help


def pad_states(states: list):
    """Right-padded (B, T, d) hidden states and the lengths (B,)."""
    import torch

    t = max(len(x) for x in states)
    h = torch.zeros(len(states), t, states[0].shape[1])
    for i, x in enumerate(states):
        h[i, : len(x)] = x
    return h, torch.tensor([len(x) for x in states])


def encode_lower(texts: list[str], base: tuple, cut: int = CUT, prompt: str = PROMPT,
                 batch_size: int = 32, zero_shot: bool = True) -> tuple[list, np.ndarray]:
    """Full prompts through the frozen layers 0..cut-1: one (T_i, d) tensor per text (the
    states entering layer ``cut``), and each text's zero-shot score z through the frozen top
    layers (zeros when ``zero_shot`` is false)."""
    import torch

    tok, sd, cfg = base
    Stack = stack_class()
    lower = Stack(sd, cfg, 0, cut).eval()
    upper = Stack(sd, cfg, cut, cfg["num_hidden_layers"], labels=label_ids(tok)).eval() if zero_shot else None
    embed = sd["model.embed_tokens.weight"]
    pre, rest = prompt_parts(tok, texts, prompt)
    ids = [pre + r for r in rest]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    states, z = [None] * len(ids), np.zeros(len(ids))
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            x, n = pad_ids([ids[i] for i in idx], tok.pad_token_id or 0)
            h = lower(embed[x])
            if upper is not None:
                z[idx] = upper(h, n).numpy()
            for j, i in enumerate(idx):
                states[i] = h[j, : n[j]].clone()
    return states, z


def _predict(top, states: list, idx_list: list[int]) -> np.ndarray:
    """The trained top layers' z for ``states[idx_list]``, in batches of 64 sorted by length."""
    import torch

    top.eval()
    srt = sorted(idx_list, key=lambda k: len(states[k]))
    out = {}
    with torch.no_grad():
        for s in range(0, len(srt), 64):
            idx = srt[s : s + 64]
            z = top(*pad_states([states[i] for i in idx])).numpy()
            out.update(zip(idx, z))
    return np.array([out[int(i)] for i in idx_list])


def _calibrate(z: dict, zero_shot: np.ndarray, labels: np.ndarray, cal: np.ndarray,
               members: tuple[str, ...], log) -> tuple[dict, float, dict]:
    """``(platt per member, temperature, calibration accuracies)`` on the held-back split."""
    y_cal = labels[cal].astype(np.float64)
    platt = {"lora": fit_platt(z["lora"], y_cal),
             # the zero-shot member learnt nothing from the training sentences: fit on all of them
             "zero_shot": fit_platt(zero_shot.astype(np.float64), labels.astype(np.float64))}
    platt = {m: platt[m] for m in members}
    combined = np.mean([platt[m][0] * z[m] + platt[m][1] for m in members], axis=0)
    temperature = fit_temperature(combined, y_cal)
    acc = {m: float(((platt[m][0] * z[m] + platt[m][1] > 0) == labels[cal]).mean()) for m in members}
    acc["combined"] = float(((combined > 0) == labels[cal]).mean())
    log(f"  calibration split: n {len(cal)}, accuracy {json.dumps(acc)}, temperature {temperature:.2f}")
    return platt, temperature, acc


def train_adapter(states: list, labels: np.ndarray, zero_shot: np.ndarray, base: tuple, *,
                  cut: int = CUT, rank: int = RANK, epochs: int = EPOCHS, lr: float = LR,
                  seed: int = SEED, prompt: str = PROMPT, members: tuple[str, ...] = MEMBERS,
                  log=print) -> tuple[dict, dict]:
    """Train the LoRA top layers on cached states; returns (tensors, metadata) to save."""
    import torch

    tok, sd, cfg = base
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    n_layers = cfg["num_hidden_layers"]
    top = stack_class()(sd, cfg, cut, n_layers, rank=rank, labels=label_ids(tok))
    cal, _, t0 = train_logistic(
        top, lambda idx: top(*pad_states([states[i] for i in idx])), [len(x) for x in states], labels,
        n_cal=max(1, round(len(states) * CALIBRATION_FRACTION)), lr=lr, epochs=epochs, batch=BATCH,
        seed=seed, gen=gen, log=log)
    z = {"lora": _predict(top, states, [int(i) for i in cal]), "zero_shot": zero_shot[cal]}
    platt, temperature, acc = _calibrate(z, zero_shot, labels, cal, members, log)
    tensors = {}
    for layer_id, layer in zip(range(cut, n_layers), top.layers):
        for short, lin in layer.lin.items():
            tensors[f"{layer_id}.{short}.A"] = lin.A.detach().to(torch.float16).clone()
            tensors[f"{layer_id}.{short}.B"] = lin.B.detach().to(torch.float16).clone()
    meta = {
        "base": BASE_NAME, "prompt": prompt, "max_tokens": str(MAX_SENTENCE_TOKENS),
        "cut": str(cut), "rank": str(rank), "epochs": str(epochs), "lr": str(lr), "seed": str(seed),
        "members": json.dumps(list(members)), "platt": json.dumps(platt),
        "temperature": f"{temperature:.6f}", "calibration_accuracy": json.dumps(acc),
        "train_seconds": f"{time.time() - t0:.1f}",
    }
    return tensors, meta


def train_smollm2(data: dict, jobs: dict) -> None:
    """The SmolLM2 adapters, as :func:`tools.sentiment.train_minilm.train_minilm`: the lower
    layers run once per sentence for all jobs."""
    t0 = time.time()
    base = load_base(base_folder())
    cached = {n: encode_lower(texts, base, zero_shot="zero_shot" in MEMBERS)
              for n, (texts, _) in data.items()}
    print(f"SmolLM2: encoded {sum(len(v[0]) for v in cached.values())} English sentences "
          f"through the frozen layers in {time.time() - t0:.0f}s")
    train_jobs("SmolLM2", data, jobs, lambda used: train_adapter(
        [h for n in used for h in cached[n][0]],
        np.concatenate([data[n][1] for n in used]),
        np.concatenate([cached[n][1] for n in used]),
        base,
    ))
