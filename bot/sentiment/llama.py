"""The SmolLM2 (Llama) forward pass the sentiment model runs, as torch modules built lazily.

:func:`stack_class` returns ``Stack``: decoder layers ``first``..``last-1`` (optionally with
LoRA factors on every linear map, for training) and, when given the label words, the
classifier head that turns the last token's state into the label-word score z. It equals
transformers' ``LlamaForCausalLM`` on right-padded batches (checked in
tests/test_sentiment_llm.py); the classes are built inside functions so that importing this
module loads no torch.
"""

from __future__ import annotations

import math

# our short name -> the HF parameter name inside one Llama layer
LINEARS = {
    "q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj",
    "o": "self_attn.o_proj", "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj",
}


def _norm_and_linear():
    """``(RMSNorm, Linear)`` module classes."""
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

    return RMSNorm, Linear


def _layer_class(RMSNorm, Linear):  # noqa: N803 (classes)
    """The ``Layer`` module class: one Llama decoder layer."""
    import torch
    import torch.nn.functional as F
    from torch import nn

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

    return Layer


def stack_class():
    """The ``Stack`` module class (see the module docstring)."""
    import torch
    from torch import nn

    RMSNorm, Linear = _norm_and_linear()
    Layer = _layer_class(RMSNorm, Linear)

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
