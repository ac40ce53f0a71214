"""Policy and FAQ answers: the sentence(s) that answer the question, not the whole entry.

A source body is cut into **answer units** that keep the document's structure: sentences of
a paragraph, one unit per list item, one per table row (the row spoken with its column
headers: "Gold — Price: $59 a year; Benefits: …"). A unit never merges two list items or two
rows, so a fact that belongs to one item ("bronze members: 90 days") is never answered from its
neighbour ("guest members: 30 days").

Units are ranked by how much of the question they answer: rare question words they carry
(IDF over the entry's own units, so "bronze" outweighs "return") plus the embedder's
cosine when one is given. The best unit comes first — for a yes/no question that is the one
that decides it — then at most one more unit that adds to it, in document order.

>>> body = "Guest members have 30 days to return an item. Bronze members have 90 days. Refunds take 5 days."
>>> select("I'm a bronze member, how long do I have to return an item?", body, n=1)
['Bronze members have 90 days.']
"""

from __future__ import annotations

import math
import re

_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_MD_MARK = re.compile(r"(\*\*|__|`)")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])|(?<=[。！？])")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*|[\u3400-\u9fff]", re.I)
_STOP = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been it its this that these "
    "those you your we our us they their i me my can could will would should may do does did have has had not "
    "so than then there what which who when where why how all any each some more most also just only very "
    "i'm i've it's there's please".split()
)
_YES_NO = re.compile(r"^\s*(can|could|do|does|did|is|are|was|were|will|would|should|may|am|have|has)\b", re.I)


def strip_markdown(text: str) -> str:
    """``"Click **Save** in [Account](/a)"`` → ``"Click Save in Account"``."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARK.sub("", text)
    return re.sub(r"^\s*#+\s*", "", text, flags=re.M)


def _table_units(lines: list[str]) -> list[str]:
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    rows = [r for r in rows if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
    if len(rows) < 2:
        return [" ".join(" ".join(r) for r in rows)]
    header, out = rows[0], []
    for row in rows[1:]:
        cells = [f"{h}: {c}" for h, c in zip(header[1:], row[1:]) if c]
        name = f"{row[0]} {header[0].lower()}" if header[0] else row[0]  # "Gold plan"
        out.append(f"{name} — " + "; ".join(cells) + "." if cells else name)
    return out


def units(text: str) -> list[str]:
    """The answer units of a body (see the module docstring).

    >>> units("Intro. Second sentence.\\n- Item one\\n- Item two\\n| Plan | Price |\\n| --- | --- |\\n| Gold | $59 |")
    ['Intro.', 'Second sentence.', 'Item one', 'Item two', 'Gold plan — Price: $59.']
    """
    text = strip_markdown(text)
    out: list[str] = []
    table: list[str] = []
    for line in text.splitlines() + [""]:
        stripped = line.strip()
        if stripped.startswith("|"):
            table.append(stripped)
            continue
        if table:
            out.extend(_table_units(table))
            table = []
        if not stripped:
            continue
        item = re.match(r"^(?:[-*+]|\d+[.)])\s+(.*)", stripped)
        if item:
            out.append(item.group(1).strip())
        else:
            out.extend(s.strip() for s in _SENT.split(stripped) if s.strip())
    return [u for u in out if len(u) > 2]


def _words(text: str) -> set[str]:
    return {w.lower().removesuffix("'s") for w in _WORD.findall(text)} - _STOP


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


_SYNONYMS = {"much": "price", "cost": "price", "costs": "price", "fee": "price", "charge": "price"}


def rank(question: str, candidates: list[str], cosine=None) -> list[tuple[float, int]]:
    """``(score, index)`` per unit, best first; ``cosine`` is an optional list of embedding sims."""
    q = {_stem(w) for w in _words(question)}
    q |= {_SYNONYMS[w] for w in q if w in _SYNONYMS}
    unit_words = [{_stem(w) for w in _words(u)} for u in candidates]
    n = len(candidates)
    df = {w: sum(w in uw for uw in unit_words) for w in q}
    idf = {w: math.log(1 + n / df[w]) if df[w] else 0.0 for w in q}
    total = sum(idf.values()) or 1.0
    heads = [_head(u) for u in candidates]
    # The question names one of several parallel items ("bronze" among "Guest members…",
    # "Bronze members…"): the items headed by another word are about someone else.
    named_heads = {h for h in heads if h and h in q and sum(x == h for x in heads) <= 2}
    scores = []
    for i, uw in enumerate(unit_words):
        lexical = sum(idf[w] for w in q & uw) / total
        dense = float(cosine[i]) if cosine is not None else 0.0
        score = lexical + 0.6 * dense
        if named_heads and heads[i] not in named_heads and not named_heads & uw:
            score *= 0.5
        scores.append((score, i))
    return sorted(scores, key=lambda s: -s[0])


def _head(unit: str) -> str:
    """The first meaningful word of a unit, stemmed: its subject in "Bronze members have 90 days"."""
    for w in _WORD.findall(unit):
        w = w.lower()
        if w not in _STOP:
            return _stem(w)
    return ""


def select(question: str, body: str, n: int = 2, embed=None, max_chars: int = 320) -> list[str]:
    """The units of ``body`` that answer ``question``: the best first, then at most ``n - 1`` more
    that score nearly as well, kept in document order after the first.

    ``embed`` (optional) maps a list of texts to unit vectors (the embedder)."""
    return scored(question, body, n, embed, max_chars)[0]


def scored(question: str, body: str, n: int = 2, embed=None, max_chars: int = 320,
           heading: str = "") -> tuple[list[str], float]:
    """:func:`select` and the best unit's score (the IDF-weighted share of the question's words it
    carries, plus 0.6 × its cosine when ``embed`` is given). A question that only names the
    section's ``heading`` ("What is the return window?" under "Return window") is answered by
    the section's opening unit, its topic sentence."""
    cands = units(body)
    if len(cands) <= 1:
        return cands, 1.0 if cands else 0.0
    cosine = None
    if embed is not None:
        import numpy as np

        vecs = np.asarray(embed([question] + cands), dtype="float32")
        cosine = vecs[1:] @ vecs[0]
    ranked = rank(question, cands, cosine)
    q_words = {_stem(w) for w in _words(question)}
    if heading and q_words and q_words <= {_stem(w) for w in _words(heading)}:
        top = ranked[0][0]
        ranked = sorted(((sc + (top if i == 0 else 0.0), i) for sc, i in ranked), key=lambda r: -r[0])
    best_score, best = ranked[0]
    chosen = [best]
    for score, i in ranked[1:n]:
        if score >= 0.75 * best_score and sum(len(cands[j]) for j in chosen) + len(cands[i]) <= max_chars:
            chosen.append(i)
    return [cands[best]] + [cands[i] for i in sorted(chosen[1:])], best_score


def is_yes_no(question: str) -> bool:
    """``is_yes_no("Can I return an opened game?")`` → ``True``; "How long…?" → ``False``."""
    return bool(_YES_NO.match(question))
