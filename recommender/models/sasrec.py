"""SASRec (Kang & McAuley 2018): a causal self-attention model of the shopper's event sequence.

The shopper's last ``max_len`` items (oldest first) pass through ``layers`` pre-norm
Transformer blocks (causal attention, position embeddings counted from the most recent
event); the output at the last position scores every item by a dot product with the
(shared) item embeddings. Training is next-item prediction at every position of every
training sequence with **softmax cross-entropy** — over all items when there are at most
``full_softmax_max`` of them (50,000 by default: Beauty's 12k and Games-6k's 17k items
included; on CUDA: up to :data:`CUDA_FULL_SOFTMAX_MAX`), else over ``negatives`` uniformly
sampled items shared by the batch — which is what makes SASRec strong; the published
BCE-with-one-negative SASRec is much weaker on the Amazon sets (Beauty NDCG@10 0.0318
published; figures for this one in ``benchmarks.recsys_quality``). Epochs are chosen by
early stopping on the validation split (``fit_info["history"]`` keeps every epoch's score);
``lr`` 0.002 with batches of 256 (Games-6k: best epoch 11). Cost on one CPU core: the full
softmax is most of it (≈ 25 CPU-s an epoch on Beauty); ``full_softmax_max=0`` with 1024
shared negatives costs ≈ 18 CPU-s an epoch on Games-6k (17k items, validation included).

Order from profiles: like every Kefu model it scores CSR *profiles*, and profile weights
carry recency (the k-th most recent event weighs 0.5**(k/half_life), ``half_life`` 1 by
default), so the sequence is the profile's items by increasing weight. Fold-in of new events
is therefore exact, no user table is kept. With ``half_life=0`` there is no order to read
and the sequence degrades to a set (don't).

Neighbour term (:mod:`recommender.models.neighbours`): the served score is
``z(SASRec score) + α · z(item-kNN score)``, α chosen on validation (0 in the grid).
Reasons ("because you bought X"): the profile item whose embedding is closest to the
recommended item's (an approximation: attention does not split exactly).

Trade-off: the most accurate model on sequential data here, but it needs torch at serving
time and a fit costs epochs of Transformer passes (tens of seconds per epoch on Games-6k on
two cores); batches group sequences of similar length so padding costs little.

Example::

    >>> m = SASRecRecommender(factors=16, epochs=2, device="cpu")  # then m.fit(inter)
"""

from __future__ import annotations

import numpy as np

from recommender.interactions import Interactions
from recommender.models.base import Recommender
from recommender.models.neighbours import NEIGHBOUR_DEFAULTS, NeighbourTermMixin
from recommender.models.torch_loop import fit_loop, optimiser_step, prepare_torch, validation_ndcg


def profile_sequences(profiles, max_len: int) -> list[np.ndarray]:
    """Per CSR row: its item indices ordered by increasing weight (oldest first), the last
    ``max_len`` only. Ties keep index order.

    Example: a row with weights {a: 0.25, b: 1.0, c: 0.5} → [a, c, b].
    """
    profiles = profiles.tocsr()
    out = []
    for r in range(profiles.shape[0]):
        s, e = profiles.indptr[r], profiles.indptr[r + 1]
        idx, w = profiles.indices[s:e], profiles.data[s:e]
        keep = w > 0
        idx, w = idx[keep], w[keep]
        out.append(idx[np.argsort(w, kind="stable")][-max_len:].astype(np.int64))
    return out


def pad_left(seqs: list[np.ndarray], pad: int) -> np.ndarray:
    """(len(seqs), max length) int64, each sequence right-aligned, ``pad`` on the left."""
    m = max((len(s) for s in seqs), default=0)
    out = np.full((len(seqs), max(m, 1)), pad, dtype=np.int64)
    for n, s in enumerate(seqs):
        if len(s):
            out[n, -len(s):] = s
    return out


#: On CUDA, the full softmax is used for catalogues up to this size whatever ``full_softmax_max`` says.
CUDA_FULL_SOFTMAX_MAX = 200_000


