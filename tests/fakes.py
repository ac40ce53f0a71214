"""Fakes that subclass the real seams, for unit tests (no model is loaded)."""

from __future__ import annotations

from recommender.service import Recommendation, RecommenderService


class FakeRecommender(RecommenderService):
    """Catalogue-backed recommender: recommends in catalogue order, skipping the profile."""

    CATALOGUE = {
        "P-1": {"item_id": "P-1", "title": "Aurora Wireless Headphones", "price": 59.99, "stock": 12},
        "P-2": {"item_id": "P-2", "title": "Turbo Kart Racer", "price": 29.99, "stock": 0},
        "P-3": {"item_id": "P-3", "title": "Trail Dome Tent", "price": 149.0, "stock": 4},
    }

    def __init__(self, settings=None):
        self.calls: list[tuple] = []

    def ready(self) -> None:
        pass

    def title(self, item_id: str) -> str:
        return self.CATALOGUE.get(item_id, {}).get("title", item_id)

    def recommend(self, user_id, k, events=(), query=None, exclude=(), max_price=None, category=None):
        self.calls.append(("recommend", user_id, tuple(e.item_id for e in events), query))
        seen = {e.item_id for e in events} | set(exclude)
        reason = f"matches “{query}”" if query else "popular now"
        items = [i for i, p in self.CATALOGUE.items() if i not in seen and p["stock"] > 0]
        return [Recommendation(i, self.title(i), 1.0 / (n + 1), reason) for n, i in enumerate(items[:k])]

    def similar_items(self, item_id, k):
        self.calls.append(("similar", item_id))
        others = [i for i in self.CATALOGUE if i != item_id]
        return [Recommendation(i, self.title(i), 0.5, f"customers who bought {self.title(item_id)} also bought this")
                for i in others[:k]]

    def hot_items(self, k):
        return [Recommendation(i, self.title(i), 1.0, "popular now") for i in list(self.CATALOGUE)[:k]]

    def item(self, item_id):
        return dict(self.CATALOGUE[item_id]) if item_id in self.CATALOGUE else None

    def find_items(self, text, k=3):
        words = set(text.lower().split())
        return [i for i, p in self.CATALOGUE.items() if words & set(p["title"].lower().split())][:k]
