"""A shopper clicked a recommendation card: one function for the HTTP API and the Gradio pages.

The click is counted for analytics (``desk.analytics.record_click``; the staff console's
Recommendations tab ties it to the impression it followed), for a sponsored item's campaign when
the recommender keeps campaigns (its ``record_click(item_id, viewer)``, viewer = the user id, else
the session id) and, for a known shopper, stored as a "view" so it shapes the next
recommendations. Ids that are not valid (see bot/validation.py) are dropped rather than stored;
an unknown item is refused.
"""

from __future__ import annotations

import logging

from bot.validation import ITEM_ID_MAX, SESSION_ID_MAX, USER_ID_MAX, id_or_none, valid_id

log = logging.getLogger(__name__)


def record_recommendation_click(sessions, recommender, item_id, session_id=None, user_id=None) -> bool:
    """Store one click; False (nothing stored) when ``item_id`` is not an item of the catalogue."""
    from desk.analytics import record_click

    if not valid_id(item_id, ITEM_ID_MAX) or recommender.item(item_id) is None:
        return False
    sid, uid = id_or_none(session_id, SESSION_ID_MAX), id_or_none(user_id, USER_ID_MAX)
    record_click(sessions, item_id, sid, uid)
    campaign_click = getattr(recommender, "record_click", None)
    if campaign_click is not None and (uid or sid):
        try:
            campaign_click(item_id, uid or sid)
        except Exception:  # noqa: BLE001 - the click is stored; campaign accounting must not lose it
            log.warning("campaign click for %s not counted", item_id, exc_info=True)
    if uid:
        sessions.add_event(uid, item_id, "view")
    return True