class _Net:
    """The torch module, built lazily so that importing this file loads no torch."""

    @staticmethod
    def build(n_items: int, d: int, layers: int, heads: int, max_len: int, dropout: float, dev):
        import torch

        class SASRecNet(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.items = torch.nn.Embedding(n_items + 1, d, padding_idx=n_items)  # row n_items = padding
                self.pos = torch.nn.Embedding(max_len, d)
                self.drop = torch.nn.Dropout(dropout)
                self.blocks = torch.nn.ModuleList([
                    torch.nn.TransformerEncoderLayer(d, heads, dim_feedforward=d, dropout=dropout, activation="gelu",
                                                     batch_first=True, norm_first=True)
                    for _ in range(layers)
                ])
                self.norm = torch.nn.LayerNorm(d)
                torch.nn.init.normal_(self.items.weight, std=0.05)
                with torch.no_grad():
                    self.items.weight[n_items] = 0.0

            def forward(self, seq):  # (b, L) item indices, padding n_items on the left → (b, L, d)
                b, length = seq.shape
                pad = seq == n_items
                pos = torch.arange(max_len - length, max_len, device=seq.device)
                x = self.items(seq) * (d ** 0.5) + self.pos(pos)[None]
                x = self.drop(x) * (~pad).unsqueeze(-1)
                # causal, and no attending to padding — except each position to itself, so no row is all masked
                causal = torch.ones(length, length, dtype=torch.bool, device=seq.device).triu(1)
                blocked = causal[None] | pad[:, None, :]
                blocked = blocked & ~torch.eye(length, dtype=torch.bool, device=seq.device)[None]
                mask = torch.zeros(blocked.shape, device=seq.device).masked_fill(blocked, float("-inf"))
                mask = mask.repeat_interleave(heads, 0)
                for block in self.blocks:
                    x = block(x, src_mask=mask) * (~pad).unsqueeze(-1)
                return self.norm(x)

        return SASRecNet().to(dev)


class SASRecRecommender(NeighbourTermMixin, Recommender):
    name = "sasrec"
    common_defaults = {**Recommender.common_defaults, "half_life": 1.0}
    defaults = {
        "factors": 64, "layers": 2, "heads": 1, "max_len": 50, "dropout": 0.3, "epochs": 60, "lr": 0.002,
        "batch_size": 256, "weight_decay": 0.0, "patience": 3, "seed": 0, "device": "auto", "threads": 0,
        "full_softmax_max": 50000, "negatives": 1024, **NEIGHBOUR_DEFAULTS,
    }

    net = None

    # ------------------------------------------------------------------ training
    def _sequences(self, inter: Interactions) -> list[np.ndarray]:
        """Each user's training items in time order, the last ``max_len + 1`` (inputs + targets)."""
        indptr, m = inter.user_indptr(), int(self.params["max_len"]) + 1
        return [inter.items[max(indptr[u], indptr[u + 1] - m):indptr[u + 1]].astype(np.int64)
                for u in range(inter.n_users) if indptr[u + 1] - indptr[u] >= 2]

    def _batches(self, seqs: list[np.ndarray], rng) -> list[np.ndarray]:
        """Sequence indices grouped by similar length (random ties), ``batch_size`` a group."""
        lengths = np.asarray([len(s) for s in seqs])
        order = np.lexsort((rng.random(len(seqs)), lengths))
        bs = int(self.params["batch_size"])
        return [order[s : s + bs] for s in range(0, len(order), bs)]

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        import torch

        p = self.params
        dev = prepare_torch(p)
        ni, d = interactions.n_items, int(p["factors"])
        seqs = self._sequences(interactions)
        net = _Net.build(ni, d, int(p["layers"]), int(p["heads"]), int(p["max_len"]), float(p["dropout"]), dev)
        self.net, self._dev = net, dev
        opt = torch.optim.Adam(net.parameters(), lr=p["lr"], weight_decay=p["weight_decay"], betas=(0.9, 0.98))
        batches = self._batches(seqs, np.random.default_rng(int(p["seed"])))
        padded = [torch.as_tensor(pad_left([seqs[i] for i in b], ni), device=dev) for b in batches]
        # full softmax when affordable: up to full_softmax_max items on CPU, any catalogue up to
        # CUDA_FULL_SOFTMAX_MAX on a GPU (the logits are one matmul there)
        full = ni <= int(p["full_softmax_max"]) or (str(dev).startswith("cuda") and ni <= CUDA_FULL_SOFTMAX_MAX)
        gen = torch.Generator(device=dev).manual_seed(int(p["seed"]))
        n_neg = int(p["negatives"])

        def step(idx: np.ndarray) -> float:
            net.train()
            s = padded[int(idx[0])]
            inp, tgt = s[:, :-1], s[:, 1:]
            real = tgt != ni
            h = net(inp)[real]  # (P, d) outputs at positions with a target
            y = tgt[real]
            emb = net.items.weight[:ni]
            if full:
                loss = torch.nn.functional.cross_entropy(h @ emb.T, y)
            else:
                neg = torch.randint(0, ni, (n_neg,), device=dev, generator=gen)
                pos_logit = (h * emb[y]).sum(-1, keepdim=True)
                neg_logit = (h @ emb[neg].T).masked_fill(neg[None, :] == y[:, None], float("-inf"))
                logits = torch.cat([pos_logit, neg_logit], 1)
                loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(y), dtype=torch.long, device=dev))
            return optimiser_step(opt, loss)

        def validate() -> float:
            self._export()
            return validation_ndcg(self, valid)

        self.fit_info = fit_loop(
            step, len(padded), 1, int(p["epochs"]), validate if valid is not None else None,
            lambda: {k: v.detach().clone() for k, v in net.state_dict().items()},
            net.load_state_dict, int(p["patience"]), int(p["seed"]), show_progress, "sasrec",
        )
        self._export()
        self._fit_neighbours(interactions, valid)

    def _export(self) -> None:
        """The item embeddings as numpy (scores and similarities use them)."""
        import torch

        with torch.no_grad():
            self.item_vecs = self.net.items.weight[: self.n_items].detach().cpu().numpy().astype(np.float32)

    # ------------------------------------------------------------------ scoring
    def sequence_scores(self, profiles, batch: int = 1024) -> np.ndarray:
        """SASRec scores (b, n_items) of the profiles' sequences (no neighbour term)."""
        import torch

        seqs = profile_sequences(profiles, int(self.params["max_len"]))
        out = np.zeros((len(seqs), self.n_items), dtype=np.float32)
        dev = getattr(self, "_dev", "cpu")
        self.net.eval()
        with torch.no_grad():
            for s in range(0, len(seqs), batch):
                chunk = seqs[s : s + batch]
                x = torch.as_tensor(pad_left(chunk, self.n_items), device=dev)
                h = self.net(x)[:, -1]  # (b, d) the most recent position
                sc = (h @ self.net.items.weight[: self.n_items].T).cpu().numpy()
                empty = np.asarray([len(c) == 0 for c in chunk])
                sc[empty] = 0.0  # nothing known: neutral (the neighbour / popularity order decides)
                out[s : s + len(chunk)] = sc
        return out

    def score(self, profiles, users=None) -> np.ndarray:
        return self._with_neighbours(self.sequence_scores(profiles), profiles)

    def contributions(self, items, weights, target) -> np.ndarray:
        v = self.item_vecs
        return np.asarray(weights, dtype=np.float32) * (v[np.asarray(items, dtype=np.int64)] @ v[target])

    def item_similarity(self, item: int) -> np.ndarray:
        """"Bought together": the neighbour term's row when there is one (co-occurrence is what
        that question asks; the sequence model answers "what next"), embedding cosine breaking
        ties and ranking items the neighbour model never saw together."""
        v = self.item_vecs
        norms = np.linalg.norm(v, axis=1) + 1e-9
        cos = (v @ v[item]) / (norms * norms[item])
        if self.knn_sim is None:
            return cos
        row = self.knn_sim[item].toarray().ravel()
        return row / max(float(np.abs(row).max(initial=0.0)), 1e-9) + 1e-3 * cos

    # ------------------------------------------------------------------ persistence
    def _arrays(self):
        sd = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        return {**sd, **self._neighbour_arrays()}

    def _set_arrays(self, arrays) -> None:
        import torch

        p = self.params
        self._dev = "cpu"
        self.net = _Net.build(self.n_items, int(p["factors"]), int(p["layers"]), int(p["heads"]), int(p["max_len"]),
                              float(p["dropout"]), "cpu")
        self.net.load_state_dict({k[4:]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith("net.")})
        self._export()
        self._set_neighbour_arrays(arrays, self.n_items)
