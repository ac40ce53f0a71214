"""Feature answers from a product's own free text: the clause that answers the asked feature.

A catalogue export often holds a product's specs only as prose — a long title ("…, Upto 15
Hours Playback, 40MM Drivers, …") and an ``about_product`` blurb ("Playback- It provides a
massive battery backup of upto 15 hours…|Drivers- Its 40mm dynamic drivers…"). A question
such as "How long does the battery last on the boAt Rockerz 450?" is answered from them:

1. :func:`clauses` cuts the title and the description into **clauses** — title segments
   (between commas, bars, brackets, spaced slashes, "with"), description pieces (between ``|``,
   sentences, ``;``), each with its header ("Playback", "Resolution") split off;
2. :func:`best_clause` ranks them by the question's feature words (IDF over the product's own
   clauses, the question's words widened by a small table of what spec words mean — "battery
   last" → playback, playtime, hours; "chip" → processor — and a bonus when the clause holds a
   quantity of the unit the question asks for: hours, mAh, watts, litres…), plus the embedder's
   cosine when one is given;
3. :func:`state` says the clause as a sentence about the product ("The boAt Rockerz 450
   provides a massive battery backup of up to 15 hours…"), "Yes — " first when a yes/no
   question's feature is in it. The words are the product's own: nothing is generated, and
   only this product's text is read, so another product's fact is never the answer.

>>> from bot.answers.products import Product
>>> p = Product("B1", "boAt Rockerz 450 Bluetooth On Ear Headphones with Mic, Upto 15 Hours Playback, 40MM Drivers",
...             text="boAt Rockerz 450 Bluetooth On Ear Headphones\\nPlayback- It provides up to 15 hours of playback."
...                  "|Drivers- Its 40mm dynamic drivers pump out HD audio.")
>>> feature_answer("How long does the battery last on the boAt Rockerz 450?", p)
'The boAt Rockerz 450 has up to 15 hours playback.'
>>> feature_answer("What size are the drivers in the Rockerz 450?", p)
'The boAt Rockerz 450 has 40MM drivers.'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.answers.products import Product, spoken_name, tokens
from bot.answers.specwords import MEANS as _MEANS, QUANTITIES as _QUANTITIES

# --------------------------------------------------------------------------- clauses

_SKIP_LINE = re.compile(r"^(Price|Category|Rating|In stock|Out of stock|Brand)\b")
_HEADER = re.compile(r"^(?P<h>[A-Za-z0-9][\w&+.'’/, -]{0,45}?)\s*(?::|\s?-\s|\s?——\s?|\s[–—]\s)\s*(?P<b>\S.*)$")
_SENTENCE = re.compile(r"(?<=[a-z0-9)%][.!?])\s+(?=[A-Z0-9])")
_SPEC_SPLIT = re.compile(r"\s*;\s*|,\s+(?=[A-Z][\w ]{1,25}\s?:\s)")
_QUANTITY = re.compile(r"^(up to |upto |approx\.? )?\d[\d,.]*\s*-?\s*[a-z%\"]{0,8}\.?$", re.I)
_BULLET = re.compile(r"[\u2705\u2714\u2713\u2611\u2605\u25cf\u2022\u27a4\u25ba\u2b50]\ufe0f?")
_BRACKET_HEADER = re.compile(r"[【\[]([^】\]]{2,40})[】\]]\s*(?:[-–—:]+\s*)?")
_INCLUDES = re.compile(r"\b(includ\w*|in the box|box contents|package contents|components|comes with)\b", re.I)
_TITLE_SPLIT = re.compile(r"\s*(?:,(?!\d{3}\b)|[|()\[\]])\s*|\s+/\s+|\s+[-–]\s+|\s+with\s+|\s+&\s+", re.I)


@dataclass(frozen=True)
class Clause:
    """One statement of a product's text: ``body`` as the reply may say it, its ``header`` if any."""

    body: str
    header: str = ""
    from_title: bool = False
    name_part: bool = False  # the title's first segment, the product's name ("… 1.2 litre Double Wall Kettle")

    @property
    def text(self) -> str:
        return f"{self.header} {self.body}".strip()


def _description_lines(p: Product) -> list[str]:
    lines = p.text.splitlines()[1:] if p.text else []
    out = [ln.strip() for ln in lines if ln.strip() and not _SKIP_LINE.match(ln.strip())]
    if p.description and not any(p.description[:40] in ln for ln in out):
        out.append(p.description)
    return out


