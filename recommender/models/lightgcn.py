"""LightGCN in PyTorch: BPR-trained embeddings smoothed over the user–item graph.

Layer ``k+1`` of every node is ``Â · E^(k)`` with ``Â = D^-1/2 A D^-1/2`` the symmetric-normalised
bipartite adjacency (a ``torch.sparse`` CSR matrix, so one propagation is a sparse × dense
product over the interactions, not a dense n×n one); the final embedding is the mean of
layers 0..K (He et al., 2020). Training recomputes the propagation for every batch of BPR
triples, as the paper does; at the end the propagated user/item embeddings are frozen into
the :class:`~recommender.models.factors.FactorRecommender` arrays, so serving and fold-in cost the
same as for BPR-MF.

Example::

    >>> m = LightGCNRecommender(factors=8, layers=2, epochs=2)   # then m.fit(interactions)
"""

from __future__ import annotations

import warnings

import numpy as np

from recommender.interactions import Interactions
from recommender.models.factors import FactorRecommender
from recommender.models.torch_loop import fit_loop, optimiser_step, prepare_torch, validation_ndcg


class LightGCNRecommender(FactorRecommender):
    name = "lightgcn"
    defaults = {
        "factors": 64, "layers": 2, "epochs": 100, "lr": 0.005, "reg": 1e-4, "batch_size": 8192,
        "patience": 3, "seed": 0, "device": "auto", "threads": 0,
    }

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        import torch

        p = self.params
        dev = prepare_torch(p)
        m = interactions.matrix(binary=True).tocoo()
        nu, ni, d = interactions.n_users, interactions.n_items, int(p["factors"])
        # bipartite adjacency over nu + ni nodes, symmetric normalisation
        rows = np.concatenate([m.row, m.col + nu])
        cols = np.concatenate([m.col + nu, m.row])
        deg = np.bincount(rows, minlength=nu + ni).astype(np.float32)
        dinv = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1e-12)), 0.0)
        vals = dinv[rows] * dinv[cols]
        coo = torch.sparse_coo_tensor(
            torch.as_tensor(np.stack([rows, cols]), dtype=torch.long), torch.as_tensor(vals, dtype=torch.float32),
            (nu + ni, nu + ni), check_invariants=False,
        ).coalesce()
        with warnings.catch_warnings():  # "sparse CSR support is in beta": mm on CSR is stable enough
            warnings.simplefilter("ignore", UserWarning)
            adj = coo.to_sparse_csr().to(dev)
        smooth = _symmetric_spmm(torch, adj)
        emb = torch.nn.Parameter(torch.empty(nu + ni, d, device=dev))
        torch.nn.init.normal_(emb, std=0.1)
        opt = torch.optim.Adam([emb], lr=p["lr"])
        gen = torch.Generator(device=dev).manual_seed(p["seed"])
        pu = torch.as_tensor(m.row, dtype=torch.long, device=dev)
        pi = torch.as_tensor(m.col, dtype=torch.long, device=dev)

        def propagate() -> "torch.Tensor":
            layers, x = [emb], emb
            for _ in range(int(p["layers"])):
                x = smooth(x)
                layers.append(x)
            return torch.stack(layers).mean(0)  # (nu + ni, d)

        def step(idx: np.ndarray) -> float:
            idx_t = torch.as_tensor(idx, device=dev)
            u, i = pu[idx_t], pi[idx_t]
            j = torch.randint(0, ni, (len(idx),), device=dev, generator=gen)
            out = propagate()
            eu, ei, ej = out[u], out[nu + i], out[nu + j]
            x = (eu * (ei - ej)).sum(1)
            loss = -torch.nn.functional.logsigmoid(x).mean()
            e0 = emb[u].pow(2).sum() + emb[nu + i].pow(2).sum() + emb[nu + j].pow(2).sum()
            loss = loss + p["reg"] * e0 / len(idx)
            return optimiser_step(opt, loss)

        def export() -> None:
            with torch.no_grad():
                out = propagate().cpu().numpy().astype(np.float32)
            self.user_factors, self.item_factors = out[:nu], out[nu:]
            self.item_bias = np.zeros(ni, dtype=np.float32)
            self._gram_cache = None

        def validate() -> float:
            export()
            return validation_ndcg(self, valid)

        self.fit_info = fit_loop(
            step, len(m.row), int(p["batch_size"]), int(p["epochs"]), validate if valid is not None else None,
            lambda: emb.detach().clone(), lambda s: emb.data.copy_(s), int(p["patience"]), int(p["seed"]),
            show_progress, "lightgcn",
        )
        export()
        self._fit_neighbours(interactions, valid)


def _symmetric_spmm(torch, adj):
    """``x ↦ adj · x`` with autograd for a *symmetric* sparse CSR ``adj``: the gradient is
    ``adjᵀ · g = adj · g``, so the backward pass reuses the same CSR matrix instead of
    transposing a COO one every step (≈ 1.8× faster steps on Games-6k)."""

    class SymmetricSpMM(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.sparse.mm(adj, x)

        @staticmethod
        def backward(ctx, grad):
            return torch.sparse.mm(adj, grad)

    return SymmetricSpMM.apply
