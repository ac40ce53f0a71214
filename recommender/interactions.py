"""Interaction logs and item tables: the data every recommender model is fitted on.

Holds :class:`Interactions` (one row per event, ids mapped to dense indices, sorted by user
then time), the CSV readers with their one-line :class:`DataError`, event weights, and the
recency-weighted *profile* rows that every model scores from.

Trade-offs: everything is numpy/scipy (no pandas objects leak out); ids are kept as strings
so a CSV id ``"007"`` stays ``"007"``. The item index space is the union of the items CSV
and the interacted items, so an item with text but no interactions still has an index
(the hybrid can recommend it; ID-only models score it at zero).

Example::

    >>> inter = Interactions.from_records([("u1", "a", 1.0), ("u1", "b", 2.0), ("u2", "a", 1.0)])
    >>> inter.n_users, inter.n_items, inter.matrix().toarray().tolist()
    (2, 2, [[1.0, 1.0], [1.0, 0.0]])
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Column names, defined once.
USER_COL, ITEM_COL, TIME_COL, TYPE_COL, RATING_COL = "user_id", "item_id", "timestamp", "type", "rating"
INTERACTION_COLUMNS = (USER_COL, ITEM_COL, TIME_COL)
ITEM_ID_COLS = ("item_id", "id")  # the store's products.csv says ``id``; the contract says ``item_id``

#: How much one event says about taste. A purchase says more than a view.
EVENT_WEIGHTS: dict[str, float] = {"view": 1.0, "cart": 2.0, "purchase": 4.0}


class DataError(ValueError):
    """A CSV the recommender cannot use; ``str(err)`` is a one-line message for the user."""


@dataclass
class Interactions:
    """An event log with dense indices; rows sorted by (user, time).

    ``users``/``items``: int32 (n,) indices into ``user_ids``/``item_ids``;
    ``weights``: float32 (n,) event weights; ``times``: float64 (n,) seconds (or positions).
    """

    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray
    times: np.ndarray
    user_ids: list[str]
    item_ids: list[str]
    types: np.ndarray | None = None  # object (n,) event type names, when known
    _matrix: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        order = np.lexsort((np.arange(len(self.users)), self.times, self.users))
        for name in ("users", "items", "weights", "times", "types"):
            arr = getattr(self, name)
            if arr is not None:
                setattr(self, name, np.asarray(arr)[order])
        self.users = self.users.astype(np.int32)
        self.items = self.items.astype(np.int32)
        self.weights = self.weights.astype(np.float32)
        self.times = self.times.astype(np.float64)

    # ---------------------------------------------------------------- building
    @classmethod
    def from_records(
        cls,
        records: Iterable[tuple],
        item_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> Interactions:
        """From ``(user, item, time[, type_or_weight])`` tuples; ids are turned into strings.

        ``item_ids``/``user_ids`` fix the index order (and may list ids with no events).
        """
        rows = list(records)
        uids = list(user_ids) if user_ids is not None else []
        iids = list(item_ids) if item_ids is not None else []
        umap = {u: i for i, u in enumerate(uids)}
        imap = {it: i for i, it in enumerate(iids)}
        users, items, weights, times, types = [], [], [], [], []
        for row in rows:
            u, it, t = str(row[0]), str(row[1]), float(row[2])
            extra = row[3] if len(row) > 3 else None
            if u not in umap:
                umap[u] = len(uids)
                uids.append(u)
            if it not in imap:
                imap[it] = len(iids)
                iids.append(it)
            users.append(umap[u])
            items.append(imap[it])
            times.append(t)
            if isinstance(extra, str):
                types.append(extra)
                weights.append(EVENT_WEIGHTS.get(extra, 1.0))
            else:
                types.append("purchase")
                weights.append(1.0 if extra is None else float(extra))
        return cls(
            users=np.asarray(users, dtype=np.int32),
            items=np.asarray(items, dtype=np.int32),
            weights=np.asarray(weights, dtype=np.float32),
            times=np.asarray(times, dtype=np.float64),
            user_ids=uids,
            item_ids=iids,
            types=np.asarray(types, dtype=object),
        )

    def subset(self, mask: np.ndarray) -> Interactions:
        """The rows where ``mask`` is true, with the same id lists (indices stay valid)."""
        return Interactions(
            users=self.users[mask],
            items=self.items[mask],
            weights=self.weights[mask],
            times=self.times[mask],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            types=None if self.types is None else self.types[mask],
        )

    # ---------------------------------------------------------------- views
    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    def matrix(self, binary: bool = False):
        """User × item CSR matrix (float32) of summed weights (or 1s where any event)."""
        from scipy.sparse import csr_matrix

        data = np.ones_like(self.weights) if binary else self.weights
        m = csr_matrix((data, (self.users, self.items)), shape=(self.n_users, self.n_items), dtype=np.float32)
        m.sum_duplicates()
        if binary:
            m.data[:] = 1.0
        return m

    def user_indptr(self) -> np.ndarray:
        """Row pointers: user ``u``'s events are rows ``indptr[u]:indptr[u+1]`` (time order)."""
        return np.concatenate([[0], np.cumsum(np.bincount(self.users, minlength=self.n_users))]).astype(np.int64)

    def profiles(self, half_life: float | None = None):
        """Recency-weighted user × item CSR "profile" rows (see :func:`recency_profile`)."""
        return recency_profile(self.users, self.items, self.weights, self.n_users, self.n_items, half_life)


