"""A sentence-transformers folder of the plain kind (Transformer → mean Pooling → Normalize), run
with transformers alone: the same weights, tokenizer and pooling, without importing
sentence-transformers (≈ 2,400 modules and several CPU-seconds at start-up).

:func:`plain_pipeline` says whether a local folder is of that kind (its ``modules.json``,
``sentence_bert_config.json`` and pooling config); :class:`PlainEncoder` then mirrors
``SentenceTransformer.encode(..., normalize_embeddings=True, convert_to_numpy=True)``:
whitespace-stripped texts, truncated to the folder's ``max_seq_length``, batches sorted by length,
mean of the token vectors under the attention mask, unit length. Any other folder (or a hub id)
keeps loading through sentence-transformers (:class:`knowledge.embedder.SentenceTransformerEmbedder`).
"""

from __future__ import annotations

import json
from pathlib import Path

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_OTHER_POOLINGS = ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")


def _read(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def plain_pipeline(folder: str | Path) -> dict | None:
    """``{"max_seq_length": n, "do_lower_case": bool, "dimension": d}`` when ``folder`` is a local
    sentence-transformers model made of a Transformer at its root, mean pooling and (optionally)
    Normalize, with nothing else; None otherwise."""
    folder = Path(folder)
    modules = _read(folder / "modules.json") if folder.is_dir() else None
    if not isinstance(modules, list) or not modules:
        return None
    kinds = [m.get("type") for m in modules]
    if kinds not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]) or modules[0].get("path"):
        return None
    pooling = _read(folder / (modules[1].get("path") or "") / "config.json")
    config = _read(folder / "sentence_bert_config.json") or {}
    if not isinstance(pooling, dict) or not pooling.get("pooling_mode_mean_tokens"):
        return None
    if any(pooling.get(k) for k in _OTHER_POOLINGS) or set(config) - {"max_seq_length", "do_lower_case"}:
        return None
    if not (folder / "config.json").is_file():
        return None
    return {"max_seq_length": config.get("max_seq_length"), "do_lower_case": bool(config.get("do_lower_case")),
            "dimension": int(pooling["word_embedding_dimension"])}


class PlainEncoder:
    """The folder's transformer + mean pooling; ``encode`` as sentence-transformers' (see module doc)."""

    def __init__(self, folder: str | Path, pipeline: dict, device: str = "cpu"):
        import torch  # noqa: F401 - transformers' models need it
        from transformers import AutoModel, AutoTokenizer

        self.folder = str(folder)
        self.device = device
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.folder, local_files_only=True).to(device).eval()
        limit = pipeline.get("max_seq_length")
        model_limit = getattr(self.model.config, "max_position_embeddings", None) or limit
        self.max_seq_length = min(limit or model_limit, model_limit)
        self.do_lower_case = pipeline["do_lower_case"]
        self.dimension = pipeline["dimension"]

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = True,
               convert_to_numpy: bool = True, show_progress_bar: bool = False):
        import numpy as np
        import torch

        texts = [str(t).strip() for t in texts]
        if self.do_lower_case:
            texts = [t.lower() for t in texts]
        out = np.zeros((len(texts), self.dimension), dtype="float32")
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # as sentence-transformers
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s : s + batch_size]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation="longest_first",
                                     max_length=self.max_seq_length, return_tensors="pt").to(self.device)
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()
        return out