def _split_header(piece: str) -> Clause:
    m = _HEADER.match(piece)
    if m and len(m.group("h").split()) <= 6 and not re.search(r"[.!?]$", m.group("h")):
        return Clause(m.group("b").strip(), m.group("h").strip())
    return Clause(piece)


def clauses(p: Product) -> list[Clause]:
    """The title's segments and the description's pieces of ``p`` (see the module docstring)."""
    out: list[Clause] = []
    segments = _TITLE_SPLIT.split(p.title)
    if len(segments) > 1 and re.search(r"\d\s*-?\s*[a-z]", segments[0], re.I):
        out.append(Clause(segments[0].strip(" ."), from_title=True, name_part=True))  # a quantity in the name
    for seg in segments[1:]:
        seg = seg.strip(" .")
        if len(seg) > 2 and re.search(r"[A-Za-z]", seg):
            out.append(Clause(seg, from_title=True))
    for line in _description_lines(p):
        line = _BULLET.sub(" ", line)
        line = _BRACKET_HEADER.sub(lambda m: f"|{m.group(1).strip()}: ", line)  # "【60 workout modes】- This…"
        if re.match(r"^[a-z][a-z ]{1,30}: [^;]+(; [a-z][a-z ]{1,30}: [^;]+)*\.?$", line):
            continue  # the structured attributes line: compose() states those
        for part in re.split(r"\s*\|\s*", line):
            for sentence in _SENTENCE.split(part):
                pieces = _SPEC_SPLIT.split(sentence)
                for piece in pieces:
                    piece = piece.strip(" .;")
                    if len(piece) > 3:
                        clause = _split_header(piece)
                        if clause.body and clause not in out:
                            out.append(clause)
    return out


# --------------------------------------------------------------------------- ranking

_QUESTION_WORDS = frozenset(
    "how what which is are does do did can could the a an of on in for with it its does there what's whats "
    "much many long big does have has get me tell about i you your max maximum".split()
)


def _stem(word: str) -> str:
    """``litres`` → ``litre``, ``batteries`` → ``battery``, ``boxes`` → ``box``, ``glass`` stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> set[str]:
    return {_stem(t) for t in tokens(text)} | {_stem(t) for t in re.findall(r"[a-z]+", text.lower())}


def _named(question: str, p: Product) -> set[str]:
    said = spoken_name(p, question)  # the words the shopper named it by (not the feature list of a long title)
    return set(tokens(said)) | set(tokens(p.brand)) | (set(tokens(p.name)) if said == p.name else set())


def asked_words(question: str, p: Product, widen: bool = True) -> set[str]:
    """The question's feature words (stemmed): its content words less the words that name the
    product, widened (``widen``) by what they mean (:data:`_MEANS`)."""
    name = _named(question, p)
    q = [t for t in tokens(question) if t not in name and t not in _QUESTION_WORDS and len(t) > 1]
    words = set(q)
    if not q and re.search(r"\bhow long (is|are)\b", question, re.I):  # "How long is the cable?" asks its length
        q, words = ["length"], {"length"}
    if widen:
        for t in q:
            words |= set(_MEANS.get(t, "").split())
    return {_stem(w) for w in words}


def wanted_quantities(question: str) -> list[str]:
    """Regexes of the quantities ``question`` asks for (hours, mAh, watts, litres…)."""
    return [rx for ask, rx in _QUANTITIES if re.search(ask, question, re.I)]


def best_clause(question: str, p: Product, embed=None) -> tuple[Clause | None, float]:
    """The clause of ``p``'s text that answers ``question``, and its score (0 when none does)."""
    cands = clauses(p)
    q = asked_words(question, p)
    if not cands or not q:
        return None, 0.0
    words = [_words(c.text) for c in cands]
    n = len(cands)
    idf = {w: math.log(1 + n / (sum(w in cw for cw in words) or n * 4)) for w in q}
    total = sum(idf.values()) or 1.0
    wanted = wanted_quantities(question)
    included = bool(re.search(r"\b(includ\w*|in the box|come with|comes with|what comes)\b", question, re.I))
    cosine = None
    if embed is not None:
        import numpy as np

        vecs = np.asarray(embed([question] + [c.text for c in cands]), dtype="float32")
        cosine = vecs[1:] @ vecs[0]
    scored = []
    for i, (c, cw) in enumerate(zip(cands, words)):
        lexical = sum(idf[w] for w in q & cw) / total
        quantity = 0.5 if any(re.search(rx, c.text, re.I) for rx in wanted) else 0.0
        score = lexical + (quantity if lexical > 0 else quantity / 2)
        score += 0.1 if c.from_title and not c.name_part and lexical > 0 else 0.0  # a title's segments are concise
        score -= 0.35 if c.name_part else 0.0  # the name itself answers only when nothing else does
        score += 0.5 if included and c.header and _INCLUDES.search(c.header) else 0.0  # "Includes: …" says what's in the box
        score += 0.3 * float(cosine[i]) if cosine is not None else 0.0
        scored.append((score, -i, c))
    score, _, clause = max(scored, key=lambda s: (s[0], s[1]))
    lexical_hit = bool(q & _words(clause.text))
    return (clause, score) if lexical_hit and score >= 0.3 else (None, 0.0)


