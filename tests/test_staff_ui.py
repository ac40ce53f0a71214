"""Staff console formatting (pure helpers) and that the console builds against a service."""

from __future__ import annotations

from web.staff_ui.formatting import latency_rows, packet_markdown, reply_summary, source_rows, turn_html

from .test_web import make_service, make_settings, write_shop

REPLY = {
    "reply": "Within 30 days.", "abstained": False, "intent": "return_policy", "mode": "llm",
    "sentiment": {"label": "negative", "score": 0.8}, "handoff": {"state": "bot"},
    "sources": [{"id": "r#window", "title": "Return window", "score": 0.9}],
    "retrieved": [{"id": "r#window", "title": "Return window", "kind": "policy", "score": 0.91234, "text": "30 days"},
                  {"id": "faq#x", "title": "<b>X</b>", "kind": "faq", "score": 0.5, "text": "x"}],
    "latency": {"total": 0.5, "retrieve": 0.01, "sentiment": 0.002},
}


def test_reply_details_as_rows():
    assert source_rows(REPLY) == [["r#window", "Return window", "policy", 0.912, "✓"], ["faq#x", "<b>X</b>", "faq", 0.5, ""]]
    assert latency_rows(REPLY) == [["sentiment", 2.0], ["retrieve", 10.0], ["total", 500.0]]
    assert "`return_policy`" in reply_summary(REPLY) and "negative (0.80)" in reply_summary(REPLY)


def test_turn_html_escapes_shopper_text(tmp_path):
    service = make_service(make_settings(tmp_path), write_shop(tmp_path / "shop"))
    reply = service.turn("<script>alert(1)</script> How do I cancel an order?")
    service.sessions.add_feedback(reply.session_id, reply.turn_id, -1, "wrong <i>", by="shopper")
    turns = service.sessions.turns(reply.session_id)
    ratings = service.sessions.feedback(reply.session_id)
    html = "".join(turn_html(t, ratings if t.role == "assistant" else []) for t in turns)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "👎 by shopper" in html and "wrong &lt;i&gt;" in html
    assert "faq/orders.md#how-do-i-cancel-an-order" in html


def test_packet_markdown_shows_the_handoff_story():
    case = {"id": 3, "state": "waiting_for_human", "urgency": "high", "reason": "very negative", "created_at": "t", "staff": None,
            "packet": {"summary": "angry about a refund", "intents": ["refund"], "sentiment_timeline": [{"turn": 1, "label": "negative", "polarity": -0.9}],
                       "sources_used": ["r#window"], "recommendations_shown": [], "customer": {"user_id": "u1", "events": [{"type": "purchase", "item_id": "P-1"}]},
                       "transcript": [{"role": "user", "text": "where is my refund"}]}}
    text = packet_markdown(case)
    for part in ("Case 3", "waiting for human", "angry about a refund", "negative (-0.90)", "`r#window`", "purchase P-1", "where is my refund"):
        assert part in text


def test_console_builds(tmp_path):
    from web.staff_ui import build_staff_ui

    service = make_service(make_settings(tmp_path))
    demo = build_staff_ui(service)
    assert demo.title == "Kefu — staff console" and demo.kefu_css
    assert build_staff_ui(service, service.components).title == demo.title
