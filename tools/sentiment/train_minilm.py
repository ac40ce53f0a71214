"""Training the MiniLM English adapter (:mod:`bot.sentiment.minilm`, spec ``minilm``).

The top ``LAYERS`` transformer layers of all-MiniLM-L6-v2 get LoRA (rank ``RANK`` on the
query/key/value/output and both feed-forward matrices; biases and LayerNorms also trained)
and a linear head on the L2-normalised mean-pooled output:

- the frozen lower layers run once per sentence and their output is cached, so each epoch
  only runs the top layers (forward + backward);
- 10% of the training sentences (seeded) are held back to fit a temperature that calibrates
  P(positive); AdamW, one-cycle LR, ``EPOCHS`` epochs, batch 32, seed 0.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from bot.sentiment.base import detokenize
from bot.sentiment.minilm import HEAD_SCALE, LINEARS, MAX_LENGTH, NORMS, base_path
from tools.sentiment.training import fit_temperature, train_jobs, train_logistic

LAYERS = 2  # top transformer layers adapted
RANK = 8
EPOCHS = 3
LR = 1e-3
BATCH = 32
SEED = 0
CALIBRATION_FRACTION = 0.1


def top_class():
    """The trainable top-layer module class ``Top``, built lazily so importing loads no torch."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class LoRALinear(nn.Module):
        """y = x Wᵀ + b + (x Aᵀ) Bᵀ with W frozen; A (r, in) random, B (out, r) zero at start."""

        def __init__(self, weight, bias, rank: int):
            super().__init__()
            self.weight = nn.Parameter(weight.clone(), requires_grad=False)
            self.bias = nn.Parameter(bias.clone())
            self.A = nn.Parameter(torch.randn(rank, weight.shape[1]) / math.sqrt(weight.shape[1]))
            self.B = nn.Parameter(torch.zeros(weight.shape[0], rank))

        def forward(self, x):
            return F.linear(x, self.weight, self.bias) + (x @ self.A.t()) @ self.B.t()

    class Layer(nn.Module):
        """One BERT layer (post-LN, GELU, 12 heads) equal to transformers' BertLayer in eval."""

        def __init__(self, weights: dict, index: int, rank: int, heads: int = 12):
            super().__init__()
            p = f"encoder.layer.{index}."
            self.heads = heads
            self.lin = nn.ModuleDict({
                s: LoRALinear(weights[p + hf + ".weight"], weights[p + hf + ".bias"], rank)
                for s, hf in LINEARS.items()
            })
            self.norms = nn.ModuleDict()
            for s, hf in NORMS.items():
                ln = nn.LayerNorm(weights[p + hf + ".weight"].shape[0], eps=1e-12)
                ln.weight.data.copy_(weights[p + hf + ".weight"])
                ln.bias.data.copy_(weights[p + hf + ".bias"])
                self.norms[s] = ln
            self.drop = nn.Dropout(0.1)

        def forward(self, h, mask):  # h (B, T, d), mask (B, T) bool
            b, t, d = h.shape
            split = lambda x: x.view(b, t, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
            att = F.scaled_dot_product_attention(
                split(self.lin["q"](h)), split(self.lin["k"](h)), split(self.lin["v"](h)),
                attn_mask=mask[:, None, None, :],
            ).transpose(1, 2).reshape(b, t, d)
            h = self.norms["ln1"](h + self.drop(self.lin["o"](att)))
            return self.norms["ln2"](h + self.drop(self.lin["fo"](F.gelu(self.lin["fi"](h)))))

    class Top(nn.Module):
        """The adapted top layers + mean pooling + unit norm + linear head → logit (B,)."""

        def __init__(self, weights: dict, layers: list[int], rank: int):
            super().__init__()
            self.layer_ids = layers
            self.layers = nn.ModuleList([Layer(weights, i, rank) for i in layers])
            self.head = nn.Linear(weights["embeddings.LayerNorm.weight"].shape[0], 1)

        def forward(self, h, mask):
            for layer in self.layers:
                h = layer(h, mask)
            m = mask.unsqueeze(-1).float()
            pooled = F.normalize((h * m).sum(1) / m.sum(1), dim=-1)
            return HEAD_SCALE * self.head(pooled).squeeze(-1)

    return Top


def encode_lower(texts: list[str], layers: int = LAYERS, batch_size: int = 64) -> list:
    """Hidden states entering the top ``layers`` layers: one (T_i, 384) tensor per text."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    base = base_path()
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModel.from_pretrained(base, local_files_only=True).eval()
    cut = model.config.num_hidden_layers - layers
    out = []
    with torch.inference_mode():
        for s in range(0, len(texts), batch_size):
            enc = tokenizer([detokenize(t) for t in texts[s : s + batch_size]], padding=True, truncation=True,
                            max_length=MAX_LENGTH, return_tensors="pt")
            hidden = model(**enc, output_hidden_states=True).hidden_states[cut]
            for j, n in enumerate(enc["attention_mask"].sum(1).tolist()):
                out.append(hidden[j, :n].clone())
    return out


def pad(seqs: list):
    """Right-padded (B, T, d) states and the (B, T) bool mask of real tokens."""
    import torch

    t = max(len(x) for x in seqs)
    h = torch.zeros(len(seqs), t, seqs[0].shape[1])
    mask = torch.zeros(len(seqs), t, dtype=torch.bool)
    for i, x in enumerate(seqs):
        h[i, : len(x)] = x
        mask[i, : len(x)] = True
    return h, mask


def _adapter_tensors(top) -> dict:
    """What ships: the head, and per adapted layer the LoRA factors, biases and LayerNorms."""
    tensors = {"head.weight": top.head.weight.detach()[0].clone(),
               "head.bias": top.head.bias.detach().clone()}
    for layer_id, layer in zip(top.layer_ids, top.layers):
        for short, lin in layer.lin.items():
            tensors[f"{layer_id}.{short}.A"] = lin.A.detach().clone()
            tensors[f"{layer_id}.{short}.B"] = lin.B.detach().clone()
            tensors[f"{layer_id}.{short}.bias"] = lin.bias.detach().clone()
        for short, ln in layer.norms.items():
            tensors[f"{layer_id}.{short}.weight"] = ln.weight.detach().clone()
            tensors[f"{layer_id}.{short}.bias"] = ln.bias.detach().clone()
    return tensors


def train_adapter(hidden: list, labels: np.ndarray, *, layers: int = LAYERS, rank: int = RANK,
                  epochs: int = EPOCHS, seed: int = SEED, log=print) -> tuple[dict, dict]:
    """Train the adapter on cached lower-layer states; returns (tensors, metadata) to save."""
    import torch
    from safetensors.torch import load_file

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    weights = load_file(str(base_path() / "model.safetensors"))
    n_layers = 1 + max(int(k.split(".")[2]) for k in weights if k.startswith("encoder.layer."))
    top = top_class()(weights, list(range(n_layers - layers, n_layers)), rank)

    cal, _, t0 = train_logistic(
        top, lambda idx: top(*pad([hidden[i] for i in idx])), [len(x) for x in hidden], labels,
        n_cal=int(round(len(hidden) * CALIBRATION_FRACTION)), lr=LR, epochs=epochs, batch=BATCH,
        seed=seed, gen=gen, log=log)

    top.eval()
    with torch.no_grad():
        cal_logits = np.concatenate([
            top(*pad([hidden[int(i)] for i in cal[s : s + 64]])).numpy()
            for s in range(0, len(cal), 64)
        ])
    temperature = fit_temperature(cal_logits, labels[cal].astype(np.float64))
    cal_acc = float(((cal_logits > 0) == labels[cal]).mean())
    log(f"  calibration split: n {len(cal)}, accuracy {cal_acc:.3f}, temperature {temperature:.2f}")
    meta = {
        "layers": json.dumps(top.layer_ids), "rank": str(rank), "epochs": str(epochs),
        "seed": str(seed), "temperature": f"{temperature:.6f}",
        "calibration_accuracy": f"{cal_acc:.4f}", "base": "all-MiniLM-L6-v2",
        "train_seconds": f"{time.time() - t0:.1f}",
    }
    return _adapter_tensors(top), meta


def train_minilm(data: dict, jobs: dict) -> None:
    """The MiniLM adapters: ``data`` maps file names → (texts, labels), ``jobs`` excluded
    file names → output path; the frozen layers run once for all jobs."""
    t0 = time.time()
    hidden = {n: encode_lower(texts) for n, (texts, _) in data.items()}
    print(f"MiniLM: encoded {sum(len(v) for v in hidden.values())} English sentences "
          f"through the frozen layers in {time.time() - t0:.0f}s")
    train_jobs("MiniLM", data, jobs, lambda used: train_adapter(
        [h for n in used for h in hidden[n]],
        np.concatenate([data[n][1] for n in used]),
    ))
