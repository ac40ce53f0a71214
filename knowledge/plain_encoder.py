"""A sentence-transformers folder of the plain kind (Transformer → mean Pooling → Normalize), run
without sentence-transformers (≈ 2,400 modules and several CPU-seconds at start-up): the same
weights, tokenizer and pooling. A BERT folder (the bundled all-MiniLM-L6-v2) runs on numpy and
the ``tokenizers`` library alone (:func:`load_bert`: transformers' ``BertModel`` forward,
``tokenizer.json`` as its fast tokenizer runs it), which saves importing transformers (≈ 3 more
CPU-seconds) and torch (≈ 1.2) before the first answer; any other architecture loads through
transformers' ``AutoModel`` on torch.

:func:`plain_pipeline` says whether a local folder is of that kind (its ``modules.json``,
``sentence_bert_config.json`` and pooling config); :class:`PlainEncoder` then mirrors
``SentenceTransformer.encode(..., normalize_embeddings=True, convert_to_numpy=True)``:
whitespace-stripped texts, truncated to the folder's ``max_seq_length``, batches sorted by length,
mean of the token vectors under the attention mask, unit length. Any other folder (or a hub id)
keeps loading through sentence-transformers (:class:`knowledge.embedder.SentenceTransformerEmbedder`).
"""

from __future__ import annotations

import json
import threading
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
        self.folder = str(folder)
        self.device = device
        if device in (None, "cpu") and plain_bert_supported(folder):
            self.tokenizer, model = load_bert(folder)
            model_limit = model.max_position_embeddings
        else:
            import torch  # noqa: F401 - transformers' models need it
            from transformers import AutoModel, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
            model = AutoModel.from_pretrained(self.folder, local_files_only=True)
            model_limit = getattr(model.config, "max_position_embeddings", None)
        self.model = model.to(device).eval()
        limit = pipeline.get("max_seq_length")
        model_limit = model_limit or limit
        self.max_seq_length = min(limit or model_limit, model_limit)
        self.do_lower_case = pipeline["do_lower_case"]
        self.dimension = pipeline["dimension"]

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = True,
               convert_to_numpy: bool = True, show_progress_bar: bool = False):
        import numpy as np

        texts = [str(t).strip() for t in texts]
        if self.do_lower_case:
            texts = [t.lower() for t in texts]
        out = np.zeros((len(texts), self.dimension), dtype="float32")
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # as sentence-transformers
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            out[idx] = self._pooled([texts[i] for i in idx], normalize_embeddings)
        return out

    def _pooled(self, texts: list[str], normalize: bool):
        """Mean of the token vectors under the mask (unit length if ``normalize``), as numpy."""
        import numpy as np

        if isinstance(self.model, NumpyBert):
            enc = self.tokenizer(texts, max_length=self.max_seq_length, return_tensors="np")
            hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"][..., None].astype(hidden.dtype)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            if normalize:
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            return pooled
        import torch

        with torch.inference_mode():
            enc = self.tokenizer(texts, padding=True, truncation="longest_first",
                                 max_length=self.max_seq_length, return_tensors="pt")
            enc = {k: v.to(self.device) for k, v in enc.items()}
            hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            return pooled.float().cpu().numpy()


