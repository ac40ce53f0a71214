"""What the HTTP APIs send for a reply: its text as a shopper reads it and each source's ``url``.

A source's ``url`` is, in order:

1. the link its record carries in the metadata: a document's front matter (``url: https://…``),
   or a catalogue's link column (``url``, ``link``, ``product_url``, ``product_link``, any
   ``*_url``/``*_link`` that is no image) — ``http(s)://`` or a site path (``/p/123``), nothing else;
2. for a product, the store's product page pattern when the settings carry one
   (``product_url``, ``{id}`` replaced by the product id, e.g. ``https://shop.example/p/{id}``);
3. else ``null``.

The metadata is read from the index by the sources' ids (one read per reply that has sources);
a failed read leaves every ``url`` ``null`` rather than failing the reply.

The reply's text gets :func:`web.chat_render.cjk_spacing` (no stray space between Chinese
characters where bold marks were removed); :class:`SpacedStream` does the same to a reply streamed
in pieces, holding back a trailing space until the next piece says whether it stays.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from web.chat_render import cjk_spacing

log = logging.getLogger("kefu.api")

LINK_KEYS = ("url", "link", "page_url", "product_url", "product_link", "canonical_url", "href")
_LINK_KEY = re.compile(r"(^|[_\s-])(url|link|href)$")
_NOT_A_PAGE = re.compile(r"(^|[_\s-])(image|img|thumbnail|photo|picture|icon)s?([_\s-]|$)")
_SAFE = re.compile(r"^(?:https?://[^\s<>\"']+|/[^\s<>\"']*)$", re.IGNORECASE)
_TAIL = re.compile(r"[ \t]+(?:\*{1,2}|_{1,2}|\[\d*)?$")


def metadata_link(meta: dict) -> str | None:
    """The page link a record's metadata carries, else None.

    >>> metadata_link({"img_link": "https://x/a.jpg", "product_link": "https://shop/p/1"})
    'https://shop/p/1'
    >>> metadata_link({"url": "javascript:alert(1)"}) is None, metadata_link({"source": "faq.md"}) is None
    (True, True)
    """
    keys = [k for k in LINK_KEYS if k in meta]
    keys += sorted(k for k in meta if k not in LINK_KEYS and _LINK_KEY.search(str(k).lower()))
    for key in keys:
        value = str(meta.get(key) or "").strip()
        if value and not _NOT_A_PAGE.search(str(key).lower()) and _SAFE.match(value):
            return value
    return None


def product_page(meta: dict, pattern: str | None) -> str | None:
    """``pattern`` with ``{id}`` as the record's product id (URL-quoted), for a product record; else None.

    >>> product_page({"kind": "product", "product_id": "HL 1001"}, "https://shop.example/p/{id}")
    'https://shop.example/p/HL%201001'
    >>> product_page({"kind": "faq"}, "https://shop.example/p/{id}") is None
    True
    """
    pid = meta.get("product_id") or (meta.get("doc_id") if meta.get("kind") == "product" else None)
    if not pattern or "{id}" not in pattern or not pid:
        return None
    return pattern.replace("{id}", quote(str(pid), safe=""))


def source_url(meta: dict, pattern: str | None = None) -> str | None:
    """A source's ``url``: its own link, else its product page, else None (see the module docstring)."""
    return metadata_link(meta or {}) or product_page(meta or {}, pattern)


def with_urls(sources: list[dict], knowledge, settings=None) -> list[dict]:
    """``sources`` (each ``{id, title, snippet, score}``) with a ``url`` each, read from ``knowledge``'s
    metadata by id; every other field is kept as it was."""
    if not sources:
        return []
    pattern = getattr(settings, "product_url", None) if settings is not None else None
    metas: dict[str, dict] = {}
    if knowledge is not None and hasattr(knowledge, "by_doc_ids"):
        try:
            metas = {s.id: s.metadata for s in knowledge.by_doc_ids([str(s["id"]) for s in sources])}
        except Exception as exc:  # noqa: BLE001 - a missing link must not fail the reply
            log.warning("source links not read (%s); url left null", exc)
    return [s | {"url": source_url(metas.get(str(s["id"]), {}), pattern)} for s in sources]


def api_reply(reply, components=None) -> dict:
    """``reply.to_api()`` as the APIs send it: the text with Chinese spacing mended, sources with ``url``."""
    out = reply.to_api()
    out["reply"] = cjk_spacing(out.get("reply") or "")
    knowledge = getattr(components, "knowledge", None) if components is not None else None
    out["sources"] = with_urls(out.get("sources") or [], knowledge, getattr(components, "settings", None))
    return out


class SpacedStream:
    """A reply streamed in pieces, with :func:`web.chat_render.cjk_spacing` applied across their joins.

    >>> s = SpacedStream()
    >>> [s.push(p) for p in ("可在 ", "**签收后 30 天内** ", "退货。")], s.finish("可在 **签收后 30 天内** 退货。")
    (['可在', '**签收后 30 天内**', '退货。'], '')
    """

    def __init__(self) -> None:
        self.raw = ""
        self.sent = ""

    def push(self, piece: str) -> str:
        """The text to send now for ``piece``: a trailing space (or space and an opening mark) waits."""
        self.raw += piece
        fixed = cjk_spacing(self.raw)
        tail = _TAIL.search(fixed)
        ready = fixed[: tail.start()] if tail else fixed
        if not ready.startswith(self.sent):  # cannot happen with cjk_spacing's local rules; wait for the end
            return ""
        out, self.sent = ready[len(self.sent):], ready
        return out

    def finish(self, final: str) -> str:
        """What is left to send once the whole reply ``final`` is known ("" when it differs from what was sent)."""
        fixed = cjk_spacing(final)
        out = fixed[len(self.sent):] if fixed.startswith(self.sent) else ""
        self.sent += out
        return out
