"""Text-fused hybrid: item vectors = learned id embedding + projection of the item's text.

Every item ``i`` has two vectors (in the word2vec manner), each the sum of an id part and
a text part::

    in_i  = E_in[i]  + P_in  · t_i        # used when i is in a shopper's history
    out_i = E_out[i] + P_out · t_i        # used when i is a candidate to recommend

where ``t_i`` is the unit-normalised all-MiniLM-L6-v2 embedding (384-d) of the item's
title/brand/category/description and ``P_*`` are learned d × 384 projections. A shopper
is the recency-weighted mean of the ``in`` vectors of their history, so **every** user is
folded in from events (no user table, no retraining for a new user or a new event), and the
score ``u·out_i + b_i`` splits exactly into per-history-item contributions (the reason).

- A brand-new item with only text gets ``in = P_in t``, ``out = P_out t`` (its id part is
  zero), so it is recommendable at once — :meth:`HybridRecommender.add_items`.
- A stated taste ("racing games for PS4") is embedded the same way and enters the profile
  as a pseudo-item with vector ``P_in t`` — :meth:`HybridRecommender.score_with_text`.

Training is next-item prediction: every event of every user is a target, its (up to
``max_history``) predecessors the profile; softmax cross-entropy over all items that occur
in training (uniformly sampled negatives above ``full_softmax_max`` items). During training
id parts are dropped at random (``id_dropout``) so the text path learns to stand alone.
Items absent from training are masked out of the softmax and keep a zero id part, so they
are not pushed down for never having been bought. Trade-off: one embedder pass over the
catalogue per fit (cache with :meth:`set_text_vectors`), and a sequence-aware bag of items
rather than a full sequence model.

Neighbour term (the seed design's mixing factor α, :mod:`recommender.models.neighbours`): the served
score is ``z(embedding score) + α · z(item-kNN neighbour score)``, α chosen on the validation
split. Measured on Games-6k (benchmarks.recsys_quality): see the README. Trade-off: the term
only boosts items with purchase history, so brand-new text-only items rank lower than with
α = 0 (still non-zero, unlike any ID-only model). Reasons still come from the embedding part.

Example::

    >>> m = HybridRecommender(factors=16, epochs=2, embedder="fake")  # then m.fit(inter, texts)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender.interactions import Interactions
from recommender.models.base import Recommender
from recommender.models.neighbours import NEIGHBOUR_DEFAULTS, NeighbourTermMixin
from recommender.models.torch_loop import fit_loop, optimiser_step, prepare_torch, validation_ndcg


class HybridRecommender(NeighbourTermMixin, Recommender):
    name = "hybrid"
    uses_text = True
    common_defaults = {**Recommender.common_defaults, "half_life": 3.0}
    defaults = {
        "factors": 64, "epochs": 30, "lr": 0.003, "batch_size": 1024, "max_history": 20,
        "id_dropout": 0.25, "weight_decay": 0.0, "patience": 3, "seed": 0, "device": "auto",
        "threads": 0, "full_softmax_max": 5000, "negatives": 2048, "cold_bias_quantile": 0.5,
        "embedder": "bundled", **NEIGHBOUR_DEFAULTS, "knn_proxy": 10,
    }

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.embedder = None  # Embeddings with .encode; made from params["embedder"] on first use
        self._text_override: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ text
    def set_text_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Precomputed unit text vectors by item id (skips the embedder for those items)."""
        self._text_override = dict(vectors)

    def _embedder(self):
        if self.embedder is None:
            from knowledge.embedder import make_embedder

            self.embedder = make_embedder(self.params["embedder"])
        return self.embedder

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit text vectors (n, t_dim) from the configured embedder."""
        if not texts:
            return np.zeros((0, self.text.shape[1] if hasattr(self, "text") else 0), dtype=np.float32)
        return np.asarray(self._embedder().encode(list(texts)), dtype=np.float32)

    def _item_text_matrix(self, item_ids: list[str], item_texts: dict[str, str]) -> np.ndarray:
        todo = [i for i in item_ids if i not in self._text_override and item_texts.get(i)]
        enc = dict(zip(todo, self.encode([item_texts[i] for i in todo]))) if todo else {}
        enc.update(self._text_override)
        dim = next((len(v) for v in enc.values()), 0)
        if dim == 0:
            return np.zeros((len(item_ids), 1), dtype=np.float32)
        out = np.zeros((len(item_ids), dim), dtype=np.float32)
        for n, i in enumerate(item_ids):
            if i in enc:
                out[n] = enc[i]
        return out

    # ------------------------------------------------------------------ training
    def _examples(self, inter: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(history (n_ex, m) with -1 padding, weights (n_ex, m), targets (n_ex,)) for next-item training.

        Example: one user a, b, c with m=2 → histories [[-1, a], [a, b]], targets [b, c].
        """
        m, hl = int(self.params["max_history"]), self.params["half_life"] or None
        users, items, w = inter.users, inter.items, inter.weights
        start = inter.user_indptr()[users]  # (n,) first row of each row's user
        t = np.nonzero(np.arange(len(users)) > start)[0]  # rows with at least one predecessor
        hist = np.full((len(t), m), -1, dtype=np.int64)
        hw = np.zeros((len(t), m), dtype=np.float32)
        for o in range(1, m + 1):
            src = t - o
            ok = src >= start[t]
            hist[ok, m - o] = items[src[ok]]
            hw[ok, m - o] = w[src[ok]] * (0.5 ** ((o - 1) / hl) if hl else 1.0)
        return hist, hw, items[t].astype(np.int64)

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        import torch

        p = self.params
        dev = prepare_torch(p)
        ni, d = interactions.n_items, int(p["factors"])
        self.text = self._item_text_matrix(self.item_ids, item_texts)  # (ni, t_dim)
        tdim = self.text.shape[1]
        seen = np.bincount(interactions.items, minlength=ni) > 0  # (ni,)
        hist, hw, targets = self._examples(interactions)
        text = torch.as_tensor(self.text, device=dev)
        e_in, e_out, p_in, p_out, bias = _build_layers(ni, d, tdim, seen, dev)
        params = [q for mod in (e_in, e_out, p_in, p_out) for q in mod.parameters()] + [bias]
        opt = torch.optim.Adam(params, lr=p["lr"], weight_decay=p["weight_decay"])
        hist_t = torch.as_tensor(np.where(hist < 0, ni, hist), device=dev)
        hw_t = torch.as_tensor(hw, device=dev)
        tgt_t = torch.as_tensor(targets, device=dev)
        text_pad = torch.cat([text, torch.zeros(1, tdim, device=dev)])
        seen_t = torch.as_tensor(seen, device=dev)
        full = int(seen.sum()) <= int(p["full_softmax_max"])
        seen_idx = torch.as_tensor(np.nonzero(seen)[0], device=dev)
        gen = torch.Generator(device=dev).manual_seed(p["seed"])
        drop = float(p["id_dropout"])

        def keep(n: int) -> "torch.Tensor":
            return (torch.rand(n, 1, device=dev, generator=gen) >= drop).float()

        def step(idx: np.ndarray) -> float:
            idx_t = torch.as_tensor(idx, device=dev)
            h, w, y = hist_t[idx_t], hw_t[idx_t], tgt_t[idx_t]  # (b, m), (b, m), (b,)
            b, m = h.shape
            # u = Σ_j w_j (keep_j E_in[h_j] + P_in t_j) / Σ_j w_j, as two sparse (b, ni+1) products
            real = (h < ni).reshape(-1)  # drop padding entries: most histories are short
            rows = torch.arange(b, device=dev).repeat_interleave(m)[real]
            pos = torch.stack([rows, h.reshape(-1)[real]])
            wf = w.reshape(-1)[real]
            wk = torch.sparse_coo_tensor(pos, wf * keep(len(wf)).view(-1), (b, ni + 1), check_invariants=False)
            wt = torch.sparse_coo_tensor(pos, wf, (b, ni + 1), check_invariants=False)
            u = torch.sparse.mm(wk, e_in.weight) + p_in(torch.sparse.mm(wt, text_pad))  # (b, d)
            u = u / w.sum(1, keepdim=True).clamp_min(1e-9)
            if full:
                out = e_out.weight * keep(ni) + p_out(text)  # (ni, d)
                logits = u @ out.T + bias  # (b, ni)
                logits = logits.masked_fill(~seen_t, float("-inf"))
                loss = torch.nn.functional.cross_entropy(logits, y)
            else:
                neg = seen_idx[torch.randint(0, len(seen_idx), (int(p["negatives"]),), device=dev, generator=gen)]
                cand = torch.cat([y, neg])  # (b + n_neg,)
                out = e_out(cand) * keep(len(cand)) + p_out(text[cand])
                logits = u @ out.T + bias[cand]
                clash = (cand.unsqueeze(0) == y.unsqueeze(1)) & ~torch.eye(b, len(cand), dtype=torch.bool, device=dev)
                logits = logits.masked_fill(clash, float("-inf"))
                loss = torch.nn.functional.cross_entropy(logits, torch.arange(b, device=dev))
            return optimiser_step(opt, loss)

        def export() -> None:
            self._export(e_in, e_out, p_in, p_out, bias, seen)

        def validate() -> float:
            export()
            return validation_ndcg(self, valid)

        self.fit_info = fit_loop(
            step, len(targets), int(p["batch_size"]), int(p["epochs"]), validate if valid is not None else None,
            lambda: [q.detach().clone() for q in params],
            lambda s: [q.data.copy_(v) for q, v in zip(params, s)],
            int(p["patience"]), int(p["seed"]), show_progress, "hybrid",
        )
        export()
        self._fit_neighbours(interactions, valid)

    def _export(self, e_in, e_out, p_in, p_out, bias, seen: np.ndarray) -> None:
        """Copy the trained torch weights into the numpy arrays the model serves from.

        Items never seen in training keep zero id vectors and get the cold bias (a quantile
        of the seen items' biases), so text alone places them.
        """
        import torch

        with torch.no_grad():
            self.id_in = e_in.weight[: len(seen)].detach().cpu().numpy().astype(np.float32)
            self.id_out = e_out.weight.detach().cpu().numpy().astype(np.float32)
            self.proj_in = p_in.weight.detach().cpu().numpy().T.astype(np.float32)  # (tdim, d)
            self.proj_out = p_out.weight.detach().cpu().numpy().T.astype(np.float32)
            self.bias = bias.detach().cpu().numpy().astype(np.float32)
        self.id_in[~seen] = 0.0
        self.id_out[~seen] = 0.0
        cold = float(np.quantile(self.bias[seen], self.params["cold_bias_quantile"])) if seen.any() else 0.0
        self.bias[~seen] = cold
        self.cold_bias = np.float32(cold)
        self._finish()

    def _complete_neighbours(self) -> None:
        self._lend_neighbours(np.nonzero(self.knn_sim.getnnz(axis=0) == 0)[0])

    def _lend_neighbours(self, cold: np.ndarray) -> None:
        """Items nobody bought alongside anything (``cold``) borrow the neighbour column of their
        ``knn_proxy`` text-nearest items that have one, weighted by text similarity: a new
        racing game is "bought with" what racing games are bought with. Without it the neighbour
        term can only ever lift warm items, pushing new ones down (Games-6k cold-start
        Recall@20 in the README)."""
        m = int(self.params["knn_proxy"])
        if self.knn_sim is None or m <= 0 or not len(cold) or not self.text.any():
            return
        from scipy.sparse import csr_matrix

        sim = self.knn_sim.tocsr()
        n = sim.shape[0]
        warm = np.nonzero(sim.getnnz(axis=0) > 0)[0]
        cold = cold[np.linalg.norm(self.text[cold], axis=1) > 0]  # no text: nothing to go on
        if not len(warm) or not len(cold):
            return
        s = self.text[cold] @ self.text[warm].T  # (n_cold, n_warm) cosine of unit vectors
        m = min(m, len(warm))
        top = np.argpartition(-s, m - 1, axis=1)[:, :m]  # (n_cold, m)
        w = np.clip(np.take_along_axis(s, top, 1), 0.0, None)
        w = w / np.maximum(w.sum(1, keepdims=True), 1e-9)
        # column c of a cold item (empty until now) becomes Σ_t w_ct · column t
        lend = csr_matrix((w.ravel().astype(np.float32), (warm[top].ravel(), np.repeat(cold, m))), shape=(n, n))
        self.knn_sim = (sim + sim @ lend).tocsr()

    def _finish(self) -> None:
        """Recompute the served vectors: ``v_in``/``v_out`` (n_items, d)."""
        self.v_in = self.id_in + self.text @ self.proj_in
        self.v_out = self.id_out + self.text @ self.proj_out

    # ------------------------------------------------------------------ new items
    def add_items(self, item_ids: Sequence[str], texts: Sequence[str] | None = None,
                  vectors: np.ndarray | None = None) -> int:
        """Add items that only have text (never bought); returns how many were new.

        Their vectors are the text projections alone and their bias the model's cold bias.
        """
        new = [(n, i) for n, i in enumerate(item_ids) if i not in self._item_index]
        if not new:
            return 0
        if vectors is None:
            vectors = self.encode([texts[n] for n, _ in new])
        else:
            vectors = np.asarray(vectors, dtype=np.float32)[[n for n, _ in new]]
        k, d = len(new), self.id_in.shape[1]
        self.item_ids = self.item_ids + [i for _, i in new]
        self.text = np.vstack([self.text, vectors.astype(np.float32)])
        self.id_in = np.vstack([self.id_in, np.zeros((k, d), np.float32)])
        self.id_out = np.vstack([self.id_out, np.zeros((k, d), np.float32)])
        self.bias = np.concatenate([self.bias, np.full(k, self.cold_bias, np.float32)])
        from scipy.sparse import csr_matrix

        ui = self.user_items.tocsr()
        self.user_items = csr_matrix((ui.data, ui.indices, ui.indptr), shape=(ui.shape[0], len(self.item_ids)))
        self._grow_neighbours(len(self.item_ids))  # new items have no neighbours yet…
        self._lend_neighbours(np.arange(len(self.item_ids) - k, len(self.item_ids)))  # …so they borrow some
        self._reindex()
        self._finish()
        return k

    # ------------------------------------------------------------------ scoring
    def user_vectors(self, profiles, text_vectors: np.ndarray | None = None,
                     text_weights: Sequence[float] = ()) -> np.ndarray:
        """(batch, d) weighted mean of the profile's ``in`` vectors; ``text_vectors``
        (n, t_dim) with ``text_weights`` join every row as pseudo-items."""
        num = np.asarray(profiles @ self.v_in, dtype=np.float32)  # (b, d)
        den = np.asarray(profiles.sum(axis=1), dtype=np.float32).reshape(-1, 1)
        if text_vectors is not None and len(text_vectors):
            tw = np.asarray(text_weights, dtype=np.float32)
            num = num + (tw[:, None] * (text_vectors @ self.proj_in)).sum(0)[None, :]
            den = den + tw.sum()
        return num / np.maximum(den, 1e-9)

    def score(self, profiles, users=None) -> np.ndarray:
        base = self.user_vectors(profiles) @ self.v_out.T + self.bias[None, :]
        return self._with_neighbours(base, profiles)

    def score_with_text(self, profile, texts: Sequence[str], weights: Sequence[float]) -> np.ndarray:
        """Scores (1, n_items) for one profile plus stated-taste ``texts`` as pseudo-items."""
        tv = self.encode(list(texts))
        base = self.user_vectors(profile, tv, weights) @ self.v_out.T + self.bias[None, :]
        return self._with_neighbours(base, profile)

    def contributions(self, items, weights, target) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float32)
        return w * (self.v_in[np.asarray(items, dtype=np.int64)] @ self.v_out[target]) / max(float(w.sum()), 1e-9)

    def text_contribution(self, text: str, weight: float, total_weight: float, target: int) -> float:
        """What a stated-taste pseudo-item adds to ``target``'s score (same scale as contributions)."""
        tv = self.encode([text])[0] @ self.proj_in
        return float(weight * (tv @ self.v_out[target]) / max(total_weight, 1e-9))

    def item_similarity(self, item: int) -> np.ndarray:
        v = self.v_out
        norms = np.linalg.norm(v, axis=1) + 1e-9
        return (v @ v[item]) / (norms * norms[item])

    # ------------------------------------------------------------------ persistence
    def _arrays(self):
        out = {"text": self.text, "id_in": self.id_in, "id_out": self.id_out, "proj_in": self.proj_in,
               "proj_out": self.proj_out, "bias": self.bias, "cold_bias": np.asarray([self.cold_bias])}
        return {**out, **self._neighbour_arrays()}

    def _set_arrays(self, arrays) -> None:
        for k in ("text", "id_in", "id_out", "proj_in", "proj_out", "bias"):
            setattr(self, k, arrays[k])
        self.cold_bias = np.float32(arrays["cold_bias"][0])
        self._set_neighbour_arrays(arrays, len(self.text))
        self._finish()


def _build_layers(ni: int, d: int, tdim: int, seen: np.ndarray, dev):
    """The hybrid's trainable parts on ``dev``: id embeddings in/out (unseen items zeroed;
    ``e_in`` has a padding row ``ni``), text projections in/out (tdim → d), item bias (ni,).

    Built in this order so that a seed gives the same initial weights every run.
    """
    import torch

    e_in = torch.nn.Embedding(ni + 1, d, padding_idx=ni).to(dev)  # row ni = padding
    e_out = torch.nn.Embedding(ni, d).to(dev)
    p_in = torch.nn.Linear(tdim, d, bias=False).to(dev)
    p_out = torch.nn.Linear(tdim, d, bias=False).to(dev)
    bias = torch.nn.Parameter(torch.zeros(ni, device=dev))
    for emb in (e_in, e_out):
        torch.nn.init.normal_(emb.weight, std=0.05)
        with torch.no_grad():
            emb.weight[~torch.as_tensor(np.append(seen, False)[: emb.weight.shape[0]], device=dev)] = 0.0
    return e_in, e_out, p_in, p_out, bias
