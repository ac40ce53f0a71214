"""Sequential item-kNN ("sequential rules"): what shoppers bought *next* after each item.

``trans(j → i) = Σ 1/gap**gap_power`` over every pair of one user's events where ``i`` came
``gap`` (1 … ``window``) events after ``j``; ``co(j → i)`` is item-kNN's plain co-occurrence
count. The similarity is

``sim(j → i) = (trans(j → i) + co_weight · co(j → i)) / (|U_j|^α · |U_i|^(1-α))``

(``α = 1``, the default, is "how often did a buyer of j go on to i", the target's
popularity left in), keeping the ``neighbours`` largest per source item. A shopper's score
for ``i`` is ``Σ_j w_j · sim(j → i)`` over their profile, whose weights carry recency
(``half_life``: the k-th most recent event weighs 0.5**(k/half_life)) — so the last items
count most, as in session-kNN and sequential-rules recommenders, and a new event folds in
without refitting. The "because you bought X" reason is exact (the largest term).

With a validation split and ``tune=True`` (the default) ``co_weight`` and ``half_life`` are
chosen on it from :data:`CO_GRID` × :data:`HALF_LIFE_GRID` (validation NDCG@20, the sample
:func:`recommender.models.torch_loop.validation_ndcg` draws); ``fit_info["chosen_params"]``
records the pick so a refit on all data keeps it.

Why: on next-item logs (Games-6k, Amazon Beauty) the order says more than co-occurrence —
an accessory follows its console — and this costs a few sparse products, no training.
Trade-off: the similarity grows with ``n_items × neighbours``; without an event order (all
timestamps equal) it degrades to a directed item-kNN over the input order.

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([(u, i, t) for u in "uvw" for t, i in enumerate("abc")])
    >>> SeqKNNRecommender(tune=False).fit(inter).recommend("new", k=1, events=[("b", 1.0)])[0]
    ['c']
"""

from __future__ import annotations

import numpy as np

from recommender.interactions import Interactions
from recommender.models.itemknn import ItemKNNRecommender, _keep_top

#: ``co_weight`` candidates tried on validation.
CO_GRID = (0.1, 0.3, 1.0)
#: ``half_life`` candidates tried on validation.
HALF_LIFE_GRID = (0.5, 1.0, 2.0)


def transition_counts(inter: Interactions, window: int, gap_power: float):
    """CSR (n_items, n_items): ``Σ 1/gap**gap_power`` over same-user pairs ``gap`` ≤ ``window``
    events apart (earlier → later); self-transitions dropped.

    Example: one user's a, b, c with window 2, power 1 → a→b 1, b→c 1, a→c 0.5.
    """
    from scipy.sparse import csr_matrix

    users, items, n = inter.users, inter.items, inter.n_items  # sorted by (user, time)
    rows, cols, vals = [], [], []
    for gap in range(1, max(int(window), 1) + 1):
        if gap >= len(users):
            break
        same = users[gap:] == users[:-gap]
        rows.append(items[:-gap][same])
        cols.append(items[gap:][same])
        vals.append(np.full(int(same.sum()), 1.0 / gap ** float(gap_power), dtype=np.float32))
    if not rows:
        return csr_matrix((n, n), dtype=np.float32)
    m = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n),
                   dtype=np.float32)
    m.sum_duplicates()
    m.setdiag(0)
    m.eliminate_zeros()
    return m


class SeqKNNRecommender(ItemKNNRecommender):
    """Item-kNN over directed "bought next" transitions plus a share of co-occurrence."""

    name = "seqknn"
    common_defaults = {**ItemKNNRecommender.common_defaults, "half_life": 1.0}
    defaults = {"neighbours": 200, "alpha": 1.0, "window": 5, "gap_power": 1.0, "co_weight": 0.3, "tune": True}

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        p = self.params
        x = interactions.matrix(binary=True).tocsc()
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        n = np.asarray(x.sum(axis=0)).ravel().astype(np.float64)
        self.counts = n.astype(np.float32)
        trans = transition_counts(interactions, int(p["window"]), float(p["gap_power"]))
        a = float(p["alpha"])
        tn, cn = _normalise(trans, n, a), _normalise(co, n, a)
        k = int(p["neighbours"])
        if valid is None or not len(valid) or not p["tune"]:
            self.sim = _keep_top(tn + float(p["co_weight"]) * cn, k)
            return
        from recommender.models.torch_loop import validation_ndcg

        scores, sims = {}, {}
        for cw in CO_GRID:
            sims[cw] = _keep_top(tn + cw * cn, k)
            self.sim = sims[cw]
            for hl in HALF_LIFE_GRID:
                self.user_items = interactions.profiles(hl)
                scores[(cw, hl)] = validation_ndcg(self, valid)
        cw, hl = max(scores, key=scores.get)  # ties: the first in grid order
        self.sim = sims[cw]
        self.params.update(co_weight=cw, half_life=hl)
        self.user_items = interactions.profiles(hl)
        self.fit_info.update(chosen_params={"co_weight": cw, "half_life": hl, "tune": False},
                             validation={f"co{c}_hl{h}": s for (c, h), s in scores.items()})


def _normalise(m, n: np.ndarray, alpha: float):
    """``m[j, i] / (n_j^α · n_i^(1-α))`` (CSR, float32)."""
    from scipy.sparse import csr_matrix

    m = m.tocoo()
    denom = np.power(np.maximum(n[m.row], 1e-12), alpha) * np.power(np.maximum(n[m.col], 1e-12), 1.0 - alpha)
    return csr_matrix(((m.data / denom).astype(np.float32), (m.row, m.col)), shape=m.shape)
