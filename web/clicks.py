"""A shopper clicked a recommendation card: one function for the HTTP API and the Gradio pages.

The click is counted for analytics (``desk.analytics.record_click``) and, for a known
shopper, stored as a "view" so it shapes the next recommendations. Ids that are not valid
(see bot/validation.py) are dropped rather than stored; an unknown item is refused.
"""

from __future__ import annotations

from bot.validation import ITEM_ID_MAX, SESSION_ID_MAX, USER_ID_MAX, id_or_none, valid_id


def record_recommendation_click(sessions, recommender, item_id, session_id=None, user_id=None) -> bool:
    """Store one click; False (nothing stored) when ``item_id`` is not an item of the catalogue."""
    from desk.analytics import record_click

    if not valid_id(item_id, ITEM_ID_MAX) or recommender.item(item_id) is None:
        return False
    sid, uid = id_or_none(session_id, SESSION_ID_MAX), id_or_none(user_id, USER_ID_MAX)
    record_click(sessions, item_id, sid, uid)
    if uid:
        sessions.add_event(uid, item_id, "view")
    return True
