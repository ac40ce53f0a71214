"""When a chat turn shows products, which ones, and the reply that presents them.

- on request (intent ``recommend``): the recommender's picks for the shopper's profile and words;
- next to a product answer: items bought with the product the answer cites, on its platform when it has one;
- for an unhappy customer: only an alternative to the product complained about, never an upsell
  and never a sponsored item.

Reasons are in the shopper's language (the recommender writes them from the taste; the two
fixed ones here are localised). A sponsored pick carries ``"sponsored": true`` and its line in
the reply says so. Every fact in :func:`recommend_answer` (title, price) comes from the catalogue.
"""

from __future__ import annotations

from bot.prompts import RECOMMEND_TEXT, localise_reason
from bot.rag import Answer
from bot.turn import Mode


def as_dict(r, reason: str | None = None, kind: str | None = None) -> dict:
    """A recommender result as the public contract shows it, plus ``reason_kind`` (what the reason
    rests on, for monitoring) and ``"sponsored": true`` on a sponsored one."""
    out = {"item_id": r.item_id, "title": r.title, "score": round(float(r.score), 4), "reason": reason or r.reason}
    if kind or getattr(r, "kind", ""):
        out["reason_kind"] = kind or r.kind
    if getattr(r, "sponsored", False):
        out["sponsored"] = True
    return out


def profile_events(sessions, user_id: str | None) -> list:
    """The shopper's stored views, carts and purchases as recommender events."""
    from recommender.service import Event

    return [Event(item_id=i, type=t) for i, t in sessions.events(user_id)] if user_id else []


def recommendations(parts, user_id: str | None, text: str, intent: str, answer: Answer, upset: bool = False,
                    viewer: str | None = None) -> list[dict]:
    """Product suggestions for this turn (``parts``: a :class:`bot.components.Components`).

    ``viewer`` (the session id, used for an anonymous shopper) is whom a sponsored slot's frequency
    cap counts; without it and without ``user_id`` no sponsored item is shown."""
    from knowledge.lang import detect_lang
    from recommender import reasons

    k = parts.settings.recommend_k
    if k <= 0:
        return []
    lang = detect_lang(text or "")
    recommender = parts.recommender
    if upset:  # an alternative to what they complain about, never an upsell or an advert
        if intent not in ("complaint", "recommend"):
            return []
        found = recommender.find_items(text, 1)
        if not found:
            return []
        why = reasons.text("alternative", lang, recommender.title(found[0]))
        return [as_dict(r, why, "alternative") for r in recommender.similar_items(found[0], k)
                if not getattr(r, "sponsored", False)]
    if intent == "recommend":
        events = profile_events(parts.sessions, user_id)
        extra = {"viewer": viewer} if viewer and not user_id else {}  # a known shopper is counted by user id
        return [as_dict(r) for r in recommender.recommend(user_id, k, events=events, query=text, **extra)]
    if intent == "product_question":
        shown = [s.metadata.get("product_id") for s in answer.sources if s.metadata.get("product_id")]
        if shown:
            why = reasons.text("similar", lang, recommender.title(str(shown[0]))) if lang != "en" else None
            return [as_dict(r, why, "also_bought") for r in also_bought(recommender, str(shown[0]), k)]
    return []


#: How many more "also bought" candidates are read than shown, so that k remain after the platform filter.
OVERFETCH = 5


def platforms(row: dict | None) -> set[str]:
    """The platforms a product row names (``platform: PS5, PS4`` → ``{"ps5", "ps4"}``); empty for none."""
    from recommender.reasons import attributes

    return {p.strip().lower() for p in attributes(row or {}).get("platform", "").split(",") if p.strip()}


def also_bought(recommender, item_id: str, k: int) -> list:
    """Items bought with ``item_id``, at most ``k``, that fit its platform when it has one: next to a PS5
    game, a Switch game is no suggestion. An item naming no platform (headphones) fits any; one naming
    several (a controller for PS5 and PC) fits each of them."""
    own = platforms(recommender.item(item_id))
    if not own:
        return list(recommender.similar_items(item_id, k))[:k]

    def fits(r) -> bool:
        theirs = platforms(recommender.item(r.item_id))
        return not theirs or bool(theirs & own)

    return [r for r in recommender.similar_items(item_id, k * OVERFETCH) if fits(r)][:k]


def recommend_answer(parts, recs: list[dict], lang: str) -> Answer:
    """A reply that presents ``recs``, each line citing the item's catalogue record."""
    from knowledge.prices import format_price
    from recommender import reasons

    sources = parts.knowledge.by_doc_ids([r["item_id"] for r in recs])
    lines = []
    for r in recs:
        item = parts.recommender.item(r["item_id"]) or {}
        currency = item.get("currency") or getattr(parts.settings, "currency", "USD")
        price = f" — {format_price(item['price'], currency)}" if isinstance(item.get("price"), (int, float)) else ""
        cite = next((f" [{i}]" for i, s in enumerate(sources, start=1) if s.id == r["item_id"]), "")
        why = localise_reason(r["reason"], lang)
        if r.get("sponsored"):
            label = reasons.text("sponsored", lang)
            why = f"{label} · {why}" if why else label
        lines.append(f"- **{r['title']}**{price}{with_reason(why, lang)}{cite}")
    intro = RECOMMEND_TEXT.get(lang, RECOMMEND_TEXT["en"])
    return Answer(intro + "\n" + "\n".join(lines), False, sources, Mode.RECOMMEND, sources)


def with_reason(why: str, lang: str) -> str:
    """A reason as it follows an item's line: in brackets, unless it has brackets of its own (a title
    such as "Apex Rush (PS4)", a rating's code): then after a dot, never brackets within brackets.
    Chinese gets a space between Han characters and Latin words (:func:`recommender.reasons.spaced`).

    >>> with_reason("racing, for Switch", "en"), with_reason("because you bought Apex Rush (PS4)", "en")
    (' (racing, for Switch)', ' · because you bought Apex Rush (PS4)')
    >>> with_reason("因为您购买过Aurora", "zh"), with_reason("赛车类，适合 10 岁及以上（ESRB E10+）", "zh")
    ('（因为您购买过 Aurora）', ' · 赛车类，适合 10 岁及以上（ESRB E10+）')
    """
    from recommender.reasons import spaced

    if not why:
        return ""
    if lang == "zh":
        why = spaced(why)
    if any(b in why for b in "()（）"):
        return f" · {why}"
    return f"（{why}）" if lang == "zh" else f" ({why})"
