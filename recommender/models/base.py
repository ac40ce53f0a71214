"""The ``Recommender`` seam: one interface for every model, in the spirit of benfred/implicit.

A model is fitted on :class:`~recommender.interactions.Interactions` and then scores *profiles*:
sparse user × item rows of recency-weighted event weights. Every user — one seen in
training, one with new events, one never seen — is scored from a profile, so fold-in at
request time is the normal path, not a special case (the models with learned user vectors
refit the user vector from the profile, like implicit's ``recalculate_user``).

Subclasses implement four things: ``_fit``, ``score`` (profiles → scores), ``item_similarity``
and ``contributions`` (how much each profile item adds to one item's score, for the
"because you bought X" reason). ``recommend``, ``similar_items``, ``save`` and ``load``
are built on them here. Saved models are a folder with ``model.json`` (name, params, ids)
and ``arrays.npz`` (numbers only, loaded with ``allow_pickle=False``).

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([("u", "a", 1), ("u", "b", 2), ("v", "a", 1), ("v", "c", 2)])
    >>> model = make_model("itemknn").fit(inter)
    >>> ids, scores = model.recommend("u", k=1)
    >>> ids
    ['c']
"""

from __future__ import annotations

import importlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from recommender.interactions import Interactions

#: name → "module:Class"; imported on first use so that importing this module loads no torch.
MODELS: dict[str, str] = {
    "popularity": "recommender.models.popularity:PopularityRecommender",
    "itemknn": "recommender.models.itemknn:ItemKNNRecommender",
    "seqknn": "recommender.models.seqknn:SeqKNNRecommender",
    "ease": "recommender.models.ease:EASERecommender",
    "bpr": "recommender.models.bpr:BPRRecommender",
    "lightgcn": "recommender.models.lightgcn:LightGCNRecommender",
    "hybrid": "recommender.models.hybrid:HybridRecommender",
    "sasrec": "recommender.models.sasrec:SASRecRecommender",
    "blend": "recommender.models.blend:BlendRecommender",
}

FORMAT_VERSION = 1


