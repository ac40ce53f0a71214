"""The answer steps that need no generation: small talk, off-topic declines, product facts, follow-ups.

:func:`conversation_answer` handles messages that are not questions for the knowledge base
(pleasantries, general-knowledge requests); :func:`product_answer` answers a question about a
named — or, in a follow-up, the focused — product from the catalogue's structured fields;
:func:`retrieval_query` turns what is left into the question retrieval should see (a follow-up
made self-contained, a complaint mapped to the policy that fits it).

The **focus** of a conversation (:class:`Focus`) is stored with each reply (``data["focus"]``)
and read back from the last one, so follow-ups work across requests and restarts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.answers import complaints, followup, smalltalk
from bot.answers.products import fits_focus
from bot.answers.facts import (asked_attributes, asks_cheaper, cheaper_reply, compose, compose_family, facets,
                                not_found, variant_reply)
from bot.rag import Answer
from bot.turn import Mode
from knowledge.store import Source

log = logging.getLogger("kefu.answers")
_CHINESE = re.compile(r"[\u3400-\u9fff]{2,}")


@dataclass
class Focus:
    """What the conversation is about: the last product discussed and the last self-contained question."""

    product: str | None = None
    question: str | None = None

    def to_data(self) -> dict:
        return {"product": self.product, "question": self.question}


def focus_of(history: list) -> Focus:
    """The focus stored with the latest assistant turn of ``history`` (oldest first)."""
    for t in reversed(history):
        if t.role == "assistant":
            data = (t.data or {}).get("focus") or {}
            return Focus(data.get("product"), data.get("question"))
    return Focus()


def conversation_answer(text: str, lang: str) -> Answer | None:
    """Small talk gets a friendly reply; an off-topic request is declined (abstained, but a decline
    of the request, not of the store's knowledge: it never counts toward a handoff)."""
    kind = smalltalk.small_talk(text)
    if kind:
        table = smalltalk.REPLIES[kind]
        return Answer(table.get(lang, table["en"]), False, [], Mode.SMALLTALK)
    if smalltalk.off_topic(text):
        return Answer(smalltalk.DECLINE.get(lang, smalltalk.DECLINE["en"]), True, [], Mode.OFF_TOPIC)
    return None


def _source(record, score: float = 1.0) -> Source:
    meta = dict(record.metadata)
    return Source(id=str(meta.get("doc_id") or record.id), title=str(meta.get("title") or record.id),
                  text=record.text, score=score, kind="product", metadata=meta)


_POLICY_WORDS = ("return", "refund", "warranty", "exchange", "ship", "deliver", "cancel", "repair", "broken",
                 "damaged", "defective", "faulty", "member", "promo", "coupon", "voucher", "gift wrap", "wrapping",
                 "install", "bulk", "subscription", "account", "password", "invoice", "order", "live chat",
                 "leave a review", "write a review", "payment", "pay with", "paid with", "price match",
                 "退", "换", "保修", "配送", "发货", "会员", "订单", "过期", "有效期", "优惠码", "积分", "寄", "运费", "关税",
                 "兑换码")


def product_answer(catalogue, text: str, lang: str, focus: Focus) -> tuple[Answer | None, Focus]:
    """The catalogue's answer to a product question, and the new focus; ``(None, focus)`` when the
    message is not about a product (then retrieval answers it).

    A Chinese question is matched on its Latin words and model numbers plus the English words of
    the shop terms in it (:func:`bot.answers.crosslingual.lexical_query`), with the dense half
    from the catalogue's cross-lingual embedder; the facts are stated in Chinese."""
    if _CHINESE.search(text):  # "Lumen Fit 手錶續航幾天" asks what "Lumen Fit 手表续航几天" asks
        from knowledge.lang import to_simplified

        text = to_simplified(text)
    if complaints.complaint_kind(text) and (not facets(text) or complaints.reports(text)):
        return None, focus  # "我的耳机坏了", "The Ninja 3 you sent me has a cracked screen!" ask for the damage policy
    finder, records = catalogue.current()
    if lang != "zh" and _CHINESE.search(text):  # "Turbo Karts Party 支持几个玩家？": a Chinese question naming an English title
        lang = "zh"
    asked = facets(text)
    if not asked and focus.question and followup.same_question(text):
        asked = facets(focus.question)  # "and the FX-82MS?" after a price question asks its price
    policy_question = any(w in text.lower() for w in _POLICY_WORDS)
    focused = finder_product(finder, focus.product)
    platform = followup.wanted_platform(text)
    if focused and platform and followup.refers_back(text):  # "and is there a PC version?"
        variant = finder.variant(focused, platform)
        reply = variant_reply(focused, platform, variant, finder.platforms_of(focused), lang)
        shown = variant or focused
        return _answer(reply, [records[shown.id]]), Focus(shown.id, text)
    found = _find(catalogue, finder, text, lang)
    reference = focused or (found.product if found.score >= STRONG_MATCH else None)
    if reference and asks_cheaper(text) and not policy_question:  # "is there a cheaper one?"
        options = finder.cheaper(reference)
        reply = cheaper_reply(reference, options, lang)
        return _answer(reply, [records[p.id] for p in options if p.id in records]), Focus(reference.id, text)
    sibling = finder.sibling_named(focused, text) if focused and not found.missing else None
    if sibling is not None:  # "and the 4GB one?" after the 6GB model
        found.product, found.family, found.score = sibling, [], STRONG_MATCH
    leans_back = focused is not None and sibling is None and (
        followup.refers_back(text) or (asked and not policy_question and followup.elliptical_fact(text)))
    if (focused and sibling is None and asked and not policy_question and not found.missing
            and (found.product is None or found.product.id != focused.id) and fits_focus(text, focused)):
        found.product, found.family, found.score = focused, [], STRONG_MATCH  # "what's the tank capacity?"
    if leans_back and not found.missing and (found.product is None or found.score < STRONG_MATCH):
        # "what's its capacity?" is about the focus; "how do I return it?" stays a policy question
        found.product, found.family, found.score = focused, [], 0.0 if policy_question else STRONG_MATCH
    if found.missing and not policy_question:
        alts = [records[p.id] for p in found.alternatives if p.id in records]
        reply = not_found(found.missing, found.alternatives, lang)
        return Answer(reply, False, [_source(r, 0.0) for r in alts], Mode.PRODUCT), focus
    product = found.product
    weak = found.score < STRONG_MATCH and not asked and not found.family
    if product is None or (policy_question and not asked - {"price"}) or weak:
        return None, Focus(product.id if product else focus.product, focus.question)
    attrs = asked_attributes(text, product)
    if found.family:
        reply = compose_family(found.family, asked, lang, attrs)
        return _answer(reply, [records[p.id] for p in found.family]), Focus(product.id, text)
    reply = compose(product, asked, lang, attrs, text, common=finder.common_words)
    return _answer(reply, [records[product.id]]), Focus(product.id, text)


def _find(catalogue, finder, text: str, lang: str):
    """The finder's resolution of ``text``; a question not in English is matched on its Latin words
    and shop terms, ranked by the cross-lingual embedder (see :func:`product_answer`)."""
    if lang in ("en", "", None):
        return finder.find(text)
    from bot.answers.crosslingual import lexical_query
    from bot.answers.products import tokens

    query = lexical_query(text)
    if not tokens(query):  # no Latin word, model number or shop term: nothing for the dense half to rank
        return finder.find(query, dense=[0.0] * len(finder.products))
    found = finder.find(query, dense=_dense(catalogue, text, lang, finder))
    if not _NAME.search(text):  # "礼品卡会过期吗": only a shop term names a kind of product, not one product
        found.score = min(found.score, STRONG_MATCH - 0.01)
    return found


_NAME = re.compile(r"[A-Za-z0-9]")


def _dense(catalogue, text: str, lang: str, finder):
    """The cross-lingual embedder's similarities for ``text`` (None when it is missing or fails)."""
    dense_for = getattr(catalogue, "dense_for", None)
    try:
        dense = dense_for(text, lang, finder) if dense_for else None
    except Exception:  # noqa: BLE001 - the cross-lingual model failed: the lexical half still answers
        log.exception("cross-lingual product search failed")
        dense = None
    return dense


STRONG_MATCH = 0.6  # a question that asks no product fact must name the product this clearly


def finder_product(finder, product_id: str | None):
    if not product_id:
        return None
    return next((p for p in finder.products if p.id == product_id), None)


def _answer(reply: str, records: list) -> Answer:
    sources = [_source(r) for r in records]
    cite = " [1]" if len(sources) == 1 else ""
    return Answer(f"{reply}{cite}", False, sources, Mode.PRODUCT, list(sources))


def retrieval_query(text: str, lang: str, focus: Focus, previous_questions: list[str]) -> str:
    """What retrieval should see for ``text``: a complaint's policy question, an elliptical
    follow-up rewritten ("and express?" → "How long does express shipping take?"), a short
    anaphoric follow-up prefixed with the previous question, else the message itself."""
    if lang == "zh":  # the Chinese documents are Simplified: "運費怎麼算" is read as "运费怎么算"
        from knowledge.lang import to_simplified

        text = to_simplified(text)
        previous_questions = [to_simplified(q) for q in previous_questions]
    asked = complaints.complaint_query(text, lang)
    if asked and lang == "en":  # the policy's question and how long it has been: a product's name in the
        waited = " ".join(m.group(0) for m in _WAITED.finditer(text))  # complaint would retrieve its record
        questions = " ".join(q.strip() for q in _QUESTION.findall(text))  # …but a question they ask is kept
        return f"{asked} {waited} {questions}".strip()
    if asked:
        return f"{asked} {text}"
    previous = focus.question or (previous_questions[-1] if previous_questions else None)
    rewritten = followup.elliptical(text, previous) if previous else None
    if rewritten:
        return rewritten
    said = previous_questions[-1] if previous_questions else ""
    if said and _ABOUT_ME.match(said) and "?" not in said and len(said.split()) <= 10 and text.rstrip().endswith("?"):
        return f"{said.rstrip('. ')}. {text}"  # "I'm a silver member" then "how long do I have to return something?"
    return followup.resolve_followup(text, previous_questions)


_QUESTION = re.compile(r"[^.!?]*\?")
_WAITED = re.compile(r"\b(\d+|a|one|two|three|four|five|six|ten)\s+(days?|weeks?|months?)\b", re.I)
_ABOUT_ME = re.compile(r"^\s*(i'?m|i am|we'?re|we are|i have|i've|my)\b", re.I)
