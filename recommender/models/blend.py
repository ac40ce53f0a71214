"""A blend of two fitted models: ``score = (1 − w) · z(first) + w · z(second)``.

``z`` standardises each row (mean 0, standard deviation 1, as in the neighbour term,
:func:`recommender.models.neighbours.zscore`) so that scores of different models — SASRec
logits, hybrid cosines, EASE weights — are on one scale. The weight ``w`` is chosen on the
validation split from :data:`WEIGHT_GRID` (``weight=-1``, the default) or fixed by the
caller; 0 and 1 are in the grid, so on validation the blend is never worse than either
member alone. Why: a sequence model (SASRec: "what comes next") and a co-occurrence or text
model (hybrid, EASE: "what goes with what you own") make different mistakes; on Beauty
and Games-6k their mix beats both (figures in ``benchmarks.recsys_quality``).

A member may itself be a blend (``members="blend,sasrec"`` with ``member_params["blend"]``
naming the inner pair): that is how :func:`recommender.fitting.blend_best` mixes three models,
``z(z-mix of two) ⊕ z(third)``, and how such a blend refits and saves (``leaf_names`` lists them).

Two ways to build one:

- ``make_model("blend", members="sasrec,hybrid", member_params={"sasrec": {...}})`` then
  ``fit`` — fits both members on the same data, then ``w`` on ``valid``;
- :meth:`BlendRecommender.from_members` — wraps two models *already fitted* on the same
  interactions (what ``auto`` in :mod:`recommender.fitting` and the benchmark do, so nothing
  is trained twice) and chooses ``w`` on ``valid``.

Profiles: the blend builds profiles with its own ``half_life`` (the first member's); a
member whose ``half_life`` differs is given its own training row when the caller names the
training user, else the blend's profile re-weighted to that member's half-life
(:func:`reweight_profile`: exact for items bought once).
Reasons ("because you bought X") come from the member with the larger weight.

Text: the blend itself has ``uses_text = False`` — it cannot grow its catalogue with
text-only items (``add_items``) since its sequence member has no text; a hybrid member
encodes with the embedder handed to the blend at fit time, or after loading with the one
its own ``embedder`` parameter names.

Saved as a folder: ``model.json`` / ``arrays.npz`` of the blend (ids, profiles, ``w``) and
each member in a subfolder ``member0/``, ``member1/`` (their own format; no pickle).

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([("u", "a", 0), ("u", "b", 1), ("v", "a", 0), ("v", "b", 1), ("w", "c", 0)])
    >>> m = BlendRecommender(members="popularity,itemknn", weight=0.5).fit(inter)
    >>> m.recommend("w", k=1)[0]
    ['a']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from recommender.interactions import Interactions
from recommender.models.base import MODELS, Recommender, load_model, make_model
from recommender.models.neighbours import zscore

#: ``w`` (the second member's share) candidates tried on the validation split.
WEIGHT_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: ``w`` when it is "auto" but there is no validation split.
WEIGHT_DEFAULT = 0.5


def _member_names(members: Any, member_params: Any = None) -> list[str]:
    """The two member names; ``"blend"`` only as a *nested* blend whose ``member_params``
    name its own members (what a greedy blend of three or more models refits as)."""
    names = [m.strip().lower() for m in (members.split(",") if isinstance(members, str) else members) if m.strip()]
    if len(names) != 2:
        raise ValueError(f"blend: members must name exactly two models, got {members!r}")
    nested = isinstance(member_params, dict) and isinstance(member_params.get("blend"), dict) \
        and "members" in member_params["blend"]
    for n in names:
        if n not in MODELS or (n == "blend" and not nested):
            raise ValueError(f"blend: unknown member {n!r}; choose from {', '.join(m for m in MODELS if m != 'blend')}"
                             " (a nested blend needs member_params['blend']['members'])")
    return names


class BlendRecommender(Recommender):
    name = "blend"
    common_defaults = {**Recommender.common_defaults, "half_life": 1.0}
    defaults = {"members": "sasrec,hybrid", "member_params": {}, "weight": -1.0}

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.names = _member_names(self.params["members"], self.params["member_params"])
        self.params["members"] = ",".join(self.names)
        if not isinstance(self.params["member_params"], dict):
            raise TypeError("blend: member_params must map member names to parameter dicts")
        self.members: list[Recommender] = []
        self.w = float(self.params["weight"]) if float(self.params["weight"]) >= 0 else WEIGHT_DEFAULT
        if self.names[0] == self.names[1]:
            raise ValueError("blend: the two members must be different models")
        self.embedder = None  # handed to text members (the hybrid) at fit time

    def leaf_names(self) -> list[str]:
        """The models this blend mixes, nested blends flattened: e.g. ``["seqknn", "ease", "sasrec"]``."""
        out = []
        for n, m in zip(self.names, self.members or [None, None]):
            out.extend(m.leaf_names() if isinstance(m, BlendRecommender) else [n])
        return out

    # ------------------------------------------------------------------ fitting
    @classmethod
    def from_members(cls, first: Recommender, second: Recommender, valid: Interactions | None = None,
                     weight: float = -1.0) -> BlendRecommender:
        """A blend of two models already fitted on the same interactions; ``w`` chosen on
        ``valid`` when ``weight`` is -1 (else fixed). The members are used, not copied."""
        if list(first.item_ids) != list(second.item_ids) or list(first.user_ids) != list(second.user_ids):
            raise ValueError("blend: members must be fitted on the same interactions")
        params = {n: {k: v for k, v in m.params.items() if _jsonable(v)} for n, m in ((first.name, first),
                                                                                     (second.name, second))}
        blend = cls(members=f"{first.name},{second.name}", member_params=params, weight=weight,
                    half_life=first.params.get("half_life", 0.0))
        blend.item_ids, blend.user_ids = list(first.item_ids), list(first.user_ids)
        blend._reindex()
        blend.user_items = first.user_items
        blend.members = [first, second]
        blend._choose_weight(valid)
        return blend

    def _fit(self, interactions: Interactions, item_texts, valid, show_progress) -> None:
        self.members = []
        for n in self.names:
            m = make_model(n, **self.params["member_params"].get(n, {}))
            if self.embedder is not None and (m.uses_text or isinstance(m, BlendRecommender)):
                m.embedder = self.embedder
            m.fit(interactions, item_texts=item_texts, valid=valid, show_progress=show_progress)
            self.members.append(m)
        self._choose_weight(valid)

    def _choose_weight(self, valid: Interactions | None) -> None:
        from recommender.models.torch_loop import validation_ndcg

        self.fit_info["members"] = {m.name: m.fit_info for m in self.members}
        fixed = float(self.params["weight"])
        if fixed >= 0:
            self.w = fixed
        elif valid is None or not len(valid):
            self.w = WEIGHT_DEFAULT
        else:
            cached = _CachedScores(self, valid)
            scores = {}
            for cand in WEIGHT_GRID:
                cached.w = cand
                scores[cand] = validation_ndcg(cached, valid)
            self.w = max(scores, key=scores.get)  # ties: the smaller w (first in the grid)
            self.fit_info["weight_validation"] = {str(k): v for k, v in scores.items()}
            self.fit_info["validation_ndcg@20"] = scores[self.w]
        self.fit_info["weight"] = self.w

    def chosen_params(self) -> dict[str, Any]:
        """Params for a refit on all data: each member's validation choices (epochs, λ, α)
        and the chosen ``w`` fixed."""
        from recommender.fitting import _chosen_params

        mp = {}
        for m in self.members:
            given = {k: v for k, v in m.params.items() if not (k == "l2" and float(v) < 0)}  # -1 = "chosen": take it
            mp[m.name] = {k: v for k, v in _chosen_params(m, given).items() if _jsonable(v)}
        return {"members": ",".join(self.names), "member_params": mp, "weight": float(self.w),
                "half_life": self.params["half_life"]}

    # ------------------------------------------------------------------ scoring
    def member_scores(self, profiles, users=None) -> list[np.ndarray]:
        """Each member's z-scored scores (batch, n_items)."""
        out = []
        for m in self.members:
            prof = profiles
            if m.params.get("half_life") != self.params["half_life"]:
                u = np.asarray(users) if users is not None else np.zeros(0, dtype=np.int64)
                if len(u) and (u >= 0).all() and m.user_items is not None:
                    prof = m.user_items[u]
                else:
                    prof = reweight_profile(profiles, self.params["half_life"], m.params.get("half_life"))
            out.append(zscore(np.asarray(m.score(prof, users), dtype=np.float32)))
        return out

    def score(self, profiles, users=None) -> np.ndarray:
        a, b = self.member_scores(profiles, users)
        return self._mix(a, b, self.w)

    @staticmethod
    def _mix(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
        return ((1.0 - w) * a + w * b).astype(np.float32)

    def item_similarity(self, item: int) -> np.ndarray:
        a, b = (zscore(np.asarray(m.item_similarity(item), dtype=np.float32)[None, :])[0] for m in self.members)
        return self._mix(a, b, self.w)

    def contributions(self, items, weights, target) -> np.ndarray:
        return self.members[1 if self.w > 0.5 else 0].contributions(items, weights, target)

    # ------------------------------------------------------------------ persistence
    def _arrays(self) -> dict[str, np.ndarray]:
        return {"w": np.asarray([self.w], dtype=np.float64)}

    def _set_arrays(self, arrays) -> None:
        self.w = float(arrays["w"][0])

    def save(self, path: str | Path) -> Path:
        path = super().save(path)
        for n, m in enumerate(self.members):
            m.save(path / f"member{n}")
        return path

    @classmethod
    def load(cls, path: str | Path, **overrides: Any) -> BlendRecommender:
        model = super().load(path, **overrides)
        path = Path(path)
        model.members = [load_model(path / f"member{n}") for n in range(2)]
        for n, m in zip(model.names, model.members):
            if m.name != n:
                raise ValueError(f"{path}: member {m.name!r} where {n!r} was saved")
        return model


def reweight_profile(profiles, half_life_from: float | None, half_life_to: float | None):
    """A recency profile built with ``half_life_from`` re-expressed with ``half_life_to``.

    An event of age k weighs ``0.5**(k/h)``, so ``w ** (h_from/h_to)`` is exact for items
    bought once with unit event weight (an approximation otherwise). Without decay in the
    source there is no order to recover (returned as is); without decay in the target every
    item weighs 1.

    Example: weights [1, 0.5, 0.25] (h 1) → h 2: [1, 0.707, 0.5].
    """
    if not half_life_from or half_life_from == half_life_to:
        return profiles
    out = profiles.tocsr(copy=True).astype(np.float32)
    if not half_life_to:
        out.data = (out.data > 0).astype(np.float32)
    else:
        out.data = np.power(np.maximum(out.data, 0.0), float(half_life_from) / float(half_life_to)).astype(np.float32)
    return out


def _jsonable(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool, list, dict))


class _CachedScores:
    """Quacks like a model for :func:`validation_ndcg`: the members' z-scores of the
    validation users are computed once and mixed with ``w``, so trying the grid costs one
    scoring pass per member."""

    def __init__(self, blend: BlendRecommender, valid: Interactions, max_users: int = 3000, seed: int = 0):
        users = np.unique(valid.users)
        if len(users) > max_users:  # the same sample validation_ndcg draws
            users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
        self.user_items = blend.user_items
        self.n_items = blend.n_items
        self.params = blend.params
        self.w = blend.w
        self._row = {int(u): n for n, u in enumerate(users)}
        parts: list[list[np.ndarray]] = [[], []]
        for s in range(0, len(users), 1024):
            bu = users[s : s + 1024]
            for j, z in enumerate(blend.member_scores(blend.user_items[bu], bu)):
                parts[j].append(z)
        self._a, self._b = (np.concatenate(p) if p else np.zeros((0, blend.n_items), np.float32) for p in parts)

    def score(self, profiles, users=None) -> np.ndarray:
        rows = np.asarray([self._row[int(u)] for u in users])
        return BlendRecommender._mix(self._a[rows], self._b[rows], self.w)
