"""A sentence-transformers folder of the plain kind (Transformer → mean Pooling → Normalize), run
without sentence-transformers (≈ 2,400 modules and several CPU-seconds at start-up): the same
weights, tokenizer and pooling. A BERT folder (the bundled all-MiniLM-L6-v2) runs on torch and
the ``tokenizers`` library alone (:func:`load_bert`: transformers' ``BertModel`` forward,
``tokenizer.json`` as its fast tokenizer runs it), which saves importing transformers too
(≈ 3 more CPU-seconds); any other architecture loads through transformers' ``AutoModel``.

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
        if torch_bert_supported(folder):
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
                                     max_length=self.max_seq_length, return_tensors="pt")
                enc = {k: v.to(self.device) for k, v in enc.items()}
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()
        return out


# -- BERT on torch alone (no transformers import) ----------------------------------------------
class FastTokenizer:
    """A folder's ``tokenizer.json`` through the ``tokenizers`` library (what transformers' fast
    tokenizers run), called like a transformers tokenizer for what Kefu asks of one:
    ``tok(texts, max_length=n, return_tensors="pt")`` → ``{"input_ids", "attention_mask",
    "token_type_ids"}`` (torch, right-padded to the batch's longest, truncated to ``max_length``,
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
        tensors = return_tensors == "pt"
        encs = self._for(max_length, tensors).encode_batch(batch, add_special_tokens=add_special_tokens)
        if not tensors:
            ids = [e.ids for e in encs]
            return {"input_ids": ids[0] if single else ids}
        import torch

        return {"input_ids": torch.tensor([e.ids for e in encs], dtype=torch.long),
                "attention_mask": torch.tensor([e.attention_mask for e in encs], dtype=torch.long),
                "token_type_ids": torch.tensor([e.type_ids for e in encs], dtype=torch.long)}


def torch_bert_supported(folder: str | Path) -> bool:
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
    """``(tokenizer, model)`` of a BERT folder (:func:`torch_bert_supported`): the same forward
    as transformers' ``BertModel`` (``model(input_ids, attention_mask, token_type_ids)
    .last_hidden_state``, parameters named as there), on torch and safetensors alone."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = _bert_class()(config)
    state = load_file(str(folder / "model.safetensors"))
    state = {k[5:] if k.startswith("bert.") else k: v for k, v in state.items()}
    wanted = dict(model.named_parameters())
    missing = [k for k in wanted if k not in state]
    if missing:
        raise ValueError(f"{folder}/model.safetensors lacks {missing[:3]}")
    model.load_state_dict({k: state[k] for k in wanted}, strict=False, assign=True)
    return FastTokenizer(folder / "tokenizer.json"), model.eval()


def _bert_class():
    """The ``torch.nn.Module`` class (built here so that importing this module does not import torch)."""
    global _BERT
    if _BERT is not None:
        return _BERT
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Layer(nn.Module):
        def __init__(self, h: int, inner: int, heads: int, eps: float):
            super().__init__()
            self.heads = heads
            self.attention = nn.Module()
            self.attention.self = nn.Module()
            for name in ("query", "key", "value"):
                setattr(self.attention.self, name, nn.Linear(h, h))
            self.attention.output = nn.Module()
            self.attention.output.dense = nn.Linear(h, h)
            self.attention.output.LayerNorm = nn.LayerNorm(h, eps=eps)
            self.intermediate = nn.Module()
            self.intermediate.dense = nn.Linear(h, inner)
            self.output = nn.Module()
            self.output.dense = nn.Linear(inner, h)
            self.output.LayerNorm = nn.LayerNorm(h, eps=eps)

        def forward(self, x, mask):
            b, t, h = x.shape
            att = self.attention.self

            def split(linear):
                return linear(x).view(b, t, self.heads, h // self.heads).transpose(1, 2)

            ctx = F.scaled_dot_product_attention(split(att.query), split(att.key), split(att.value), attn_mask=mask)
            ctx = ctx.transpose(1, 2).reshape(b, t, h)
            x = self.attention.output.LayerNorm(self.attention.output.dense(ctx) + x)
            inner = F.gelu(self.intermediate.dense(x))
            return self.output.LayerNorm(self.output.dense(inner) + x)

    class Output:
        def __init__(self, last_hidden_state):
            self.last_hidden_state = last_hidden_state

    class Bert(nn.Module):
        def __init__(self, config: dict):
            super().__init__()
            h, eps = config["hidden_size"], config.get("layer_norm_eps", 1e-12)
            self.config = config
            self.embeddings = nn.Module()
            self.embeddings.word_embeddings = nn.Embedding(config["vocab_size"], h)
            self.embeddings.position_embeddings = nn.Embedding(config["max_position_embeddings"], h)
            self.embeddings.token_type_embeddings = nn.Embedding(config.get("type_vocab_size", 2), h)
            self.embeddings.LayerNorm = nn.LayerNorm(h, eps=eps)
            self.encoder = nn.Module()
            self.encoder.layer = nn.ModuleList(
                Layer(h, config["intermediate_size"], config["num_attention_heads"], eps)
                for _ in range(config["num_hidden_layers"]))

        @property
        def max_position_embeddings(self) -> int:
            return int(self.config["max_position_embeddings"])

        def forward(self, input_ids, attention_mask=None, token_type_ids=None):
            e = self.embeddings
            t = input_ids.shape[1]
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(input_ids)
            x = (e.word_embeddings(input_ids) + e.position_embeddings.weight[:t]
                 + e.token_type_embeddings(token_type_ids))
            x = e.LayerNorm(x)
            mask = None
            if attention_mask is not None:  # added to the scores, as transformers' eager and sdpa paths
                keep = attention_mask[:, None, None, :].to(torch.bool)
                mask = torch.zeros(keep.shape, dtype=x.dtype).masked_fill(~keep, torch.finfo(x.dtype).min)
            for layer in self.encoder.layer:
                x = layer(x, mask)
            return Output(x)

    _BERT = Bert
    return Bert


_BERT = None