# -- BERT on numpy alone (no torch or transformers import) ------------------------------------
class FastTokenizer:
    """A folder's ``tokenizer.json`` through the ``tokenizers`` library (what transformers' fast
    tokenizers run), called like a transformers tokenizer for what Kefu asks of one:
    ``tok(texts, max_length=n, return_tensors="np" | "pt")`` → ``{"input_ids", "attention_mask",
    "token_type_ids"}`` (int64 numpy arrays or torch tensors, right-padded to the batch's longest, truncated to ``max_length``,
    special tokens added) and ``tok(text, add_special_tokens=False)["input_ids"]`` (lists, no
    padding; a list for each text of a list).
    Thread-safe: the truncation and padding are set per ``max_length`` on a copy of its own."""

    def __init__(self, path: str | Path):
        from tokenizers import Tokenizer

        self.path = str(path)
        self._base = Tokenizer.from_file(self.path)
        self._base.no_truncation()
        self._base.no_padding()
        self._configured: dict[int | None, object] = {}
        added = json.loads(Path(path).read_text(encoding="utf-8")).get("padding") or {}
        config = _read(Path(path).with_name("tokenizer_config.json")) or {}
        pad = config.get("pad_token")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        self.pad_token = pad or added.get("pad_token")
        self.pad_token_id = self._base.token_to_id(self.pad_token) if self.pad_token else None
        self._lock = threading.Lock()

    def _for(self, max_length: int | None, pad: bool):
        key = (max_length, pad)
        tok = self._configured.get(key)
        if tok is None:
            with self._lock:
                tok = self._configured.get(key)
                if tok is None:
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_str(self._base.to_str())
                    if max_length:
                        tok.enable_truncation(max_length)
                    if pad:
                        tok.enable_padding(pad_id=self.pad_token_id or 0, pad_token=self.pad_token or "[PAD]")
                    self._configured[key] = tok
        return tok

    def __call__(self, texts, add_special_tokens: bool = True, max_length: int | None = None,
                 return_tensors: str | None = None, **_ignored):
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        tensors = return_tensors in ("pt", "np")
        encs = self._for(max_length, tensors).encode_batch(batch, add_special_tokens=add_special_tokens)
        if not tensors:
            ids = [e.ids for e in encs]
            return {"input_ids": ids[0] if single else ids}
        if return_tensors == "np":
            import numpy as np

            return {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                    "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}
        import torch

        return {"input_ids": torch.tensor([e.ids for e in encs], dtype=torch.long),
                "attention_mask": torch.tensor([e.attention_mask for e in encs], dtype=torch.long),
                "token_type_ids": torch.tensor([e.type_ids for e in encs], dtype=torch.long)}


def plain_bert_supported(folder: str | Path) -> bool:
    """Whether :func:`load_bert` runs the folder's model: a BERT encoder (absolute positions,
    GELU) in ``model.safetensors`` with a ``tokenizer.json``."""
    folder = Path(folder)
    config = _read(folder / "config.json")
    return (isinstance(config, dict) and config.get("model_type") == "bert"
            and config.get("hidden_act", "gelu") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and not config.get("is_decoder") and (folder / "model.safetensors").is_file()
            and (folder / "tokenizer.json").is_file())


def load_bert(folder: str | Path):
    """``(tokenizer, model)`` of a BERT folder (:func:`plain_bert_supported`): the same forward
    as transformers' ``BertModel`` (``model(input_ids, attention_mask, token_type_ids)
    .last_hidden_state``, parameters named as there), on numpy and safetensors alone."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    state = load_file(str(folder / "model.safetensors"))
    state = {k[5:] if k.startswith("bert.") else k: v for k, v in state.items()}
    missing = [k for k in NumpyBert.parameter_names(config) if k not in state]
    if missing:
        raise ValueError(f"{folder}/model.safetensors lacks {missing[:3]}")
    return FastTokenizer(folder / "tokenizer.json"), NumpyBert(config, state)


class BertOutput:
    def __init__(self, last_hidden_state):
        self.last_hidden_state = last_hidden_state


class NumpyBert:
    """transformers' ``BertModel`` forward (absolute positions, exact GELU, post-LayerNorm) on numpy
    (and scipy's ``erf``):
    the encoder Kefu runs before the first answer without importing torch (≈ 1.2 CPU-s).
    ``params`` maps transformers' parameter names (``encoder.layer.0.attention.self.query.weight``…)
    to float32 arrays; :meth:`named_parameters` yields them for in-place edits (adapters)."""

    LINEARS = ("attention.self.query", "attention.self.key", "attention.self.value",
               "attention.output.dense", "intermediate.dense", "output.dense")
    NORMS = ("attention.output.LayerNorm", "output.LayerNorm")

    def __init__(self, config: dict, state: dict):
        import numpy as np

        self.config = config
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.heads = int(config["num_attention_heads"])
        self.params = {k: np.array(state[k], dtype=np.float32) for k in self.parameter_names(config)}

    @staticmethod
    def parameter_names(config: dict) -> list[str]:
        names = [f"embeddings.{e}.weight" for e in ("word_embeddings", "position_embeddings", "token_type_embeddings")]
        names += ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
        for i in range(int(config["num_hidden_layers"])):
            for part in (*NumpyBert.LINEARS, *NumpyBert.NORMS):
                names += [f"encoder.layer.{i}.{part}.weight", f"encoder.layer.{i}.{part}.bias"]
        return names

    @property
    def max_position_embeddings(self) -> int:
        return int(self.config["max_position_embeddings"])

    def named_parameters(self):
        return iter(self.params.items())

    def eval(self):  # what callers of a torch module say; nothing to switch here
        return self

    def to(self, device: str):
        if device not in (None, "cpu"):
            raise ValueError(f"the numpy BERT runs on the CPU only, not {device!r}")
        return self

    def _norm(self, x, name: str):
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = np.square(x - mean).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.params[name + ".weight"] + self.params[name + ".bias"]

    def _linear(self, x, name: str):
        w = self.params[name + ".weight"]
        y = x.reshape(-1, x.shape[-1]) @ w.T  # one GEMM for the whole batch
        y += self.params[name + ".bias"]
        return y.reshape(*x.shape[:-1], w.shape[0])

    def __call__(self, input_ids, attention_mask=None, token_type_ids=None):
        import numpy as np
        from scipy.special import erf

        p = self.params
        ids = np.asarray(input_ids)
        b, t = ids.shape
        types = np.zeros_like(ids) if token_type_ids is None else np.asarray(token_type_ids)
        x = (p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][:t]
             + p["embeddings.token_type_embeddings.weight"][types])
        x = self._norm(x, "embeddings.LayerNorm")
        h = x.shape[-1]
        d = h // self.heads
        bias = None
        if attention_mask is not None:  # added to the scores, as transformers' eager and sdpa paths
            keep = np.asarray(attention_mask).astype(bool)[:, None, None, :]
            bias = np.where(keep, np.float32(0), np.float32(-1e30)).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(d))
        for i in range(int(self.config["num_hidden_layers"])):
            pre = f"encoder.layer.{i}."

            def heads(name, x=x, pre=pre):
                return self._linear(x, pre + name).reshape(b, t, self.heads, d).transpose(0, 2, 1, 3)

            q, k, v = heads("attention.self.query"), heads("attention.self.key"), heads("attention.self.value")
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale
            if bias is not None:
                scores = scores + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, t, h)
            x = self._norm(self._linear(ctx, pre + "attention.output.dense") + x, pre + "attention.output.LayerNorm")
            inner = self._linear(x, pre + "intermediate.dense")
            inner *= np.float32(0.5) * (np.float32(1.0) + erf(inner * np.float32(1 / np.sqrt(2))))  # exact GELU
            x = self._norm(self._linear(inner, pre + "output.dense") + x, pre + "output.LayerNorm")
        return BertOutput(x.astype(np.float32, copy=False))
