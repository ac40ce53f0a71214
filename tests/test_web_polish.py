"""Issue 14: what shoppers and integrators touch — chat rendering, restored conversations, one error shape, API keys."""

from __future__ import annotations

import pytest

from web.chat_render import conversation, format_reply, safe_markdown, shopper_text

from .test_web import basic, client_for, make_service, make_settings, write_shop  # noqa: F401 - client_for: a fixture


# -- rendering -----------------------------------------------------------------------------------
def test_shopper_text_is_shown_as_typed():
    text = shopper_text("<img src=x onerror=alert(1)> **hi** [a](javascript:x) # no heading")
    assert "<img" not in text and "&lt;img" in text
    assert "**" not in text and "\\*\\*hi\\*\\*" in text and "\\[a\\]\\(javascript" in text


def test_replies_are_a_safe_markdown_subset():
    out = safe_markdown("**Yes** <script>x()</script> ![t](http://evil/p.png) [ok](https://shop.example) [no](javascript:x)")
    assert out.startswith("**Yes**") and "<script>" not in out and "&lt;script&gt;" in out
    assert "![" not in out and "[ok](https://shop.example)" in out and "](javascript" not in out


def test_queue_notices_are_not_rated():
    notice = format_reply({"reply": "You are number 1 in the queue.", "intent": "contact_human_agent", "mode": "handoff",
                           "handoff": {"state": "waiting_for_human"}})
    answer = format_reply({"reply": "Within 30 days.", "intent": "return_policy", "mode": "faq", "sources": []})
    assert "kefu-norate" in notice and "kefu-norate" not in answer


def test_a_stored_conversation_comes_back_as_shown(tmp_path):
    service = make_service(make_settings(tmp_path), write_shop(tmp_path / "shop"))
    first = service.turn("<b>How</b> do I cancel an order?", user_id="u1")
    sid = first.session_id
    queued = service.turn("I want to talk to a human", session_id=sid, user_id="u1")
    assert queued.handoff["state"] == "waiting_for_human"
    case = service.desk.case_for_session(sid)
    service.desk.take(case.id, "ann")
    service.desk.reply(case.id, "ann", "Hi, I'm Ann <i>here</i>.")
    messages, tids, shown = conversation(service.sessions.turns(sid))
    roles = [m["role"] for m in messages]
    assert roles == ["user", "assistant", "user", "assistant", "assistant", "assistant"]
    assert messages[0]["content"].startswith("&lt;b&gt;How&lt;/b&gt;")
    assert tids[1] == first.turn_id and tids[3] is None  # the answer can be rated, the queue notice not
    assert "Ann · support team" in messages[5]["content"] and "&lt;i&gt;here" in messages[5]["content"]
    assert len(shown) == 2 and tids[4:] == [None, None]


def test_the_page_restores_only_its_own_shoppers_session(tmp_path):
    from web.shopper_ui import build_shopper_ui

    service = make_service(make_settings(tmp_path), write_shop(tmp_path / "shop"))
    demo = build_shopper_ui(service, service.components, compact=True)
    restore = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "restore")
    sid = service.turn("How do I cancel an order?", user_id="u1").session_id

    class Req:
        def __init__(self, user):
            self.query_params = {"user_id": user} if user else {}

    messages, got_sid, tids, _, timer, remembered = restore(sid, Req("u1"))
    assert got_sid == remembered == sid and len(messages) == 2 and timer.active is False
    assert restore(sid, Req("u2"))[1] is None  # another customer on this browser starts afresh
    assert restore("no-such-session", Req("u1"))[1] is None and restore(None, Req(None))[0] == []


# -- one error shape -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def open_client(client_for):
    return client_for()


@pytest.mark.parametrize("body", [b"\xff\xfe\x00\x01", b"{not json", b"\x89PNG\r\n\x1a\n"])
def test_unreadable_bodies_get_the_error_shape(open_client, body):
    resp = open_client.post("/api/chat", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert set(resp.json()["error"]) >= {"message", "type"}


@pytest.mark.parametrize("method,path,allow", [("GET", "/api/chat", "POST"), ("PUT", "/api/feedback", "POST"),
                                               ("DELETE", "/v1/models", "GET"), ("GET", "/v1/chat/completions", "POST"),
                                               ("POST", "/api/recommend", "GET"), ("POST", "/healthz", "GET")])
def test_wrong_methods_get_405_with_allow(open_client, method, path, allow):
    resp = open_client.request(method, path)
    assert resp.status_code == 405 and resp.headers["allow"] == allow
    assert resp.json()["error"]["type"] == "invalid_request_error" and allow in resp.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/api/nope", "/v1/nope", "/api/sessions/unknown/messages"])
def test_unknown_paths_and_ids_get_404_in_the_shape(open_client, path):
    resp = open_client.get(path)
    assert resp.status_code == 404 and resp.json()["error"]["message"]
    if path.startswith("/v1"):
        assert {"param", "code"} <= set(resp.json()["error"])


def test_session_messages_over_http(open_client):
    sid = open_client.post("/api/chat", json={"message": "hello"}).json()["session_id"]
    body = open_client.get(f"/api/sessions/{sid}/messages").json()
    assert body["handoff"]["state"] == "bot" and [m["role"] for m in body["messages"]][:1] == ["user"]


# -- KEFU_API_KEYS -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keyed(client_for):
    return client_for(api_keys="key-one, key-two", staff_users="ann:pw1")


@pytest.mark.parametrize("path", ["/v1/models", "/api/recommend?user_id=u1", "/api/sessions/x/messages"])
def test_api_keys_guard_the_api(keyed, path):
    missing = keyed.get(path)
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert keyed.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert keyed.get(path, headers={"Authorization": "Bearer key-two"}).status_code != 401


def test_with_api_keys_staff_pages_and_health_still_work(keyed):
    assert keyed.get("/api/handoffs", headers=basic("ann", "pw1")).status_code == 200
    assert keyed.get("/api/handoffs", headers=basic("ann", "bad")).status_code == 401
    assert keyed.get("/healthz").status_code in (200, 503)
    for page in ("/", "/widget/"):
        resp = keyed.get(page)
        assert resp.status_code == 200 and "key-one" not in resp.text
    chat = keyed.post("/v1/chat/completions", headers={"Authorization": "Bearer key-one"},
                      json={"model": "kefu", "messages": [{"role": "user", "content": "hello"}]})
    assert chat.status_code == 200