# --------------------------------------------------------------------------- the sentence

_VERBS_S = frozenset(
    "consumes provides offers supports delivers comes runs works features includes has lets allows uses gives "
    "operates ensures enables helps makes keeps holds charges connects measures produces boasts packs sports "
    "weighs comes".split()
)
_IMPERATIVES = frozenset(
    "pair enjoy connect skip shift save experience get use control customise customize charge stream type take "
    "make listen watch play capture switch store carry track cook brew clean".split()
)
_ADJECTIVE_END = ("proof", "able", "ible", "less", "ous", "weight", "ant", "ent")


def _tidy(text: str) -> str:
    """Spacing and spelling a sentence needs: "Upto" → "up to", "28W(at" → "28W (at"."""
    text = re.sub(r"\b[Uu]pto\b", "up to", text)
    text = re.sub(r"(\w)\(", r"\1 (", text)
    return re.sub(r"\s+", " ", text).strip(" .;,")


def lower_words(texts) -> frozenset:
    """The words ``texts`` write in lower case (what :func:`state` may lower-case in a title)."""
    return frozenset(w for t in texts for w in re.findall(r"\b[a-z]{2,}\b", t or ""))


def _common_case(text: str, common: frozenset, first_only: bool = False) -> str:
    """Title Case words the catalogue also writes in lower case ("Hours Playback" → "hours
    playback"); names and codes ("Qualcomm", "Helio G25", "IPX7") keep their spelling."""
    words = text.split(" ")
    for i, w in enumerate(words[:1] if first_only else words):
        if w[:1].isupper() and w[1:].islower() and w.lower() in common:
            words[i] = w.lower()
    return " ".join(words)


def state(clause: Clause, p: Product, name: str, yes: bool = False, common: frozenset = frozenset(),
          noun: str = "", wanted: list[str] = ()) -> str:
    """``clause`` as one sentence about the product called ``name`` (see the module docstring);
    ``common``: words the catalogue writes in lower case; ``noun``: the feature the question
    names ("capacity"), for a clause that is only a quantity ("4.1 Liter"); ``wanted``: the
    quantities the question asks for (:func:`wanted_quantities`)."""
    the = f"the {name}"
    body = _tidy(clause.body)
    first, _, rest = body.partition(" ")
    low = first.lower()
    quantity = next((m for rx in wanted if (m := re.search(rx, body, re.I))), None)
    if clause.name_part and quantity:  # "Havells Aqua Plus 1.2 litre Double Wall Kettle" → "… Kettle holds 1.2 litre"
        rest = re.sub(r"\s+", " ", body[: quantity.start()] + body[quantity.end():]).strip()
        verb = "holds" if re.search(r"l|litre|liter|ml", quantity.group(0).split()[-1], re.I) else "has"
        sentence = f"the {rest} {verb} {quantity.group(0).strip()}"
    elif clause.name_part:
        sentence = f"it's the {body}"
    elif clause.from_title:
        seg = _common_case(body, common)
        if _QUANTITY.match(seg) and noun:
            sentence = f"{the}'s {noun} is {seg}"
        else:
            verb = "is" if seg.split()[-1].lower().endswith(_ADJECTIVE_END) else "has"
            sentence = f"{the} {verb} {seg}"
    elif low in ("it", "this", "they") and rest:
        sentence = f"{the} {rest}"
    elif low in ("it's", "it\u2019s") and rest:
        sentence = f"{the} is {rest}"
    elif low == "its" and rest:
        sentence = f"{the}'s {rest}"
    elif low in _VERBS_S and rest:
        sentence = f"{the} {low} {rest}"
    elif low in _IMPERATIVES and rest:
        sentence = f"with {the}, you can {low} {rest}"
    elif clause.header and _INCLUDES.search(clause.header):  # "Includes: Electric iron, Instruction manual …"
        sentence = f"{the} comes with {_common_case(body, common | {'the', 'a', 'an'})}"
    elif clause.header and low not in ("the", "a", "an") and (
            len(body.split()) <= 6 or (_fragment(body) and len(clause.header.split()) <= 4)):
        header = " ".join(w if (w.isupper() and len(w) <= 4) or re.search(r"\d", w) else w.lower()
                          for w in clause.header.split())  # "Memory, Storage & SIM" → "memory, storage & SIM"
        sentence = f"{the}'s {header} is {_common_case(body, common)}"
    elif _names_product(body, p):
        sentence = body
    elif _fragment(body):  # "Qualcomm Snapdragon 860 Octa-core processor" → "The Xiaomi Pad 5 has …"
        body = _unshout(body)
        first_word = body.split()[0].lower()
        verb = "is" if first_word in _STATES or first_word.endswith(_ADJECTIVE_END) else "has"
        sentence = f"{the} {verb} {_common_case(body, common | {'the', 'a', 'an'}, first_only=True)}"
    else:
        sentence = f"{the}: {_common_case(body, common | {'the', 'a', 'an'}, first_only=True)}"
    sentence = sentence[:1].upper() + sentence[1:]
    if yes:
        sentence = "Yes — " + (sentence[:1].lower() + sentence[1:] if sentence.startswith(("The ", "With ")) else sentence)
    sentence = sentence if len(sentence) <= 260 else sentence[:257].rsplit(" ", 1)[0] + "…"
    return sentence if sentence.endswith(("…", ".", "!", "?")) else sentence + "."


