"""The seed design's neighbour term, shared by every embedding model (BPR, LightGCN, hybrid).

An embedding model's served score for a shopper's profile is::

    score = z(embedding score) + α · z(profile · S)

where ``S`` is an item-kNN similarity over co-interactions (asymmetric cosine,
:class:`~recommender.models.itemknn.ItemKNNRecommender`), ``z`` standardises each row (mean 0,
standard deviation 1) so the two parts are on one scale, and α — the seed's mixing factor — is
chosen on the validation split from :data:`KNN_GRID` (``knn_weight=-1``, the default), fixed
by the caller (``knn_weight=0.3``), or switched off (``knn_weight=0``). α = 0 is in the grid,
so on validation the mix is never worse than the embedding model alone.

Why: embeddings generalise (similar items, text, fold-in) but blur the sharp "bought X, then
Y" co-occurrences that item-kNN keeps; on sparse next-item data (Games-6k) item-kNN alone
beats plain BPR/LightGCN, and the sum beats both (figures in the README and
``benchmarks.recsys_quality``, which also reports every model with α = 0).

Items with no co-interaction evidence (new, text-only items) get a neutral neighbour score
(0 after ``z``) rather than "unrelated", so they stay recommendable. Reasons ("because you
bought X") still come from the embedding part.

Example::

    >>> import numpy as np
    >>> zscore(np.array([[1.0, 2.0, 3.0]])).round(3).tolist()
    [[-1.225, 0.0, 1.225]]
"""

from __future__ import annotations

import numpy as np

#: α candidates tried on the validation split (0 = embedding model alone).
KNN_GRID = (0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0, 1.5, 2.5)
#: α used when the weight is "auto" but there is no validation split to choose it on.
KNN_DEFAULT = 0.1
#: ``knn_model``: the neighbour model — ``itemknn`` (asymmetric cosine) or ``ease`` (Steck's closed-form
#: item-item weights; ``knn_l2`` its λ, -1 = chosen on the same validation split).
NEIGHBOUR_DEFAULTS = {"knn_weight": -1.0, "knn_alpha": 0.7, "knn_neighbours": 100, "knn_model": "itemknn",
                      "knn_l2": -1.0}


def zscore(x: np.ndarray) -> np.ndarray:
    """Standardise each row of ``x`` (batch, n) to mean 0 and standard deviation 1."""
    return (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-9)


class NeighbourTermMixin:
    """Adds the neighbour term to a :class:`~recommender.models.base.Recommender` subclass.

    The subclass calls :meth:`_fit_neighbours` at the end of ``_fit``, passes its embedding
    scores through :meth:`_with_neighbours` in ``score``, and merges
    :meth:`_neighbour_arrays` / :meth:`_set_neighbour_arrays` into its saved arrays.
    """

    knn_sim = None  # CSR (n_items, n_items) neighbour similarity, or None
    knn_w = 0.0

    def fit(self, *args, **kwargs):
        # a refit must not validate its new embeddings against the previous fit's term
        self.knn_sim, self.knn_w = None, 0.0
        return super().fit(*args, **kwargs)

    def _fit_neighbours(self, interactions, valid) -> None:
        """Fit the item-kNN term and its weight (on ``valid`` when the weight is auto)."""
        from recommender.models.itemknn import ItemKNNRecommender
        from recommender.models.torch_loop import validation_ndcg

        kind = self.params.get("knn_model", "itemknn")
        if kind not in ("itemknn", "ease"):
            raise ValueError(f"{self.name}: knn_model must be 'itemknn' or 'ease', not {kind!r}")
        w = float(self.params["knn_weight"])
        if w == 0.0:
            self.knn_sim, self.knn_w = None, 0.0
            return
        if kind == "ease":
            from recommender.models.ease import EASERecommender

            knn = EASERecommender(neighbours=self.params["knn_neighbours"], half_life=self.params["half_life"],
                                  l2=float(self.params.get("knn_l2", -1.0)))
            knn.fit(interactions, valid=valid)
            self.fit_info["knn_l2"] = knn.fit_info.get("l2")
        else:
            knn = ItemKNNRecommender(alpha=self.params["knn_alpha"], neighbours=self.params["knn_neighbours"])
            knn.fit(interactions)
        self.knn_sim = knn.sim
        self._complete_neighbours()
        if w > 0:
            self.knn_w = w
        elif valid is None:
            self.knn_w = KNN_DEFAULT
        else:
            scores = {}
            for cand in KNN_GRID:
                self.knn_w = cand
                scores[cand] = validation_ndcg(self, valid)
            self.knn_w = max(scores, key=scores.get)
            self.fit_info["knn_weight_validation"] = {str(k): v for k, v in scores.items()}
        self.fit_info["knn_weight"] = self.knn_w

    def _complete_neighbours(self) -> None:
        """Hook run once ``knn_sim`` is fitted, before α is chosen (the hybrid lends its cold
        items their text neighbours' columns here)."""

    def _with_neighbours(self, base: np.ndarray, profiles) -> np.ndarray:
        """``z(base) + α · z(profiles @ knn_sim)`` row by row (``base`` alone when α is 0)."""
        if self.knn_sim is None or not self.knn_w:
            return np.asarray(base, dtype=np.float32)
        nb = zscore(np.asarray((profiles @ self.knn_sim).todense(), dtype=np.float32))
        nb[:, self._knn_cold()] = 0.0
        return (zscore(np.asarray(base, dtype=np.float32)) + self.knn_w * nb).astype(np.float32)

    def _knn_cold(self) -> np.ndarray:
        """(n_items,) True for items with no neighbour evidence; cached per similarity matrix."""
        cached = getattr(self, "_cold_cache", None)
        if cached is None or cached[0] is not self.knn_sim:
            cached = (self.knn_sim, self.knn_sim.getnnz(axis=0) == 0)
            self._cold_cache = cached
        return cached[1]

    def _grow_neighbours(self, n_items: int) -> None:
        """Give items appended to the catalogue empty rows and columns (no neighbours yet)."""
        if self.knn_sim is None:
            return
        from scipy.sparse import csr_matrix

        s = self.knn_sim.tocsr()
        extra = n_items - s.shape[0]
        indptr = np.concatenate([s.indptr, np.full(extra, s.indptr[-1], dtype=s.indptr.dtype)])
        self.knn_sim = csr_matrix((s.data, s.indices, indptr), shape=(n_items, n_items))

    def _neighbour_arrays(self) -> dict[str, np.ndarray]:
        out = {"knn_w": np.asarray([self.knn_w], dtype=np.float32)}
        if self.knn_sim is not None:
            s = self.knn_sim.tocsr()
            out.update({"knn_data": s.data, "knn_indices": s.indices, "knn_indptr": s.indptr})
        return out

    def _set_neighbour_arrays(self, arrays, n_items: int) -> None:
        from scipy.sparse import csr_matrix

        self.knn_w = float(arrays["knn_w"][0]) if "knn_w" in arrays else 0.0
        self.knn_sim = (
            csr_matrix((arrays["knn_data"], arrays["knn_indices"], arrays["knn_indptr"]), shape=(n_items, n_items))
            if "knn_data" in arrays else None
        )