def recency_profile(users, items, weights, n_users: int, n_items: int, half_life: float | None = None):
    """Sum event weights per (user, item), the k-th most recent event scaled by 0.5**(k/half_life).

    Rows must be sorted by (user, time). ``half_life=None`` means no decay.

    Example: one user's events a, b, a (oldest first), weights 1, half_life 1 →
    a: 0.25 + 1.0 = 1.25, b: 0.5.
    """
    from scipy.sparse import csr_matrix

    users = np.asarray(users)
    w = np.asarray(weights, dtype=np.float32).copy()
    if half_life and len(users):
        counts = np.bincount(users, minlength=n_users)
        ends = np.cumsum(counts)[users]  # (n,) one past each row's user's last event
        age = ends - 1 - np.arange(len(users))  # 0 = most recent
        w *= np.power(0.5, age / float(half_life)).astype(np.float32)
    m = csr_matrix((w, (users, np.asarray(items))), shape=(n_users, n_items), dtype=np.float32)
    m.sum_duplicates()
    return m


def position_in_user(users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position from the start, position from the end) of each row within its user's rows.

    Rows must be sorted by user. Example: users ``[0, 0, 0, 1]`` → ``([0, 1, 2, 0], [2, 1, 0, 0])``.
    """
    counts = np.bincount(users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[users]
    pos = np.arange(len(users)) - starts
    return pos, counts[users] - 1 - pos


# -------------------------------------------------------------------- CSV reading
def _read_csv(path: Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{what} file {path} is not a readable CSV: {exc}") from None
    if not header:
        raise DataError(f"{what} file {path} is empty")
    return header, rows


def _parse_times(values: list[str], path: Path) -> np.ndarray:
    try:
        return np.asarray([float(v) for v in values], dtype=np.float64)
    except ValueError:
        pass
    import pandas as pd

    try:
        ts = pd.to_datetime(pd.Series(values), utc=True, format="mixed")
    except (ValueError, TypeError):
        raise DataError(f"{path}: timestamp column has values that are neither numbers nor dates") from None
    return ts.dt.as_unit("ns").astype("int64").to_numpy() / 1e9  # pandas 3 may parse to µs: pin the unit


def load_interactions_csv(path: str | Path, item_ids: Sequence[str] | None = None) -> Interactions:
    """Read ``user_id,item_id,timestamp[,type][,rating]``; raise :class:`DataError` when unusable.

    ``type`` (view/cart/purchase) sets the event weight (:data:`EVENT_WEIGHTS`); without it
    every row is a purchase. ``item_ids`` (from the items CSV) fixes the item index order.
    """
    path = Path(path)
    header, rows = _read_csv(path, "interactions")
    missing = [c for c in INTERACTION_COLUMNS if c not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)} (need {','.join(INTERACTION_COLUMNS)})")
    if not rows:
        raise DataError(f"{path} has a header but no interactions")
    if any(not r.get(USER_COL) or not r.get(ITEM_COL) for r in rows):
        raise DataError(f"{path}: some rows have an empty user_id or item_id")
    times = _parse_times([r.get(TIME_COL) or "0" for r in rows], path)
    types = [(r.get(TYPE_COL) or "purchase").strip().lower() for r in rows]
    unknown = sorted(set(types) - set(EVENT_WEIGHTS))
    if unknown:
        raise DataError(f"{path}: unknown event type(s) {', '.join(unknown[:5])} (use view, cart, purchase)")
    records = [(r[USER_COL].strip(), r[ITEM_COL].strip(), t, ty) for r, t, ty in zip(rows, times, types)]
    return Interactions.from_records(records, item_ids=item_ids)


def load_items_csv(path: str | Path) -> dict[str, dict[str, str]]:
    """Read an items CSV (``item_id`` or ``id``, ``title``, optional others) → {id: row}.

    Example row: ``{"item_id": "p1", "title": "Aurora headphones", "price": "59.0", ...}``.
    """
    path = Path(path)
    header, rows = _read_csv(path, "items")
    id_col = next((c for c in ITEM_ID_COLS if c in header), None)
    if id_col is None or "title" not in header:
        raise DataError(f"{path}: items CSV needs columns item_id (or id) and title")
    if not rows:
        raise DataError(f"{path} has a header but no items")
    items: dict[str, dict[str, str]] = {}
    for r in rows:
        iid = (r.get(id_col) or "").strip()
        if not iid:
            raise DataError(f"{path}: an item row has an empty {id_col}")
        row = {k: (v or "").strip() for k, v in r.items() if k is not None}
        row["item_id"] = iid
        items[iid] = row
    return items


def check_items_cover(inter_path: Path, interactions: Interactions, items: dict[str, dict]) -> None:
    """Raise :class:`DataError` if the interactions name items that the items CSV lacks."""
    unknown = sorted(set(interactions.item_ids[i] for i in np.unique(interactions.items)) - set(items))
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise DataError(f"{inter_path}: item id(s) {', '.join(unknown[:3])}{more} are not in the items file")


def item_text(row: dict[str, str]) -> str:
    """The text the hybrid embeds for an item: title, brand, category path and description.

    Example: ``{"title": "Aurora", "category": "Audio", "description": "Wireless."}`` →
    ``"Aurora. Audio. Wireless."``
    """
    parts = [row.get(k, "") for k in ("title", "brand", "category", "subcategory", "description")]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()) + "."


def load_dataset(
    interactions_path: str | Path, items_path: str | Path | None = None
) -> tuple[Interactions, dict[str, dict[str, str]] | None]:
    """Interactions (item index = items CSV order, then any extra ids) plus the items table."""
    items = load_items_csv(items_path) if items_path else None
    inter = load_interactions_csv(interactions_path, item_ids=list(items) if items else None)
    if items is not None:
        check_items_cover(Path(interactions_path), inter, items)
    return inter, items
