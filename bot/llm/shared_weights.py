"""One copy per process of a local model folder's weights.

With ``KEFU_LLM=transformers``, the chat LLM (:mod:`bot.llm.hf`) and the English sentiment model
(:mod:`bot.sentiment.smollm2`) both run the bundled SmolLM2-135M from the same dequantised folder
(the default llama.cpp backend reads the GGUF itself and shares nothing with torch).
Each loads the weights its own way (transformers' ``from_pretrained``; safetensors plus a small
Llama of our own), so without sharing the process holds two fp32 copies (~0.54 GB each). Every
loader of a folder passes the tensors it is about to use through :func:`share`, which hands
back the ones an earlier loader of that folder already holds; the duplicates are then freed.

Only tensors the loader uses unchanged should be shared (the sentiment model merges its LoRA
deltas into its top layers, so it shares everything but those). Held tensors are never written
to: both users run inference only.
"""

from __future__ import annotations

import threading
from pathlib import Path

_LOCK = threading.Lock()
_HELD: dict[str, dict] = {}  # resolved folder → {tensor name: tensor}


def share(folder: str | Path, tensors: dict) -> dict:
    """``tensors`` (name → tensor, as read from ``folder``), with each one that an earlier
    loader of ``folder`` holds under the same name, shape and dtype swapped for the held one;
    the others are held from now on. Returns a new dict; ``tensors`` is not changed."""
    key = str(Path(folder).resolve())
    with _LOCK:
        held = _HELD.setdefault(key, {})
        out = {}
        for name, tensor in tensors.items():
            mine = held.get(name)
            if mine is None or mine.shape != tensor.shape or mine.dtype != tensor.dtype:
                held[name] = mine = tensor
            out[name] = mine
        return out


def adopt(model, folder: str | Path) -> int:
    """Point ``model``'s parameters at the copies already held for ``folder`` (and hold the
    rest); returns how many parameters now share memory with another loader's."""
    params = dict(model.named_parameters())  # tied weights (lm_head ↔ embeddings) appear once
    held = share(folder, {name: p.data for name, p in params.items()})
    swapped = 0
    for name, p in params.items():
        if held[name].data_ptr() != p.data.data_ptr():
            p.data = held[name]
            swapped += 1
    return swapped


def forget(folder: str | Path | None = None) -> None:
    """Drop what is held for ``folder`` (every folder when None); users keep their tensors."""
    with _LOCK:
        if folder is None:
            _HELD.clear()
        else:
            _HELD.pop(str(Path(folder).resolve()), None)
