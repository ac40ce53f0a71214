"""Popularity baselines: the most-bought items overall, and "hot" items in a recent window.

The overall score of an item is the number of users who interacted with it; the hot score
counts only events in the last ``hot_days`` before the newest event, each decayed by its
age with a half-life of ``hot_days / 4`` so that this week's sellers lead. The profile is
ignored: everybody gets the same list (minus what they already have), and the reason is
always "popular now". Cheap, strong on skewed data, and the floor every model must beat.

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([("u", "a", 0), ("v", "a", 1), ("v", "b", 2)])
    >>> PopularityRecommender().fit(inter).recommend("u", k=1)[0]
    ['b']
"""

from __future__ import annotations

import numpy as np

from recommender.interactions import Interactions
from recommender.models.base import Recommender, top_k


class PopularityRecommender(Recommender):
    """Scores = distinct users per item (``mode="overall"``) or the hot score (``mode="hot"``)."""

    name = "popularity"
    defaults = {"mode": "overall", "hot_days": 30.0}

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        binary = interactions.matrix(binary=True)
        self.counts = np.asarray(binary.sum(axis=0)).ravel().astype(np.float32)  # (n_items,)
        self.hot = np.zeros(self.n_items, dtype=np.float32)
        if len(interactions):
            times = interactions.times
            span = self.params["hot_days"] * 86400.0
            # Positions instead of epoch seconds (e.g. 0..n): treat the window as a share of the log.
            if times.max() - times.min() < 86400.0 * 2:
                span = max((times.max() - times.min()) * self.params["hot_days"] / 180.0, 1.0)
            age = times.max() - times
            recent = age <= span
            decay = np.power(0.5, age[recent] / (span / 4.0))
            np.add.at(self.hot, interactions.items[recent], (interactions.weights[recent] * decay).astype(np.float32))
        # tiny overall-popularity tie-break so that hot lists are complete when few recent events
        self.hot += 1e-6 * self.counts / max(float(self.counts.max(initial=1.0)), 1.0)

    def _base(self) -> np.ndarray:
        return self.hot if self.params["mode"] == "hot" else self.counts

    def score(self, profiles, users=None) -> np.ndarray:
        return np.broadcast_to(self._base(), (profiles.shape[0], self.n_items)).astype(np.float32)

    def item_similarity(self, item: int) -> np.ndarray:
        return self.counts.copy()

    def hot_items(self, k: int = 10) -> tuple[list[str], np.ndarray]:
        """The ``k`` hottest items and their hot scores."""
        idx = top_k(self.hot.astype(np.float64), k)
        return [self.item_ids[i] for i in idx], self.hot[idx]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts, "hot": self.hot}

    def _set_arrays(self, arrays) -> None:
        self.counts, self.hot = arrays["counts"], arrays["hot"]
