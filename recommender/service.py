"""The recommender as the chat and the HTTP API use it: :class:`RecommenderService`.

``RecommenderService(settings)`` is free to build; ``ready()`` loads the model named by
``settings.recommender_model`` from ``settings.data_dir/recommender/<name>``, or trains it
from ``settings.interactions_path`` + ``settings.products_path`` (seconds on the demo store)
and saves it. A saved model is reused while the two CSVs and the embedder setting are
unchanged (their sizes and modification times are recorded beside it), else retrained.

Every call scores a *profile* built at request time from the user's training history (if
any) plus the ``events`` the caller passes (the app's stored events and this chat's), so a
new event changes the next answer with no retraining. Filters: never an item in the
profile, in ``exclude``, out of stock, over ``max_price`` or outside ``category`` (matched
against category or subcategory). A stated taste (``query``) is parsed for a price cap and
a category, and its text joins the profile as a pseudo-item (hybrid) or, for ID-only
models, ranks by text similarity with the model's score as a tie-breaker.

Reasons: the profile entry that adds most to the item's score ("because you bought X" /
"because you viewed X" / "because you added X to your cart"), the stated taste
('matches “racing games for PS4”'), or "popular now".

Example::

    >>> svc = RecommenderService(Settings(data_dir="/tmp/kefu"))   # loads nothing yet
    >>> svc.recommend("u0001", k=3)                                # doctest: +SKIP
    [Recommendation(item_id='p12', title='…', score=1.73, reason='because you bought …'), …]
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recommender.interactions import EVENT_WEIGHTS, item_text, load_interactions_csv, load_items_csv
from recommender.interface import Event, Recommendation, ShopRecommender
from recommender.query import parse_taste

__all__ = ["Event", "Recommendation", "RecommenderService"]

log = logging.getLogger(__name__)

_VERB = {"purchase": "bought", "cart": "added {} to your cart", "view": "viewed"}
_RANK = {"view": 0, "cart": 1, "purchase": 2}
_WORD = re.compile(r"[\w']+")


def _num(value: Any, default: float | None = None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


_PLATFORM_ATTR = re.compile(r"platform:\s*([^;]+)", re.I)
_PLATFORM_WORDS = {"ps4": "ps4", "ps5": "ps5", "switch": "switch", "xbox": "xbox series x", "pc": "pc"}


def _platform_of(query: str | None) -> str | None:
    """The game platform a stated taste names ("racing games for PS4" → "ps4"), if exactly one."""
    words = {w.lower() for w in _WORD.findall(query or "")}
    found = {v for k, v in _PLATFORM_WORDS.items() if k in words}
    return found.pop() if len(found) == 1 else None


def _because(kind: str, title: str) -> str:
    verb = _VERB.get(kind, "bought")
    return f"because you {verb.format(title)}" if "{}" in verb else f"because you {verb} {title}"


class RecommenderService(ShopRecommender):
    """Facade over one fitted model plus the product table (see module docstring)."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._ready = False
        self.model = None
        self.hot = None  # PopularityRecommender(mode="hot") for hot_items and cold users
        self.products: dict[str, dict[str, str]] = {}
        self._history_kind: dict[str, dict[str, str]] = {}  # user → item → strongest event type
        self._embedder = None
        self._text_vecs: np.ndarray | None = None  # (n_model_items, dim) item texts, for ID-only models
        self._title_vecs: np.ndarray | None = None  # (n_products, dim) titles, for find_items

    # ------------------------------------------------------------------ loading
    @property
    def model_dir(self) -> Path:
        return Path(self.settings.data_dir) / "recommender" / self.settings.recommender_model

    def _fingerprint(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.settings.recommender_model, "embedder": self._embedder_spec()}
        for key in ("interactions_path", "products_path"):
            p = Path(getattr(self.settings, key))
            out[key] = [str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] if p.is_file() else None
        return out

    def _embedder_spec(self) -> str:
        return getattr(self.settings, "embedder", "bundled") or "bundled"

    def embedder(self):
        if self._embedder is None:
            from knowledge.embedder import make_embedder

            self._embedder = make_embedder(self._embedder_spec())
        return self._embedder

    def ready(self) -> None:
        """Load or train the model (once; thread-safe)."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._load()
            self._ready = True

    def _load(self) -> None:
        from recommender.fitting import fit_model, serving_params
        from recommender.models.base import load_model, make_model

        s = self.settings
        products_path, inter_path = Path(s.products_path), Path(s.interactions_path)
        self.products = load_items_csv(products_path) if products_path.is_file() else {}
        inter = None
        if inter_path.is_file():
            inter = load_interactions_csv(inter_path, item_ids=list(self.products) or None)
            for u, i, kind in zip(inter.users, inter.items, inter.types):
                d = self._history_kind.setdefault(inter.user_ids[u], {})
                iid = inter.item_ids[i]
                if _RANK.get(kind, 2) >= _RANK.get(d.get(iid, "view"), 0):
                    d[iid] = kind
        texts = {i: item_text(r) for i, r in self.products.items()}
        fp, fp_path = self._fingerprint(), self.model_dir / "source.json"
        model = None
        if (self.model_dir / "model.json").is_file() and fp_path.is_file():
            try:
                if json.loads(fp_path.read_text(encoding="utf-8")) == fp:
                    model = load_model(self.model_dir)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("recommender: cannot reuse %s (%s); retraining", self.model_dir, exc)
        if model is None:
            name = s.recommender_model if inter is not None and len(inter) else "popularity"
            if inter is None:
                from recommender.interactions import Interactions

                inter = Interactions.from_records([], item_ids=list(self.products))
            log.info("recommender: training %s on %d interactions", name, len(inter))
            model = fit_model(inter, texts, name, serving_params(name, self._embedder_spec()), show_progress=False,
                              embedder=self.embedder())
            model.save(self.model_dir)
            fp_path.write_text(json.dumps(fp), encoding="utf-8")
        if model.uses_text:
            model.embedder = self.embedder()
            missing = [i for i in self.products if model.item_index(i) is None]
            if missing:
                model.add_items(missing, [texts[i] for i in missing])
        self.model = model
        self.hot = make_model("popularity", mode="hot").fit(inter) if inter is not None else model
        self._index_filters()

    def _index_filters(self) -> None:
        ids = self.model.item_ids
        rows = [self.products.get(i) for i in ids]
        known = bool(self.products)
        # (n_items,) arrays aligned with the model's item index
        self._listed = np.asarray([r is not None or not known for r in rows])
        self._price = np.asarray([_num((r or {}).get("price"), np.nan) for r in rows], dtype=np.float64)
        self._stock = np.asarray([_num((r or {}).get("stock"), 1.0) for r in rows], dtype=np.float64)
        self._cats = [
            {(r or {}).get("category", "").lower(), (r or {}).get("subcategory", "").lower()} - {""} for r in rows
        ]
        # platform attribute ("platform: PS4; genre: racing") of each item, lower-cased, or ""
        self._platform = [
            (m.group(1).strip().lower() if (m := _PLATFORM_ATTR.search((r or {}).get("attributes", ""))) else "")
            for r in rows
        ]
        self._categories = sorted(
            {r.get(k, "") for r in self.products.values() for k in ("category", "subcategory")} - {""}
        )

    def _allowed(self, max_price: float | None, category: str | None, platform: str | None = None) -> np.ndarray:
        ok = self._listed & (self._stock > 0)
        if platform:
            ok &= np.asarray([p == platform or not p for p in self._platform])
        if max_price is not None:
            ok &= np.nan_to_num(self._price, nan=np.inf) <= max_price
        if category:
            c = category.lower()
            ok &= np.asarray([c in cats for cats in self._cats])
        return ok

    # ------------------------------------------------------------------ serving
    def title(self, item_id: str) -> str:
        return (self.products.get(item_id) or {}).get("title") or item_id

    def recommend(
        self,
        user_id: str | None,
        k: int,
        events: Sequence[Event] = (),
        query: str | None = None,
        exclude: Iterable[str] = (),
        max_price: float | None = None,
        category: str | None = None,
    ) -> list[Recommendation]:
        """Up to ``k`` recommendations with reasons (exactly ``k`` when that many pass the filters)."""
        self.ready()
        model = self.model
        if k <= 0:
            return []
        ev = [(e.item_id, EVENT_WEIGHTS.get(e.type, 1.0)) for e in events]
        kinds = dict(self._history_kind.get(user_id, {})) if user_id is not None else {}
        for e in events:
            if _RANK.get(e.type, 0) >= _RANK.get(kinds.get(e.item_id, "view"), 0):
                kinds[e.item_id] = e.type
        taste = parse_taste(query, self._categories) if query and query.strip() else None
        if taste is not None:
            if taste.max_price is not None:
                max_price = taste.max_price if max_price is None else min(max_price, taste.max_price)
            category = category or taste.category
        profile = model.profile(user_id, ev)
        known = model.user_index(user_id) if user_id is not None else None
        users = np.array([known if (known is not None and not ev) else -1])
        text_w, text_sim = 0.0, None
        if taste is not None and taste.text:
            text_w = max(float(profile.sum()), 1.0)
            if model.uses_text:
                scores = model.score_with_text(profile, [taste.text], [text_w]).ravel()
            else:
                base = np.asarray(model.score(profile, users), dtype=np.float64).ravel()
                span = base.max() - base.min()
                text_sim = self._item_text_vectors() @ self.embedder().encode([taste.text])[0]
                scores = text_sim + 0.1 * ((base - base.min()) / span if span > 0 else 0.0)
        else:
            scores = model.score(profile, users).ravel()
        ids, vals = model._rank(np.asarray(scores, dtype=np.float64), profile, k, exclude, True,
                                self._allowed(max_price, category, _platform_of(query)))
        items, weights = profile.indices, profile.data
        out = []
        for iid, score in zip(ids, vals):
            t = model.item_index(iid)
            contrib = model.contributions(items, weights, t) if len(items) else np.zeros(0)
            best_hist = float(contrib.max()) if len(contrib) else 0.0
            if model.uses_text and text_w:
                tc = model.text_contribution(taste.text, text_w, float(weights.sum()) + text_w, t)
            else:
                tc = float(text_sim[t]) if text_sim is not None else 0.0
            if taste is not None and taste.text and tc > 0 and tc >= best_hist:
                reason = f"matches “{taste.text}”"
            elif best_hist > 0:
                src = model.item_ids[items[int(np.argmax(contrib))]]
                reason = _because(kinds.get(src, "purchase"), self.title(src))
            else:
                reason = "popular now"
            out.append(Recommendation(iid, self.title(iid), float(score), reason))
        return out

    def similar_items(self, item_id: str, k: int) -> list[Recommendation]:
        """Items bought by the same customers ("customers who bought this also bought")."""
        self.ready()
        ids, vals = self.model.similar_items(item_id, k, allowed=self._allowed(None, None))
        why = f"customers who bought {self.title(item_id)} also bought this"
        return [Recommendation(i, self.title(i), float(v), why) for i, v in zip(ids, vals)]

    def hot_items(self, k: int) -> list[Recommendation]:
        """What sells now (recent-window popularity), in stock only."""
        self.ready()
        hot = self.hot
        allowed = self._allowed(None, None)
        mask = np.asarray([allowed[self.model.item_index(i)] if self.model.item_index(i) is not None else False
                           for i in hot.item_ids])
        ids, vals = hot._rank(hot.hot.astype(np.float64), None, k, (), False, mask)
        return [Recommendation(i, self.title(i), float(v), "popular now") for i, v in zip(ids, vals)]

    def item(self, item_id: str) -> dict | None:
        """The product row with ``price``/``stock``/``rating`` as numbers, or ``None``."""
        self.ready()
        row = self.products.get(str(item_id))
        if row is None:
            return None
        out: dict[str, Any] = dict(row)
        out["id"] = row["item_id"]
        for key in ("price", "rating"):
            if key in out:
                out[key] = _num(out[key])
        if "stock" in out:
            v = _num(out["stock"])
            out["stock"] = int(v) if v is not None else None
        return out

    def find_items(self, text: str, k: int = 3) -> list[str]:
        """Product ids whose title best matches ``text`` ("the Aurora headphones"), best first.

        Score = share of the title's words found in ``text`` + 0.5 × embedding cosine; a
        title needs a shared word or a cosine above 0.5 to count.
        """
        self.ready()
        if not self.products or not text.strip():
            return []
        ids = list(self.products)
        if self._title_vecs is None:
            self._title_vecs = np.asarray(self.embedder().encode([self.products[i].get("title", i) for i in ids]))
        words = {w.lower() for w in _WORD.findall(text)}
        cos = self._title_vecs @ np.asarray(self.embedder().encode([text])[0])
        scored = []
        for n, i in enumerate(ids):
            tw = {w.lower() for w in _WORD.findall(self.products[i].get("title", ""))}
            overlap = len(tw & words) / len(tw) if tw else 0.0
            if overlap > 0 or cos[n] > 0.5:
                scored.append((overlap + 0.5 * float(cos[n]), i))
        scored.sort(key=lambda x: -x[0])
        return [i for _, i in scored[:k]]

    def _item_text_vectors(self) -> np.ndarray:
        if self._text_vecs is None:
            texts = [item_text(self.products.get(i) or {"title": i}) for i in self.model.item_ids]
            self._text_vecs = np.asarray(self.embedder().encode(texts), dtype=np.float32)
        return self._text_vecs
