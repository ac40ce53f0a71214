"""The recommender as the chat service and the web API see it: :class:`ShopRecommender`.

``bot/service.py`` and ``web/`` hold one of these and call only what is listed here:
recommendations with reasons for a user plus their events and a stated taste, "also
bought" items, a product row, a title, and finding a product by name.
Events are not recorded here: the sessions store keeps them and every call passes them in
(``events``), so a new event changes the next answer without retraining.

The real implementation is :class:`recommender.service.RecommenderService`; the unit tests'
fake (``tests/fakes.py``) is another. ``tests/test_recommender_contract.py`` runs the same
contract against both.

Example::

    >>> isinstance(object(), ShopRecommender)
    False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass
class Recommendation:
    """One suggested product: ``Recommendation("p12", "Turbo Kart Racer", 1.73, "because you bought …")``.

    ``sponsored``: the place was filled by a campaign (shown with a "Sponsored" label);
    ``kind``: what the reason rests on (``taste``, ``purchase``, ``cart``, ``view``, ``popular``,
    ``also_bought``, ``alternative``; see :data:`recommender.reasons.KINDS`), for monitoring."""

    item_id: str
    title: str
    score: float
    reason: str
    sponsored: bool = False
    kind: str = ""


@dataclass
class Event:
    """Something a shopper did with an item: ``Event("p12", "cart")``."""

    item_id: str
    type: str  # "view" | "cart" | "purchase"


@runtime_checkable
class ShopRecommender(Protocol):
    """What the chat service and the web API need from a recommender."""

    def ready(self) -> None:
        """Load or train what is needed (once; later calls return at once)."""

    def recommend(self, user_id: str | None, k: int, events: Sequence[Event] = (), query: str | None = None,
                  exclude: Iterable[str] = (), max_price: float | None = None,
                  category: str | None = None) -> list[Recommendation]:
        """Up to ``k`` in-stock items for the user, never one in ``events`` or ``exclude``, best first.

        The real service also takes ``sponsored`` (let campaigns fill the last places, default
        true), ``viewer`` (whom the frequency cap counts; default the user) and ``lang``."""

    def similar_items(self, item_id: str, k: int) -> list[Recommendation]:
        """Up to ``k`` other items bought by the customers who bought ``item_id``."""

    def item(self, item_id: str) -> dict | None:
        """The product row (``price``/``stock``/``rating`` as numbers), or ``None`` for an unknown id."""

    def title(self, item_id: str) -> str:
        """The product's title, or ``item_id`` itself when it has none."""

    def find_items(self, text: str, k: int = 3) -> list[str]:
        """Ids of the products ``text`` names ("the Aurora headphones"), best match first."""
