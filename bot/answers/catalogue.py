"""The catalogue as the product step reads it: every product record of the index, kept current.

:class:`CatalogueIndex` reads the index's product records once — with the vectors the index
already holds, so no title is embedded again — and builds a
:class:`~bot.answers.products.ProductFinder` over them (the store's embedder embeds only the
question, for the dense half). Both are rebuilt when the store's ``revision()`` changes, so a
catalogue ingested while the server runs is searched on the next question.

A question in another language than the catalogue's (a Chinese question about an English
title) gets its dense half from a cross-lingual embedder (``cross_lingual``, by default the
bundled multilingual Universal Sentence Encoder): the titles' vectors under that model are
computed on the first such question and kept per index revision
(:class:`~knowledge.revision_cache.PerRevision`). That model ranks well but its cosines are
not comparable across questions, so :func:`bot.answers.crosslingual.relative` turns them
into how far each product stands above the rest before they are fused with the lexical half.
"""

from __future__ import annotations

import logging

from bot.answers.products import Product, ProductFinder
from knowledge.revision_cache import PerRevision

log = logging.getLogger("kefu.catalogue")


class CatalogueIndex:
    """Products of ``store`` and a finder over them, rebuilt when the store changes.

    ``cross_lingual``: the embedder (or a ``make_embedder`` spec) whose vectors rank products
    for questions not in English; ``None`` turns that off (then only the Latin words and model
    numbers of such a question find its product)."""

    def __init__(self, store, currency: str = "USD", cross_lingual="multilingual"):
        self.store = store
        self.currency = currency
        self._cross_spec = cross_lingual
        self._built = PerRevision(store, self._build)  # (finder, {product id: record})
        self._cross = PerRevision(store, self._cross_vectors)  # (product ids, title vectors)

    def _build(self):
        try:
            records = self.store.records(where={"kind": "product"}, embeddings=True)
        except TypeError:  # a store without stored vectors
            records = self.store.records(where={"kind": "product"})
        products, by_id, vectors = [], {}, []
        for rec in records:
            product = Product.from_record(rec.metadata, rec.text, self.currency)
            products.append(product)
            by_id[product.id] = rec
            vectors.append(getattr(rec, "embedding", None))
        embed = getattr(self.store, "embedder", None)
        if embed is None:
            return ProductFinder(products), by_id
        have = [v for v in vectors if v is not None]
        if len(have) == len(vectors) and have:  # the index's own vectors, from this same embedder
            finder = ProductFinder(products, embed=embed.embed_documents, vectors=vectors, embed_query=embed.embed_query)
        else:
            finder = ProductFinder(products, embed=embed.embed_documents, embed_query=embed.embed_query)
        return finder, by_id

    def current(self) -> tuple[ProductFinder, dict]:
        """``(finder, {product id: record})`` for the index as it is now."""
        return self._built.get()

    def finder(self) -> ProductFinder:
        return self.current()[0]

    def record(self, product_id: str):
        return self.current()[1].get(product_id)

    def warm(self, background: bool = True) -> None:
        """Build the finder now, and the cross-lingual title vectors too (in a daemon thread when
        ``background``, so start-up does not wait for the second model)."""
        self.current()
        if self._cross_spec is None:
            return
        if background:
            import threading

            threading.Thread(target=self._warm_cross, name="kefu-catalogue-warm", daemon=True).start()
        else:
            self._warm_cross()

    def _warm_cross(self) -> None:
        try:
            self._cross.get()
        except Exception:  # noqa: BLE001 - warming is best effort; the first Chinese question retries
            log.exception("warming the cross-lingual product vectors failed")

    # -- questions in another language ------------------------------------------------
    @property
    def cross_lingual(self):
        """The cross-lingual embedder (built on first use), or ``None`` when there is none."""
        spec = self._cross_spec
        if spec is None or not isinstance(spec, str):
            return spec
        from knowledge.embedder import make_embedder

        try:
            self._cross_spec = make_embedder(spec)
        except Exception:  # noqa: BLE001 - a missing optional model: Latin words still find products
            log.exception("cross-lingual embedder %r unavailable", spec)
            self._cross_spec = None
        return self._cross_spec

    def _cross_vectors(self):
        import numpy as np

        finder = self.finder()
        embedder = self.cross_lingual
        if embedder is None or not finder.products:
            return [p.id for p in finder.products], None
        titles = [f"{p.title} {p.brand}".strip() for p in finder.products]
        return [p.id for p in finder.products], np.asarray(embedder.embed_documents(titles), dtype="float32")

    def dense_for(self, question: str, lang: str, finder: ProductFinder | None = None):
        """Per-product dense scores for ``question`` in ``lang`` when that is not the catalogue's
        language (aligned with ``finder.products``), else ``None`` (the finder's own embedder)."""
        if lang in ("en", "", None) or self._cross_spec is None:
            return None
        from bot.answers.crosslingual import relative

        finder = finder or self.finder()
        ids, vectors = self._cross.get()
        if vectors is None or ids != [p.id for p in finder.products]:
            return None  # the index changed between the two reads: the next question sees both anew
        import numpy as np

        q = np.asarray(self.cross_lingual.embed_query(question), dtype="float32")
        return relative(vectors @ q)
