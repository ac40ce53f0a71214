"""Offline evaluation splits: what a model is fitted on and what it is tested on.

A :class:`Split` (scored by :mod:`tools.recsys.scoring`) holds what a model is fitted on (``train``, plus ``valid`` for early
stopping) and what it is tested on: each test user's ``history`` (the events the model may
see when ranking — also excluded from the ranking) and their ``relevant`` held-out items.

Protocols:

- ``leave-last-out``: per user (time order) the last item is the test target, the one
  before it the validation target, the rest train; users with fewer than 3 events are
  train-only. At test time the history is train + the validation item (a new event the
  model has not trained on: models with user tables fold it in).
- ``stratified-75-25`` (alias ``random-75-25``): a random 75 % of each user's (or item's)
  interactions train, 25 % test, like recommenders' ``python_stratified_split``; every
  held-out interaction is relevant; training items are excluded from the ranking. 5 % of
  the training part (same stratification) is carved out for early stopping.

Example::

    >>> from recommender.interactions import Interactions
    >>> inter = Interactions.from_records([("u", i, t) for t, i in enumerate("abcd")])
    >>> s = leave_last_out(inter)
    >>> [inter.item_ids[i] for i in s.train.items], s.relevant
    (['a', 'b'], [{3}])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.interactions import Interactions, position_in_user

PROTOCOLS = ("leave-last-out", "stratified-75-25", "random-75-25")


@dataclass
class Split:
    train: Interactions
    valid: Interactions | None
    history: Interactions  # what the model sees for each test user (train [+ valid])
    test_users: np.ndarray  # (n_test,) user indices
    relevant: list[set[int]]  # per test user: held-out item indices
    history_is_train: bool = False  # True when history == train (learned user vectors apply)


def leave_last_out(inter: Interactions) -> Split:
    """Last event per user → test, the one before → validation (users with ≥ 3 events)."""
    _, from_end = position_in_user(inter.users)
    n = np.bincount(inter.users, minlength=inter.n_users)[inter.users]
    test = (from_end == 0) & (n >= 3)
    val = (from_end == 1) & (n >= 3)
    train = inter.subset(~test & ~val)
    return Split(
        train=train, valid=inter.subset(val), history=inter.subset(~test),
        test_users=inter.users[test], relevant=[{int(i)} for i in inter.items[test]],
    )


def stratified_split(inter: Interactions, ratio: float = 0.75, by: str = "user", seed: int = 42,
                     valid_share: float = 0.05) -> Split:
    """Random ``ratio`` of each ``by`` group (user or item) to train, the rest to test."""
    if by not in ("user", "item"):
        raise ValueError("stratify by 'user' or 'item'")
    rng = np.random.default_rng(seed)
    group = inter.users if by == "user" else inter.items

    def draw(mask_in: np.ndarray, share: float) -> np.ndarray:
        """Boolean mask: about ``share`` of each group's rows within ``mask_in``, at least one kept out."""
        idx = np.nonzero(mask_in)[0]
        keys = rng.random(len(idx))
        order = np.lexsort((keys, group[idx]))
        idx, g = idx[order], group[idx][order]
        sizes = np.bincount(g, minlength=group.max() + 1)
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        pos = np.arange(len(idx)) - start[g]
        take = pos < np.floor(sizes[g] * share).astype(int)
        out = np.zeros(len(group), dtype=bool)
        out[idx[take]] = True
        return out

    test = draw(np.ones(len(group), dtype=bool), 1.0 - ratio)
    valid = draw(~test, valid_share)
    train = inter.subset(~test & ~valid)
    held = inter.subset(test)
    rel: dict[int, set[int]] = {}
    for u, i in zip(held.users, held.items):
        rel.setdefault(int(u), set()).add(int(i))
    users = np.asarray(sorted(rel), dtype=np.int64)
    return Split(
        train=train, valid=inter.subset(valid), history=train, test_users=users,
        relevant=[rel[int(u)] for u in users], history_is_train=True,
    )


def make_split(inter: Interactions, protocol: str, by: str = "user", seed: int = 42) -> Split:
    if protocol == "leave-last-out":
        return leave_last_out(inter)
    if protocol in ("stratified-75-25", "random-75-25"):
        return stratified_split(inter, 0.75, by, seed)
    raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
