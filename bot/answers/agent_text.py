"""Guideline text written for staff, said to the shopper.

Many stores' policy text is written for their agents, not their customers: "Ask the customer
for the purchase date, return possible within the last 6 months", "Standard shipping is $8.00,
so enter '8' into the box", "let them know that you will ship a new order". Quoting that to a
shopper reads wrong, and the fact is buried in the procedure.

:func:`addressed_to_staff` tells such text apart (it speaks of "the customer" in the third
person, or of the tools: buttons in brackets, forms, fields, the survey); :func:`for_shopper`
keeps what such a unit means for the shopper — its statements, with the procedure
(ask/enter/click …) dropped and the persons turned around ("the customer" → "you", the agent's
"you" → "we") — or ``None`` when it is procedure only. Nothing is added: every word said comes
from the unit.

>>> for_shopper("Standard shipping is $8.00, so enter '8' into the box")
'Standard shipping is $8.00.'
>>> for_shopper("If the customer has been waiting for a week or longer, let them know that you will ship a new order.")
'If you have been waiting for a week or longer, we will ship a new order.'
>>> for_shopper("Silver members: > Ask for the purchase date, return possible within the last 6 months <or> Ask if they have a receipt, get to return if user has receipt")
'Silver members: return possible within the last 6 months, or you can return if you have receipt.'
>>> for_shopper("Enter the member level and then click the [Membership Privileges] option") is None
True
"""

from __future__ import annotations

import re

# The customer spoken of in the third person, or the agent's tools: text written for staff.
_STAFF = re.compile(
    r"\b(the|a|this) (customer|user)s?\b|\bcustomer'?s\b|\b(ask|tell|let|assure|inform|remind) (them|the customer)\b|"
    r"\[[A-Z][^\]]{1,40}\]",
    re.I,
)
# A clause that is procedure for the agent, whatever else it says.
_TOOLING = re.compile(
    r"\[[^\]]+\]|\b(click|toggle|text box|input box|input form|the form|the field|into the box|drop-?down|"
    r"survey|subflow|the flow|this flow|kb query|the oracle|search faq|hide faq|account id|username|"
    r"end conversation|wrap up|the chat|the system|the answer should|copy/paste|enter (it|this|that|the|them|')|"
    r"flows?\b|instructions below|next step|the following|as (usual|always)|in this case|the main effort|"
    r"figuring out which|which (question|kind of question|article)|the toggle|toggle switch)",
    re.I,
)
# Imperatives addressed to the agent, at the start of a clause (after an optional "then"/"so"/"and").
_DIRECTIVE = re.compile(
    r"^(?:(?:then|so|and|also|first|finally|next|please|always|just|otherwise)\s*,?\s+)*"
    r"(ask|enter|type|click|select|choose|fill|submit|record|put|pick|get|gather|find out|check|verify|confirm|"
    r"look up|pull up|explain|apologi[sz]e|offer|remember|end|go|use|follow|start|skip|continue|move|generate|"
    r"send|share|notify|escalate|search|read|decide|input|write|let|tell|inform|assure|remind|make sure|be sure|"
    r"try|feel free|act|wrap|mark|note|keep|do not|don't|never|instruct|have (them|the customer)|provide|"
    r"find|determine|look|add|update|change|proceed|process)\b",
    re.I,
)
# What the agent says, kept without the saying: "let them know that X" → "X".
_SPEECH = re.compile(
    r"^(?:(?:then|so|and|also|finally)\s*,?\s+)*(?:let (?:them|the customer) know|tell (?:them|the customer)|"
    r"explain(?: to (?:them|the customer))?|inform (?:them|the customer)|assure (?:them|the customer)|"
    r"remind (?:them|the customer)|the idea(?: here)? is)(?: that)?\s+",
    re.I,
)
# "ask them if they can charge $20 …" asks for consent to what the store does: "we can charge $20 …".
_ASK_CONSENT = re.compile(r"^(?:then\s+)?ask (?:them|the customer) (?:if|whether) (?:they|we|you) can\s+", re.I)
_GET_TO = re.compile(r"^get to\s+", re.I)
# Routing guidelines name the case a situation is: "then the correct subflow is 'out of date'" → "then it is out of date".
_CASE_NAME = re.compile(r"\b(then\s+)?the (?:correct|right|proper) (?:sub-?flow|flow|category|case) is ['‘\"]([^'’\"]{2,40})['’\"]",
                        re.I)
# The customer's situation told to the agent ("The customer wants to upgrade …", "They are calling about …"):
# what the shopper already knows. A clause saying what the customer can, may or gets is policy and stays.
_SCENARIO = re.compile(r"^(?:the |a |this )?(?:customers?|users?|they)\b(?!\s+(?:can|cannot|can't|may|must|will get|"
                       r"get|gets|are eligible|is eligible|qualify|qualifies|receive|receives|should|need to|needs to|has to|have to|"
                       r"will need to)\b)", re.I)
# A sentence telling the agent what the customer wants or believes: the shopper's own situation, not policy.
_SITUATION = re.compile(r"\b(the|a|this) (customer|user)s? (wants?|believes?|thinks?|would like|is (calling|trying|"
                        r"wondering|asking|complaining|disputing)|has a (question|problem))\b", re.I)
_PARTS = re.compile(r"\s+>\s+|\s*<or>\s*")
_CLAUSES = re.compile(r",\s+")


def addressed_to_staff(text: str) -> bool:
    """True when ``text`` is written for the store's agents ("Ask the customer …", "[Update Order]")."""
    return bool(_STAFF.search(text))


