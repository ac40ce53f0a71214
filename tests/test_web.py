"""The web shell: framing headers (CSP frame-ancestors), the staff gate, click tracking.

Also holds the helpers the other web tests import: :func:`make_service` (a ChatService
with fakes over an indexed tiny store) and :func:`live_server` (the real app under uvicorn
on 127.0.0.1, on a free port, in a background thread).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from settings import Settings
from web.security import basic_credentials, frame_ancestors, valid_origins

from .conftest import FAQ_MD, POLICY_MD, PRODUCTS_CSV
from .fakes import FakeRecommender

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_shop(root):
    (root / "faq").mkdir(parents=True, exist_ok=True)
    (root / "products.csv").write_text(PRODUCTS_CSV)
    (root / "faq" / "orders.md").write_text(FAQ_MD)
    (root / "returns.md").write_text(POLICY_MD)
    return root


def make_settings(tmp, **overrides) -> Settings:
    values = dict(_env_file=None, data_dir=tmp / "data", llm="fake", embedder="fake", sentiment_model="fake", collection="test")
    return Settings(**(values | overrides))


def make_service(settings: Settings, shop_dir=None, **overrides):
    """A ChatService with the fake LLM/embedder/sentiment and :class:`FakeRecommender`; the shop indexed.

    ``overrides`` replace any of those collaborators (``llm=FakeLLM(delay=0.08)``)."""
    from bot.service import ChatService
    from knowledge.embedder import make_embedder
    from knowledge.ingest import ingest
    from knowledge.store import KnowledgeStore

    embedder = make_embedder("fake")
    knowledge = KnowledgeStore(settings, embedder)
    if shop_dir is not None:
        ingest(knowledge, [shop_dir], progress=False)
    parts = dict(knowledge=knowledge, embedder=embedder, recommender=FakeRecommender()) | overrides
    return ChatService(settings, **parts)


def live_server(app):
    """Serve ``app`` with uvicorn on 127.0.0.1:<free port>; a context manager yielding the base URL."""
    from tests.fixtures.servers import serve_in_thread

    return serve_in_thread(app, timeout_graceful_shutdown=2)


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def client_for(tmp_path_factory):
    """``client_for(**settings)`` → a TestClient on the full app (fakes, empty index), one per configuration."""
    from fastapi.testclient import TestClient

    from app import create_app

    clients: dict = {}

    def build(**overrides):
        key = tuple(sorted(overrides.items()))
        if key not in clients:
            settings = make_settings(tmp_path_factory.mktemp("web"), **overrides)
            client = TestClient(create_app(settings, make_service(settings), warm=False))
            client.__enter__()
            clients[key] = client
        return clients[key]

    yield build
    for client in clients.values():
        client.__exit__(None, None, None)


# -- pure helpers ------------------------------------------------------------------------------
def test_frame_ancestors_lists_only_well_formed_origins():
    assert frame_ancestors(["https://shop.example", "http://127.0.0.1:8000/"]) == (
        "frame-ancestors https://shop.example http://127.0.0.1:8000"
    )
    assert frame_ancestors([]) == "frame-ancestors 'none'"
    # header injection and junk are dropped, not passed through
    assert valid_origins(["https://a.example; script-src *", "javascript:alert(1)", "*", "https://*.shop.example"]) == [
        "https://*.shop.example"
    ]


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Basic " + base64.b64encode(b"ann:p:w").decode(), ("ann", "p:w")),
        ("basic " + base64.b64encode("zoë:密码".encode()).decode(), ("zoë", "密码")),
        ("Basic !!!", None),
        ("Bearer abc", None),
        ("Basic " + base64.b64encode(b"no-colon").decode(), None),
        (None, None),
        ("", None),
    ],
)
def test_basic_credentials(header, expected):
    assert basic_credentials(header) == expected


# -- framing -------------------------------------------------------------------------------------
def test_widget_may_be_framed_only_by_allowed_origins(client_for):
    client = client_for(allowed_origins="https://shop.example, http://127.0.0.1:8000", staff_users="ann:pw")
    resp = client.get("/widget/")
    assert resp.status_code == 200
    assert resp.headers["content-security-policy"] == "frame-ancestors https://shop.example http://127.0.0.1:8000"
    assert "x-frame-options" not in resp.headers
    # the widget's own assets and API calls carry the same policy
    assert client.get("/widget/config").headers["content-security-policy"].startswith("frame-ancestors https://shop")


def test_widget_refuses_framing_when_no_origin_is_configured(client_for):
    resp = client_for().get("/widget/")
    assert resp.headers["content-security-policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/", "/staff/", "/healthz", "/api/recommend?user_id=u1", "/v1/models"])
def test_everything_but_the_widget_refuses_framing(client_for, path):
    client = client_for(allowed_origins="https://shop.example", staff_users="ann:pw")
    resp = client.get(path, headers=basic("ann", "pw"))
    assert resp.status_code == 200, (path, resp.text[:200])
    assert resp.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert resp.headers["x-frame-options"] == "DENY"


# -- the staff gate ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/staff", "/staff/", "/staff/config", "/api/handoffs"])
def test_staff_is_refused_entirely_without_staff_users(client_for, path):
    resp = client_for().get(path, headers=basic("ann", "pw"))
    assert resp.status_code == 403
    assert "KEFU_STAFF_USERS" in resp.text


@pytest.mark.parametrize("path", ["/staff/", "/staff/config", "/staff/gradio_api/info", "/api/handoffs"])
@pytest.mark.parametrize("auth", [None, ("ann", "wrong"), ("bob", "pw"), ("", "")])
def test_staff_rejects_missing_or_wrong_credentials(client_for, path, auth):
    client = client_for(staff_users="ann:pw,zoe:secret")
    resp = client.get(path, headers=basic(*auth) if auth else {})
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].lower().startswith("basic")
    assert "Kefu staff console" not in resp.text


def test_staff_accepts_every_configured_user(client_for):
    client = client_for(staff_users="ann:pw,zoe:secret")
    for user, password in (("ann", "pw"), ("zoe", "secret")):
        page = client.get("/staff/", headers=basic(user, password))
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert client.get("/api/handoffs", headers=basic(user, password)).json() == {"handoffs": []}


def test_shopper_pages_need_no_login(client_for):
    client = client_for(staff_users="ann:pw")
    assert client.get("/").status_code == 200
    assert client.get("/widget/").status_code == 200


# -- click tracking ------------------------------------------------------------------------------
def test_recommendation_click_is_recorded_and_updates_the_profile(client_for):
    from desk import analytics

    client = client_for()
    service = client.app.state.service
    assert client.post("/api/recommendations/click", json={"item_id": "P-404"}).status_code == 404
    assert client.post("/api/recommendations/click", json={"item_id": "P-1", "extra": 1}).status_code == 422
    ok = client.post("/api/recommendations/click", json={"item_id": "P-1", "user_id": "u9"})
    assert ok.status_code == 200 and ok.json() == {"status": "ok"}
    assert service.sessions.events("u9") == [("P-1", "view")]
    assert len(analytics.load(service.sessions).clicks) == 1


# -- the widget while a person has the conversation -----------------------------------------------
def test_widget_polls_staff_replies_while_handed_off(tmp_path):
    from web.shopper_ui import build_shopper_ui

    service = make_service(make_settings(tmp_path), write_shop(tmp_path / "shop"))
    demo = build_shopper_ui(service, service.components, compact=True)
    poll = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "poll")
    sid = service.sessions.ensure_session(None, "u1")
    case = service.desk.escalate(sid, "asked for a person", {})
    history, tids, seen, timer = poll(sid, [], [], [])
    assert timer.active is True and tids == [] and seen == []  # waiting: nothing to show yet, keep polling
    service.desk.take(case.id, "ann")
    service.desk.reply(case.id, "ann", "Hi, I'm Ann. Let me check your order.")
    history, tids, seen, timer = poll(sid, [], [], [])
    assert "A member of our team joined the chat." in history[0]["content"]
    assert history[1]["content"].split("\n\n")[-1].startswith("Hi, I'm Ann. Let me check your order.")
    assert "Ann · support team" in history[1]["content"] and tids == [None, None] and timer.active is True
    assert all("kefu-norate" in m["content"] for m in history)  # no 👍/👎 on a person's reply or a note
    again = poll(sid, history, tids, seen)
    assert again[2] == seen and again[1] == tids  # nothing shown twice
    service.desk.resolve(case.id, "ann")
    history, tids, seen, timer = poll(sid, history, tids, seen)
    assert "resolved" in history[-1]["content"] and timer.active is False
