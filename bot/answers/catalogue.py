"""The catalogue as the product step reads it: every product record of the index, kept current.

:class:`CatalogueIndex` reads the index's product records once, builds a
:class:`~bot.answers.products.ProductFinder` over them (titles embedded with the shared
embedder for the dense half), and rebuilds it when the store's ``revision()`` changes — so
a catalogue ingested while the server runs is searched on the next question.
"""

from __future__ import annotations

from bot.answers.products import Product, ProductFinder
from knowledge.revision_cache import PerRevision


class CatalogueIndex:
    """Products of ``store`` and a finder over them, rebuilt when the store changes."""

    def __init__(self, store, currency: str = "USD"):
        self.store = store
        self.currency = currency
        self._built = PerRevision(store, self._build)  # (finder, {product id: record})

    def _build(self):
        records = self.store.records(where={"kind": "product"})
        products, by_id = [], {}
        for rec in records:
            product = Product.from_record(rec.metadata, rec.text, self.currency)
            products.append(product)
            by_id[product.id] = rec
        embed = getattr(self.store, "embedder", None)
        finder = ProductFinder(products, embed=embed.embed_documents if embed is not None else None)
        return finder, by_id

    def current(self) -> tuple[ProductFinder, dict]:
        """``(finder, {product id: record})`` for the index as it is now."""
        return self._built.get()

    def finder(self) -> ProductFinder:
        return self.current()[0]

    def record(self, product_id: str):
        return self.current()[1].get(product_id)