_FINITE = re.compile(r"\b(is|are|was|were|has|have|had|can|could|will|would|should|may|lets|gives|makes|keeps|"
                     r"comes|works|runs|takes|uses|offers|provides|supports|features|includes|delivers|allows|"
                     r"ensures|enables|helps|holds|charges|connects|consists|brings|protects|prevents|reduces)\b", re.I)
_STATES = frozenset("suitable ideal compatible perfect great designed made available easy light lightweight "
                    "portable durable safe fully".split())


def _fragment(body: str) -> bool:
    """A clause that is a noun or adjective phrase with no verb ("5000 mAh lithium polymer battery",
    "SUITABLE FOR MID AND LOW-RISE BUILDINGS with 6.5 bar pressure rating"), short enough to say."""
    words = body.split()
    return 1 <= len(words) <= 18 and not _FINITE.search(body) and words[0][:1].isalnum() and \
        words[0].lower() not in ("the", "a", "an", "and", "or", "with", "for", "to")


def _unshout(text: str) -> str:
    """A run of three or more capitals-only words in lower case ("SUITABLE FOR MID AND LOW-RISE
    BUILDINGS" → "suitable for mid and low-rise buildings"); an acronym alone ("IPX7 USB") stays."""
    words = text.split()
    shout = [bool(re.fullmatch(r"[A-Z][A-Z'-]*", w)) for w in words]
    out = []
    for i, w in enumerate(words):
        run = shout[i] and (sum(shout[max(0, i - 2): i + 1]) == 3 or sum(shout[i: i + 3]) == 3 or
                            (0 < i < len(words) - 1 and shout[i - 1] and shout[i + 1]))
        out.append(w.lower() if run else w)
    return " ".join(out)


def _names_product(body: str, p: Product) -> bool:
    if not re.match(r"[A-Za-z]", body) or re.match(r"(up|upto)\b", body, re.I):  # "Up to 130MB/s read speed"
        return False
    head = set(tokens(body.split()[0]))  # the sentence starts with the product's name ("Airdopes 121v2 offers …")
    return bool(head & (set(tokens(p.name)) - {"the"})) and body[:1].isupper()


_YES_NO = re.compile(r"^\s*(is|are|does|do|can|has|have|will|could)\b", re.I)


def feature_answer(question: str, p: Product, embed=None, common: frozenset = frozenset()) -> str:
    """The sentence of ``p``'s own text that answers the feature ``question`` asks, or ``""``
    (``embed``: the embedder, for the dense half of the ranking; ``common``: words the catalogue
    writes in lower case, so the sentence does not keep an export's Title Case)."""
    clause, _ = best_clause(question, p, embed)
    if clause is None:
        return ""
    common = common or lower_words([p.text, p.description])
    said = asked_words(question, p, widen=False)
    nouns = [t for t in tokens(question) if _stem(t) in said and not re.search(r"\d", t)]
    yes = bool(_YES_NO.match(question)) and bool(said & _words(clause.text))  # "waterproof" in "IPX7 Waterproof"
    return state(clause, p, spoken_name(p, question), yes, common, nouns[-1] if len(nouns) == 1 else "",
                 wanted_quantities(question))
