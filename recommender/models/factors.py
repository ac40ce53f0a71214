"""Latent-factor models' common half: scoring, fold-in, explanations, similarity, saving.

BPR-MF and LightGCN both end as ``score(u, i) = user_factors[u] · item_factors[i] + item_bias[i]``.
A user whose profile is not exactly their training row (a new user, or new events) gets a
vector **folded in** from the item factors. Default (``fold_in="mean"``): the weighted mean
of the profile's item vectors, so the score of item ``i`` is ``Σ_j w_j v_j·v_i / Σ_j w_j + b_i``
and splits exactly into per-history-item contributions. Option ``fold_in="ls"``: the
implicit-ALS least-squares step with the item factors fixed:

    u = (VᵀV + Σ_j (c_j − 1) v_j v_jᵀ + λI)⁻¹ Σ_j c_j v_j,    c_j = 1 + fold_alpha · w_j

(benfred/implicit's ``recalculate_user``), also linear in the ``c_j v_j`` terms
(contribution ``c_j · v_iᵀ A⁻¹ v_j``). On short histories it fits the few bought items
exactly and generalises worse than the mean (seen in the unit tests), hence the default.

Example::

    >>> v = np.eye(2, dtype=np.float32)
    >>> fold_in_ls(v, np.array([0]), np.array([1.0]), alpha=1.0, reg=0.0).round(2).tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from recommender.models.base import Recommender
from recommender.models.neighbours import NEIGHBOUR_DEFAULTS, NeighbourTermMixin


def fold_in_ls(item_factors: np.ndarray, items: np.ndarray, weights: np.ndarray, alpha: float, reg: float,
               gram: np.ndarray | None = None) -> np.ndarray:
    """One user's least-squares vector (d,) from profile ``items``/``weights`` (see module doc)."""
    a, b = _system(item_factors, items, weights, alpha, reg, gram)
    return np.linalg.solve(a, b)


def _system(v, items, weights, alpha, reg, gram):
    gram = v.T @ v if gram is None else gram
    vh = v[np.asarray(items, dtype=np.int64)].astype(np.float64)  # (h, d)
    c = 1.0 + alpha * np.asarray(weights, dtype=np.float64)  # (h,)
    a = gram + (vh * (c - 1.0)[:, None]).T @ vh + reg * np.eye(v.shape[1])
    b = (vh * c[:, None]).sum(axis=0)
    return a, b


class FactorRecommender(NeighbourTermMixin, Recommender):
    """Base of BPR and LightGCN: holds ``user_factors`` (n_users, d), ``item_factors``
    (n_items, d), ``item_bias`` (n_items,); subclasses fill them in ``_fit`` and end it with
    ``self._fit_neighbours(interactions, valid)`` (the neighbour term, :mod:`recommender.models.neighbours`)."""

    common_defaults = {
        **Recommender.common_defaults, "fold_in": "mean", "fold_alpha": 10.0, "fold_reg": 0.1,
        **NEIGHBOUR_DEFAULTS,
    }

    def _gram(self) -> np.ndarray:
        if getattr(self, "_gram_cache", None) is None:
            v = self.item_factors.astype(np.float64)
            self._gram_cache = v.T @ v
        return self._gram_cache

    def fold_in(self, profiles) -> np.ndarray:
        """User vectors (batch, d) from CSR profiles, by the configured fold-in rule."""
        profiles = profiles.tocsr()
        v = self.item_factors
        if self.params["fold_in"] == "mean":  # one sparse product for the whole batch
            den = np.asarray(profiles.sum(axis=1), dtype=np.float32).reshape(-1, 1)
            return (np.asarray(profiles @ v, dtype=np.float32) / np.maximum(den, 1e-9)).astype(np.float32)
        out = np.zeros((profiles.shape[0], v.shape[1]), dtype=np.float32)
        for r in range(profiles.shape[0]):
            s, e = profiles.indptr[r], profiles.indptr[r + 1]
            items, w = profiles.indices[s:e], profiles.data[s:e]
            if not len(items):
                continue
            out[r] = fold_in_ls(v, items, w, self.params["fold_alpha"], self.params["fold_reg"], self._gram())
        return out

    def score(self, profiles, users=None) -> np.ndarray:
        uv = self.fold_in_or_learned(profiles, users)
        return self._with_neighbours(uv @ self.item_factors.T + self.item_bias[None, :], profiles)

    def fold_in_or_learned(self, profiles, users=None) -> np.ndarray:
        """Learned vectors for rows with ``users >= 0``, folded-in ones for the rest."""
        if users is None:
            return self.fold_in(profiles)
        users = np.asarray(users)
        out = np.zeros((profiles.shape[0], self.item_factors.shape[1]), dtype=np.float32)
        known = users >= 0
        out[known] = self.user_factors[users[known]]
        if (~known).any():
            out[~known] = self.fold_in(profiles[np.nonzero(~known)[0]])
        return out

    def contributions(self, items, weights, target) -> np.ndarray:
        v = self.item_factors
        items = np.asarray(items, dtype=np.int64)
        w = np.asarray(weights, dtype=np.float64)
        if self.params["fold_in"] == "mean":
            return (w * (v[items] @ v[target])) / max(w.sum(), 1e-9)
        a, _ = _system(v, items, w, self.params["fold_alpha"], self.params["fold_reg"], self._gram())
        c = 1.0 + self.params["fold_alpha"] * w
        return c * (np.linalg.solve(a, v[items].T.astype(np.float64)).T @ v[target])

    def item_similarity(self, item: int) -> np.ndarray:
        v = self.item_factors
        norms = np.linalg.norm(v, axis=1) + 1e-9
        return (v @ v[item]) / (norms * norms[item])

    def _arrays(self):
        return {"user_factors": self.user_factors, "item_factors": self.item_factors, "item_bias": self.item_bias,
                **self._neighbour_arrays()}

    def _set_arrays(self, arrays) -> None:
        self.user_factors, self.item_factors = arrays["user_factors"], arrays["item_factors"]
        self.item_bias = arrays["item_bias"]
        self._gram_cache = None
        self._set_neighbour_arrays(arrays, len(self.item_factors))
