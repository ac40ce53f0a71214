"""Item-kNN: items are similar when the same users bought them (cosine over co-interactions).

``sim(j → i) = |U_j ∩ U_i| / (|U_j|^α · |U_i|^(1-α) + shrink)`` over the binary user × item
matrix, keeping the ``neighbours`` largest per source item. ``alpha=0.5`` is plain cosine;
other values give the asymmetric cosine (α mixes how much the source's and the target's
popularity are discounted; α→1 favours popular targets, α→0 niche ones). A user's score for
item ``i`` is ``Σ_j w_j · sim(j → i)`` over profile items ``j`` with weights ``w_j`` — so the
"because you bought X" reason is exact: the ``j`` with the largest term.

Trade-off: no training and exact explanations, but the similarity matrix grows with
``n_items × neighbours`` and there is nothing to say about items nobody bought.

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([("u", "a", 0), ("u", "b", 1), ("v", "a", 0), ("v", "b", 1), ("w", "c", 0)])
    >>> ItemKNNRecommender().fit(inter).similar_items("a", k=1)[0]
    ['b']
"""

from __future__ import annotations

import numpy as np

from recommender.interactions import Interactions
from recommender.models.base import Recommender


class ItemKNNRecommender(Recommender):
    """Neighbourhood model; ``sim`` is a CSR (n_items, n_items) source → target matrix."""

    name = "itemknn"
    defaults = {"neighbours": 100, "alpha": 0.5, "shrink": 0.0}

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        from scipy.sparse import csr_matrix

        x = interactions.matrix(binary=True).tocsc()  # (n_users, n_items)
        co = (x.T @ x).tocsr()  # (n_items, n_items) co-interaction counts
        co.setdiag(0)
        co.eliminate_zeros()
        n = np.asarray(x.sum(axis=0)).ravel().astype(np.float64)  # users per item
        a, shrink = float(self.params["alpha"]), float(self.params["shrink"])
        co = co.tocoo()
        denom = np.power(n[co.row], a) * np.power(n[co.col], 1.0 - a) + shrink
        vals = co.data / np.maximum(denom, 1e-12)
        sim = csr_matrix((vals.astype(np.float32), (co.row, co.col)), shape=co.shape)
        self.sim = _keep_top(sim, int(self.params["neighbours"]))
        self.counts = n.astype(np.float32)

    def score(self, profiles, users=None) -> np.ndarray:
        out = (profiles @ self.sim).toarray().astype(np.float32)
        # a vanishing popularity term orders items no neighbour reaches (so k are always returned)
        out += 1e-6 * self.counts / max(float(self.counts.max(initial=1.0)), 1.0)
        return out

    def item_similarity(self, item: int) -> np.ndarray:
        return self.sim[item].toarray().ravel()

    def contributions(self, items, weights, target) -> np.ndarray:
        col = self.sim[:, target].toarray().ravel()
        return np.asarray(weights, dtype=np.float32) * col[np.asarray(items, dtype=np.int64)]

    def _arrays(self):
        s = self.sim
        return {"sim_data": s.data, "sim_indices": s.indices, "sim_indptr": s.indptr, "counts": self.counts}

    def _set_arrays(self, arrays) -> None:
        from scipy.sparse import csr_matrix

        n = len(self.item_ids)
        self.sim = csr_matrix((arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]), shape=(n, n))
        self.counts = arrays["counts"]


def _keep_top(m, k: int):
    """Keep the ``k`` largest entries of each CSR row.

    Example: row ``[0.1, 0.5, 0.3]`` with k=2 → ``[0, 0.5, 0.3]``.
    """
    from scipy.sparse import csr_matrix

    m = m.tocsr()
    m.sort_indices()
    lengths = np.diff(m.indptr)
    if k <= 0 or lengths.max(initial=0) <= k:
        return m
    keep = np.ones(len(m.data), dtype=bool)
    for r in np.nonzero(lengths > k)[0]:
        s, e = m.indptr[r], m.indptr[r + 1]
        row = m.data[s:e]
        drop = np.argpartition(-row, k)[k:]
        keep[s + drop] = False
    rows = np.repeat(np.arange(m.shape[0]), lengths)[keep]
    return csr_matrix((m.data[keep], (rows, m.indices[keep])), shape=m.shape)
