"""What a regression run asks and how it judges: :class:`Expectation`, the built-in set, :func:`check`.

The **built-in set** is derived from the index itself, so it fits any store: for every FAQ
entry, one of its alternative phrasings (not the heading, which would match itself) must be
answered citing that entry. Two out-of-scope questions must be declined. Saved cases and
runs are in :mod:`bot.regression`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OUT_OF_SCOPE = [
    "Who won the football world cup in 1998?",
    "What is the boiling point of mercury in kelvin?",
]


@dataclass
class Expectation:
    """One question and what its answer must show."""

    key: str  # stable across runs: "case:12" or "builtin:<source id>"
    question: str
    expected_source: str = ""
    key_facts: list[str] = field(default_factory=list)
    expect_abstain: bool = False
    user_id: str | None = None


def builtin_expectations(knowledge, limit: int | None = None) -> list[Expectation]:
    """One alternative phrasing per FAQ entry in the index (must cite it) + out-of-scope questions."""
    phrasings: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for rec in knowledge.records(where={"$and": [{"kind": "faq"}, {"variant": "question"}]}):
        doc_id = str(rec.metadata.get("doc_id") or "")
        if doc_id and rec.text:
            phrasings.setdefault(doc_id, []).append(rec.text)
            titles[doc_id] = str(rec.metadata.get("title") or "")
    out = []
    for doc_id in sorted(phrasings):
        options = sorted(p for p in phrasings[doc_id] if p.strip().lower() != titles[doc_id].strip().lower())
        question = options[0] if options else titles[doc_id]
        out.append(Expectation(key=f"builtin:{doc_id}", question=question, expected_source=doc_id))
    if limit is not None:
        out = out[:limit]
    if out:  # out-of-scope checks only make sense for a store with knowledge
        out += [Expectation(key=f"builtin:out-of-scope-{n}", question=q, expect_abstain=True) for n, q in enumerate(OUT_OF_SCOPE, 1)]
    return out


# -- checking ---------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def check(exp: Expectation, reply: dict) -> tuple[bool, list[str]]:
    """Does ``reply`` (``Reply.to_api()``) meet ``exp``? Returns (passed, reasons it failed).

    >>> check(Expectation("k", "q", key_facts=["30 days"]), {"reply": "Within 30  days.", "abstained": False, "sources": []})
    (True, [])
    >>> check(Expectation("k", "q", expected_source="a"), {"reply": "x", "abstained": True, "sources": []})
    (False, ['abstained', 'did not cite a'])
    """
    reasons = []
    if exp.expect_abstain:
        if not reply["abstained"]:
            reasons.append("answered instead of declining")
        return not reasons, reasons
    if reply["abstained"]:
        reasons.append("abstained")
    cited = [s["id"] for s in reply.get("sources", [])]
    if exp.expected_source and exp.expected_source not in cited:
        reasons.append(f"did not cite {exp.expected_source}")
    text = _norm(reply.get("reply", ""))
    for fact in exp.key_facts:
        if _norm(fact) not in text:
            reasons.append(f"missing fact {fact!r}")
    return not reasons, reasons