def _persons(clause: str, they_customer: bool = False) -> str:
    """Turn the persons around: the agent's "you" → "we", "the customer" → "you" (and "they" →
    "you" where ``they_customer``: the clause speaks to or of the customer)."""
    they_customer = they_customer or bool(re.search(r"\b(customer|user)s?\b", clause, re.I))
    swaps = [
        (r"\byou will\b", "we will"), (r"\byou can\b", "we can"), (r"\byou need\b", "we need"),
        (r"\byou have\b", "we have"), (r"\byou are\b", "we are"), (r"\byour\b", "our"), (r"\byou\b", "we"),
    ]
    out = clause
    for pat, rep in swaps:
        out = re.sub(pat, rep, out, flags=re.I)
    customer = [
        (r"\b(the|a) (customer|user)'s\b", "your"), (r"\b(the|a|this) (customer|user)s?\b", "you"),
        (r"\bcustomers\b", "you"), (r"\buser\b", "you"),
    ] + ([(r"\bthemselves\b", "yourself"), (r"\btheir\b", "your"), (r"\bthey\b", "you"), (r"\bthem\b", "you")]
         if they_customer else [])
    for pat, rep in customer:
        out = re.sub(pat, rep, out, flags=re.I)
    agree = {"has": "have", "is": "are", "was": "were", "does": "do", "doesn't": "don't", "wants": "want",
             "needs": "need", "knows": "know", "gets": "get", "likes": "like", "chooses": "choose", "chose": "chose"}
    return re.sub(r"\byou (\w+'?\w*)\b", lambda m: f"you {agree.get(m.group(1).lower(), m.group(1))}", out)


def _clause(clause: str, they_customer: bool) -> str | None:
    """One clause for the shopper, or ``None`` when it is procedure only."""
    c = _CASE_NAME.sub(lambda m: f"{m.group(1) or ''}it is {m.group(2)}", clause.strip().strip(",;").strip())
    if not c or _TOOLING.search(c) or c.endswith("?"):  # a question the agent may hear is not an answer
        return None
    consent = _ASK_CONSENT.match(c)
    if consent:
        return "we can " + _persons(c[consent.end():], True)
    speech = _SPEECH.match(c)
    if speech:
        return _persons(c[speech.end():], True)
    if _GET_TO.match(c):
        return "you can " + _persons(c[_GET_TO.match(c).end():], True)
    if _DIRECTIVE.match(c) or _SCENARIO.match(c):
        return None
    return _persons(c, they_customer)


_LEADING = re.compile(r"^(if|when|once|since|because|as|although|while|unless|after|before|in|on|at|with|during|from|"
                      r"under|whether)\b", re.I)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_TRAILING = re.compile(r"^(by|for|otherwise|so|which|then|to|but|and|or|also|as|since|because|such as|i\.?e)\b", re.I)


def _part(part: str, they_customer: bool) -> str:
    """A sentence (or sub-point) with its procedure clauses dropped, and the clauses that only
    lean on a dropped one ("…, since that is the only way to pay", "If …, [dropped]") with them."""
    said = []
    for sentence in _SENTENCES.split(part):
        if _SITUATION.search(sentence):
            continue
        clauses = [c for c in _CLAUSES.split(sentence) if c.strip()]
        kept = [_clause(c, they_customer) for c in clauses]
        for i, c in enumerate(clauses):
            if kept[i] is None:
                continue
            c = c.strip()
            nxt = kept[i + 1] if i + 1 < len(kept) else None
            if i == 0 and (_LEADING.match(c) or _TRAILING.match(c)) and nxt is None:
                kept[i] = None  # a condition or lead-in whose main clause was procedure
            elif i > 0 and _TRAILING.match(c) and kept[i - 1] is None:
                kept[i] = None  # a tail of a dropped clause
        text = ", ".join(k.strip().rstrip(".") for k in kept if k)
        if text:
            said.append(_sentence(text))
    return " ".join(said).rstrip(".")


def _lower_start(text: str) -> str:
    """``"You can …"`` → ``"you can …"``; "GPS …", "'By Mail' …" stay."""
    return text if text[:2] == text[:2].upper() else text[0].lower() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip().rstrip(",;:")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def for_shopper(unit: str) -> str | None:
    """What a unit of staff guidelines means for the shopper (see the module docstring); ``None``
    when it is procedure only. Text that is not addressed to staff comes back unchanged."""
    label, body = "", unit.strip()
    m = re.match(r"^([^:>]{2,60}):\s+(?=\S)", body)
    if m and len(m.group(1).split()) <= (10 if re.match(r"^(if|when|for)\b", m.group(1), re.I) else 6):
        label, body = m.group(1).strip(), re.sub(r"^>\s*", "", body[m.end():])
    they_customer = bool(re.search(r"\b(customer|user)s?\b", unit, re.I))
    alternatives = [said for said in (_part(p, they_customer) for p in _PARTS.split(body)) if said]
    if not alternatives or (len(" ".join(alternatives).split()) <= 3 and not re.search(r"\d", unit)):
        return None  # a form field ("Email Address", "Order ID"), not a statement
    if len(alternatives) > 1 and "<or>" in body:
        said = ", or ".join([alternatives[0]] + [_lower_start(a) for a in alternatives[1:]])
    else:
        said = ". ".join(_sentence(a).rstrip(".") for a in alternatives)
    label_words = set(re.findall(r"\w+", label.lower()))
    if label and not label_words <= set(re.findall(r"\w+", said.lower())):
        rest = _lower_start(said)
        if re.match(r"^(if|when|once|for|unless)\b", label, re.I):  # "If they are gold: > …" → "If you are gold, …"
            return _sentence(f"{_persons(label, they_customer or True)}, {rest}")
        return _sentence(f"{label}: {rest}")
    return _sentence(said)
