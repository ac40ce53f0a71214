"""When a chat turn shows products, which ones, and the reply that presents them.

- on request (intent ``recommend``): the recommender's picks for the shopper's profile and words;
- next to a product answer: items similar to the product the answer cites;
- for an unhappy customer: only an alternative to the product complained about, never an upsell.

Every fact in :func:`recommend_answer` (title, price) comes from the catalogue.
"""

from __future__ import annotations

from bot.prompts import RECOMMEND_TEXT
from bot.rag import Answer
from bot.turn import Mode


def as_dict(r, reason: str | None = None) -> dict:
    """A recommender result as the public contract shows it."""
    return {"item_id": r.item_id, "title": r.title, "score": round(float(r.score), 4), "reason": reason or r.reason}


def profile_events(sessions, user_id: str | None) -> list:
    """The shopper's stored views, carts and purchases as recommender events."""
    from recommender.service import Event

    return [Event(item_id=i, type=t) for i, t in sessions.events(user_id)] if user_id else []


def recommendations(parts, user_id: str | None, text: str, intent: str, answer: Answer, upset: bool = False) -> list[dict]:
    """Product suggestions for this turn (``parts``: a :class:`bot.components.Components`)."""
    k = parts.settings.recommend_k
    if k <= 0:
        return []
    recommender = parts.recommender
    if upset:
        if intent not in ("complaint", "recommend"):
            return []
        found = recommender.find_items(text, 1)
        if not found:
            return []
        title = recommender.title(found[0])
        return [as_dict(r, f"an alternative to {title}") for r in recommender.similar_items(found[0], k)]
    if intent == "recommend":
        events = profile_events(parts.sessions, user_id)
        return [as_dict(r) for r in recommender.recommend(user_id, k, events=events, query=text)]
    if intent == "product_question":
        shown = [s.metadata.get("product_id") for s in answer.sources if s.metadata.get("product_id")]
        if shown:
            return [as_dict(r) for r in recommender.similar_items(str(shown[0]), k)]
    return []


def recommend_answer(parts, recs: list[dict], lang: str) -> Answer:
    """A reply that presents ``recs``, each line citing the item's catalogue record."""
    from knowledge.prices import format_price

    sources = parts.knowledge.by_doc_ids([r["item_id"] for r in recs])
    lines = []
    for r in recs:
        item = parts.recommender.item(r["item_id"]) or {}
        currency = item.get("currency") or getattr(parts.settings, "currency", "USD")
        price = f" — {format_price(item['price'], currency)}" if isinstance(item.get("price"), (int, float)) else ""
        cite = next((f" [{i}]" for i, s in enumerate(sources, start=1) if s.id == r["item_id"]), "")
        lines.append(f"- **{r['title']}**{price} ({r['reason']}){cite}")
    intro = RECOMMEND_TEXT.get(lang, RECOMMEND_TEXT["en"])
    return Answer(intro + "\n" + "\n".join(lines), False, sources, Mode.RECOMMEND, sources)
