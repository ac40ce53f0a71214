"""The OpenAI-compatible API, driven by the official ``openai`` client against a real uvicorn server."""

from __future__ import annotations

import json

import httpx
import pytest

from web.openai_api import derived_session

from .test_web import live_server, make_service, make_settings, write_shop

openai = pytest.importorskip("openai", reason="the openai client is a test dependency (requirements-dev.txt)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app import create_app

    tmp = tmp_path_factory.mktemp("openai")
    settings = make_settings(tmp)
    service = make_service(settings, write_shop(tmp / "shop"))
    with live_server(create_app(settings, service, warm=False)) as url:
        yield url, service


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server[0] + "/v1", api_key="unused", max_retries=0, timeout=30)


QUESTION = "How do I cancel an order?"


def test_models_lists_kefu(client):
    models = client.models.list()
    assert [m.id for m in models.data] == ["kefu"]
    assert client.models.retrieve("kefu").owned_by == "kefu"


def test_non_streaming_completion_with_kefu_extras(client, server):
    resp = client.chat.completions.create(
        model="kefu", messages=[{"role": "system", "content": "be nice"}, {"role": "user", "content": QUESTION}], user="u42"
    )
    assert resp.object == "chat.completion" and resp.id.startswith("chatcmpl-") and resp.model == "kefu"
    choice = resp.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert "within 60 minutes" in choice.message.content
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens > 0
    kefu = resp.model_extra["kefu"]
    assert kefu["sources"][0]["id"] == "faq/orders.md#how-do-i-cancel-an-order"
    assert kefu["intent"] == "cancel_order" and kefu["abstained"] is False
    assert set(kefu) >= {"session_id", "sentiment", "recommendations", "handoff", "turn_id"}
    # the user field is Kefu's user id, and the session was derived from the conversation
    assert kefu["session_id"] == derived_session("u42", QUESTION)
    assert server[1].sessions.get_session(kefu["session_id"]).user_id == "u42"


def test_streaming_completion_in_openai_wire_format(client):
    stream = client.chat.completions.create(model="kefu", messages=[{"role": "user", "content": QUESTION}], stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    content = [c for c in chunks if c.choices]
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len({c.id for c in chunks}) == 1
    assert content[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in content)
    assert "within 60 minutes" in text
    last = content[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["kefu"]["reply"] == text
    assert last.model_extra["kefu"]["sources"][0]["id"].startswith("faq/orders.md")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_raw_stream_ends_with_done(server):
    body = {"model": "kefu", "stream": True, "messages": [{"role": "user", "content": "What is the return window?"}]}
    with httpx.stream("POST", server[0] + "/v1/chat/completions", json=body, timeout=30) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in resp.iter_lines() if ln]
    assert all(ln.startswith("data: ") for ln in lines)
    assert lines[-1] == "data: [DONE]"
    final = json.loads(lines[-2][6:])
    assert final["choices"][0]["finish_reason"] == "stop" and "kefu" in final


def test_follow_up_requests_of_one_chat_share_a_session(client, server):
    first = client.chat.completions.create(model="kefu", messages=[{"role": "user", "content": QUESTION}], user="u7")
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "What is the return window?"},
    ]
    second = client.chat.completions.create(model="kefu", messages=history, user="u7")
    sid = first.model_extra["kefu"]["session_id"]
    assert second.model_extra["kefu"]["session_id"] == sid
    assert [t.role for t in server[1].sessions.turns(sid)][-4:] == ["user", "assistant", "user", "assistant"]


def test_session_header_wins(client, server):
    resp = client.chat.completions.create(model="kefu", messages=[{"role": "user", "content": QUESTION}],
                                          extra_headers={"X-Kefu-Session": "my-chat-1"})
    assert resp.model_extra["kefu"]["session_id"] == "my-chat-1"
    assert server[1].sessions.get_session("my-chat-1") is not None


@pytest.mark.parametrize(
    "kwargs, status, param",
    [
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404, "model"),
        ({"model": "kefu", "messages": []}, 400, "messages"),
        ({"model": "kefu", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "messages"),
        ({"model": "kefu", "messages": [{"role": "user", "content": "   "}]}, 400, "messages"),
        ({"model": "kefu", "messages": [{"role": "robot", "content": "hi"}]}, 400, None),
        ({"model": "kefu", "messages": [{"role": "user", "content": "hi"}], "n": 2}, 400, "n"),
        ({"model": "kefu", "messages": [{"role": "user", "content": "x" * 5000}]}, 413, "messages"),
    ],
)
def test_invalid_requests_get_openai_error_bodies(client, server, kwargs, status, param):
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**kwargs)
    assert info.value.status_code == status
    raw = httpx.post(server[0] + "/v1/chat/completions", json=kwargs, timeout=30)
    assert raw.status_code == status
    error = raw.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    if param:
        assert error["param"] == param


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"model": "kefu"}', b'{"model": 3, "messages": []}'])
def test_malformed_bodies_are_400(server, body):
    resp = httpx.post(server[0] + "/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["type"] == "invalid_request_error"


def test_content_parts_are_read_as_text(client):
    resp = client.chat.completions.create(
        model="kefu", messages=[{"role": "user", "content": [{"type": "text", "text": QUESTION}]}]
    )
    assert "within 60 minutes" in resp.choices[0].message.content