def model_class(name: str) -> type[Recommender]:
    """The class registered under ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        target = MODELS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def make_model(name: str, **params: Any) -> Recommender:
    """A fresh, unfitted model, e.g. ``make_model("bpr", factors=64, epochs=30)``."""
    return model_class(name)(**params)


def load_model(path: str | Path, **overrides: Any) -> Recommender:
    """Load any saved model folder (the class is read from its ``model.json``)."""
    meta = json.loads((Path(path) / "model.json").read_text(encoding="utf-8"))
    return model_class(meta["model"]).load(path, **overrides)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first (ties: lower index first).

    Example: ``top_k(np.array([0.1, 0.9, -np.inf, 0.5]), 3)`` → ``[1, 3, 0]``.
    """
    finite = np.isfinite(scores)
    k = min(k, int(finite.sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(len(scores))
    part = part[np.isfinite(scores[part])]
    return part[np.lexsort((part, -scores[part]))][:k]


class Recommender(ABC):
    """Base class of every model. Subclasses set ``name`` and ``defaults`` (their params).

    Unknown params raise ``TypeError`` so that a typo fails loudly. Common params:
    ``half_life`` — profiles weight the k-th most recent event by 0.5**(k/half_life)
    (``0`` = no decay).
    """

    name: ClassVar[str] = "base"
    defaults: ClassVar[dict[str, Any]] = {}
    uses_text: ClassVar[bool] = False
    common_defaults: ClassVar[dict[str, Any]] = {"half_life": 0.0}

    def __init__(self, **params: Any) -> None:
        allowed = {**self.common_defaults, **self.defaults}
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise TypeError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(allowed)}")
        self.params: dict[str, Any] = {**allowed, **params}
        self.item_ids: list[str] = []
        self.user_ids: list[str] = []
        self.user_items = None  # csr (n_users, n_items) training profiles
        self.fit_info: dict[str, Any] = {}
        self._item_index: dict[str, int] = {}
        self._user_index: dict[str, int] = {}

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        interactions: Interactions,
        item_texts: dict[str, str] | None = None,
        valid: Interactions | None = None,
        show_progress: bool = False,
    ) -> Recommender:
        """Fit on ``interactions``; ``valid`` (held-out events of the same users) drives early
        stopping in trained models; ``item_texts`` (id → text) is used by text-aware models.
        ``fit_info["cpu_seconds"]`` records the process CPU time of the fit. Returns ``self``."""
        self.item_ids = list(interactions.item_ids)
        self.user_ids = list(interactions.user_ids)
        self._reindex()
        self.user_items = interactions.profiles(self.params["half_life"] or None)
        cpu0 = time.process_time()
        self._fit(interactions, item_texts or {}, valid, show_progress)
        self.fit_info["cpu_seconds"] = time.process_time() - cpu0  # every thread of this process
        return self

    @abstractmethod
    def _fit(
        self, interactions: Interactions, item_texts: dict[str, str], valid: Interactions | None, show_progress: bool
    ) -> None: ...

    # ------------------------------------------------------------------ scoring
    @abstractmethod
    def score(self, profiles, users: np.ndarray | None = None) -> np.ndarray:
        """Scores for every item, float32 (batch, n_items), from CSR profiles (batch, n_items).

        ``users`` (batch,) may give training user indices for rows that are exactly that
        user's training profile (models with learned user vectors then use them; -1 = none)."""

    @abstractmethod
    def item_similarity(self, item: int) -> np.ndarray:
        """Similarity of item index ``item`` to every item, float32 (n_items,)."""

    def contributions(self, items: np.ndarray, weights: np.ndarray, target: int) -> np.ndarray:
        """How much each profile entry (``items[j]`` with ``weights[j]``) adds to ``target``'s
        score, float (len(items),). Models without a per-item decomposition return zeros."""
        return np.zeros(len(items), dtype=np.float32)

    # ------------------------------------------------------------------ profiles
    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def item_index(self, item_id: str) -> int | None:
        return self._item_index.get(str(item_id))

    def user_index(self, user_id: str) -> int | None:
        return self._user_index.get(str(user_id))

    def profile(self, user_id: str | None = None, events: Sequence[tuple[str, float]] = ()):
        """A 1-row CSR profile: the user's training row (if known) plus ``(item_id, weight)``
        events, newest last; unknown item ids are ignored. New events count at full weight
        and the training row is aged by the half-life once per new event."""
        from scipy.sparse import csr_matrix

        row = np.zeros(self.n_items, dtype=np.float32)
        u = self.user_index(user_id) if user_id is not None else None
        hl = self.params["half_life"] or None
        known = [(self.item_index(i), float(w)) for i, w in events]
        known = [(i, w) for i, w in known if i is not None]
        if u is not None and self.user_items is not None:
            base = self.user_items[u].toarray().ravel()
            row += base * (0.5 ** (len(known) / hl) if hl else 1.0)
        for age, (i, w) in enumerate(reversed(known)):
            row[i] += w * (0.5 ** (age / hl) if hl else 1.0)
        return csr_matrix(row[None, :])

    # ------------------------------------------------------------------ serving
    def recommend(
        self,
        user: str | None,
        k: int = 10,
        exclude: Iterable[str] = (),
        events: Sequence[tuple[str, float]] = (),
        filter_already_liked: bool = True,
        allowed: np.ndarray | None = None,
        profile=None,
    ) -> tuple[list[str], np.ndarray]:
        """Top-``k`` item ids and scores for ``user`` (known or not) plus new ``events``.

        Never returns an item in ``exclude``, in the profile (when ``filter_already_liked``),
        or where the boolean mask ``allowed`` (n_items,) is false; returns exactly k items
        when that many remain.
        """
        users = None
        if profile is None:
            profile = self.profile(user, events)
            u = self.user_index(user) if user is not None else None
            users = np.array([u if (u is not None and not events) else -1])
        scores = np.asarray(self.score(profile, users), dtype=np.float64).ravel()
        return self._rank(scores, profile, k, exclude, filter_already_liked, allowed)

    def _rank(self, scores, profile, k, exclude=(), filter_already_liked=True, allowed=None):
        scores = np.nan_to_num(scores, nan=-1e30, posinf=1e30, neginf=-1e30)
        if filter_already_liked and profile is not None:
            scores[profile.indices[profile.data > 0]] = -np.inf
        for item in exclude:
            i = self.item_index(item)
            if i is not None:
                scores[i] = -np.inf
        if allowed is not None:
            scores[~np.asarray(allowed, dtype=bool)] = -np.inf
        idx = top_k(scores, k)
        return [self.item_ids[i] for i in idx], scores[idx].astype(np.float32)

    def similar_items(self, item: str, k: int = 10, allowed: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
        """The ``k`` items most similar to ``item`` (never itself); unknown item → empty."""
        i = self.item_index(item)
        if i is None:
            return [], np.zeros(0, dtype=np.float32)
        scores = np.asarray(self.item_similarity(i), dtype=np.float64).copy()
        scores[i] = -np.inf
        return self._rank(scores, None, k, (), False, allowed)

    # ------------------------------------------------------------------ persistence
    def _arrays(self) -> dict[str, np.ndarray]:
        """Model-specific arrays to save (float/int only)."""
        return {}

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`_arrays` saved."""

    def save(self, path: str | Path) -> Path:
        """Write ``path/model.json`` and ``path/arrays.npz``; returns the folder."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        ui = self.user_items.tocsr()
        arrays = {
            "ui_data": ui.data, "ui_indices": ui.indices, "ui_indptr": ui.indptr,
            **self._arrays(),
        }
        np.savez(path / "arrays.npz", **arrays)
        meta = {
            "format": FORMAT_VERSION, "model": self.name, "params": self.params,
            "fit_info": self.fit_info, "item_ids": self.item_ids, "user_ids": self.user_ids,
        }
        (path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, **overrides: Any) -> Recommender:
        """Load a folder written by :meth:`save`; ``overrides`` replace saved params."""
        from scipy.sparse import csr_matrix

        path = Path(path)
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        if meta.get("model") != cls.name:
            raise ValueError(f"{path} holds a {meta.get('model')!r} model, not {cls.name!r}")
        model = cls(**{**meta["params"], **overrides})
        model.item_ids, model.user_ids = meta["item_ids"], meta["user_ids"]
        model.fit_info = meta.get("fit_info", {})
        model._reindex()
        with np.load(path / "arrays.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        model.user_items = csr_matrix(
            (arrays.pop("ui_data"), arrays.pop("ui_indices"), arrays.pop("ui_indptr")),
            shape=(len(model.user_ids), len(model.item_ids)),
        )
        model._set_arrays(arrays)
        return model

    def _reindex(self) -> None:
        self._item_index = {i: n for n, i in enumerate(self.item_ids)}
        self._user_index = {u: n for n, u in enumerate(self.user_ids)}
