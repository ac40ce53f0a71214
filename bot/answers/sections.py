"""A document section retrieved through one of its parts answers from the whole section.

Ingestion splits a long section into parts of about 900 characters (:mod:`knowledge.chunking`);
retrieval finds the part nearest the question, but the sentence that answers may sit in the
next part of the same section ("Shipping Cost" opens with who the flow is for; "Standard
shipping is $8.00" comes further down). :func:`whole_sections` gives each retrieved part the
text of its whole section — the parts in order, the overlap between neighbours removed — so
the answer units (:mod:`bot.answers.passages`) are chosen from everything under the heading,
and never from under another one.
"""

from __future__ import annotations

import dataclasses
import logging

from bot.guard import strip_instructions
from knowledge.store import Source

log = logging.getLogger("kefu.sections")
SECTIONS = 4  # only the first few sources compete for the answer (bot.rag.POOL_SOURCES)
_WHOLE_TYPES = ("faq", "product")


def _join(parts: list[str], heading: str) -> str:
    """The parts of one section as one text: each later part's heading line and the overlap
    it repeats from its predecessor dropped."""
    out = parts[0]
    for part in parts[1:]:
        if heading and part.startswith(heading + "\n"):
            part = part[len(heading) + 1:]
        overlap = next((k for k in range(min(len(out), len(part), 400), 20, -1) if out.endswith(part[:k])), 0)
        out = out + part[overlap:] if overlap else out.rstrip() + "\n\n" + part.lstrip()
    return out


def whole_sections(store, sources: list[Source], limit: int = SECTIONS) -> list[Source]:
    """``sources`` with each of the first ``limit`` document parts carrying its whole section's
    text (a source that is a whole section, an FAQ entry or a product is kept as it is)."""
    out = []
    for n, src in enumerate(sources):
        meta = src.metadata
        if n >= limit or src.kind in _WHOLE_TYPES or meta.get("part") is None or not meta.get("section"):
            out.append(src)
            continue
        where = {"$and": [{"source": meta.get("source", "")}, {"section": meta["section"]}]}
        try:
            records = store.records(where=where)
        except Exception:  # noqa: BLE001 - the part alone still answers
            log.exception("section lookup failed")
            out.append(src)
            continue
        parts = sorted(
            (r for r in records if r.metadata.get("variant") not in ("heading", "question")
             and r.metadata.get("lang") == meta.get("lang")),
            key=lambda r: int(r.metadata.get("part") or 0),
        )
        if len(parts) <= 1:
            out.append(src)
            continue
        seen, texts = set(), []
        for r in parts:  # the same heading twice in one file: one text per part number
            if r.metadata.get("part") not in seen:
                seen.add(r.metadata.get("part"))
                texts.append(strip_instructions(r.text))  # documents are data, as in retrieval
        out.append(dataclasses.replace(src, text=_join(texts, str(meta["section"]))))
    return out
