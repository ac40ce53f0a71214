"""Replies stream as many small chunks: the phrase cutter, the service, ``/v1`` and the shopper pages over real HTTP."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from bot.llm import FakeLLM
from bot.streaming import pieces, split_deltas

from .test_web import live_server, make_service, make_settings, write_shop

RETURNS = "Most items can be returned within 30 days of delivery for a full refund."
TWO_SENTENCES = f"{RETURNS} [1] Most items can be returned within 30 days of delivery. [1]"


@pytest.mark.parametrize("text", [
    "The PlayStation 5 Disc Edition is $499.99, and we have 1 left.",
    "Hi!\n\nHow can I help?  Ask about **orders** [1].",
    "大多数商品可在签收后 30 天内退货，美国境内退货免运费。",
    "",
    "   ",
    "one",
])
def test_pieces_give_the_text_back_exactly(text):
    assert "".join(pieces(text)) == text
    assert all(p for p in pieces(text))


def test_a_reply_is_cut_into_short_phrases():
    english = list(pieces("Standard shipping takes 3 to 5 business days. Express takes 1 to 2 business days."))
    assert len(english) >= 5 and all(len(p.split()) <= 3 for p in english)
    assert english[0] == "Standard shipping takes "
    assert any(p.endswith("days. ") for p in english)  # a sentence end closes a piece
    chinese = list(pieces("大多数商品可在签收后三十天内退货，美国境内退货免运费。"))
    assert len(chinese) >= 4 and all(len(p) <= 6 for p in chinese)


def test_split_deltas_cuts_deltas_only():
    final = object()
    events = list(split_deltas(iter([("delta", "one two three four five six seven"), ("final", final)])))
    assert [k for k, _ in events] == ["delta"] * 3 + ["final"]
    assert "".join(v for k, v in events if k == "delta") == "one two three four five six seven"
    assert events[-1][1] is final


class GatedLLM(FakeLLM):
    """Writes the first sentence, then waits until the test has *received* a chunk of it over HTTP
    (``gate``) before writing the second: a server that buffered the reply would never open the gate."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.waited: list[bool] = []

    def stream(self, messages, max_new_tokens=120):
        self.calls.append(messages)
        yield f"{RETURNS} [1] "
        self.waited.append(self.gate.wait(30))
        yield "Most items can be returned within 30 days of delivery. [1]"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from app import create_app

    tmp = tmp_path_factory.mktemp("streaming")
    settings = make_settings(tmp, answer_style="generate", faq_direct_above=0.99)
    llm = GatedLLM()
    service = make_service(settings, write_shop(tmp / "shop"), llm=llm)
    with live_server(create_app(settings, service, warm=False)) as url:
        yield url, service, llm


def sse(url: str, body: dict, on_event=None) -> list[str]:
    """The ``data:`` payloads of a streamed completion, as they arrive."""
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=60) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        events = []
        for line in resp.iter_lines():
            if line.startswith("data: "):
                events.append(line[6:])
                if on_event:
                    on_event(events[-1])
    return events


def content(events: list[str]) -> list[str]:
    return [c["choices"][0]["delta"].get("content") or "" for c in map(json.loads, events[:-1]) if c.get("choices")]


def test_v1_streams_an_answer_that_needed_no_generation_in_many_chunks(server):
    url, service, _ = server
    body = {"model": "kefu", "stream": True, "messages": [{"role": "user", "content": "How do I cancel an order?"}]}
    events = sse(url, body)
    assert events[-1] == "[DONE]"
    chunks = [c for c in content(events) if c]
    final = json.loads(events[-2])
    assert final["choices"][0]["finish_reason"] == "stop" and final["kefu"]["intent"] == "cancel_order"
    assert len(chunks) > 3  # one curated FAQ sentence, sent as phrases
    assert "".join(chunks) == final["kefu"]["reply"] and "within 60 minutes" in final["kefu"]["reply"]


def test_v1_streams_generated_sentences_before_the_reply_is_finished(server):
    url, service, llm = server
    seen = []

    def on_event(data):  # the first text over the wire lets the model go on
        if data != "[DONE]" and any(content([data, "[DONE]"])):
            seen.append(data)
            llm.gate.set()

    llm.gate.clear()
    body = {"model": "kefu", "stream": True,
            "messages": [{"role": "user", "content": "Can most items be returned within 30 days of delivery?"}]}
    events = sse(url, body, on_event)
    assert seen and llm.waited[-1] is True  # the shopper had text while the model was still writing
    final = json.loads(events[-2])
    assert final["kefu"]["reply"].count("30 days") == 2  # a reply of two sentences ...
    chunks = [c for c in content(events) if c]
    assert len(chunks) > 3 and "".join(chunks).strip() == final["kefu"]["reply"]  # ... in many chunks
    assert events[-1] == "[DONE]"


def gradio_chat(base: str, message: str) -> list[dict]:
    """One message through a mounted shopper page's chat handler over Gradio's HTTP queue (as the
    browser sends it): the stream of server messages."""
    import uuid

    config = httpx.get(base + "/config", timeout=30).json()
    box = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "kefu-box")
    fn, dep = next((i, d) for i, d in enumerate(config["dependencies"])
                   if any(t[0] == box and t[1] == "submit" for t in d["targets"]))
    ids = {c["id"]: c for c in config["components"]}
    data = []
    for cid in dep["inputs"]:
        comp = ids[cid]
        data.append(message if cid == box else comp.get("props", {}).get("value"))
    session = uuid.uuid4().hex
    api = base + config.get("api_prefix", "/gradio_api")
    join = httpx.post(api + "/queue/join", json={"data": data, "fn_index": dep.get("id", fn), "session_hash": session,
                                                 "event_data": None, "trigger_id": None}, timeout=30)
    assert join.status_code == 200, join.text
    messages = []
    with httpx.stream("GET", api + "/queue/data", params={"session_hash": session}, timeout=60) as resp:
        for line in resp.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                messages.append(msg)
                if msg.get("msg") == "process_completed":
                    break
    return messages


@pytest.mark.parametrize("path", ["", "/widget"])
def test_the_shopper_page_and_the_widget_stream_a_reply_in_many_updates(server, path):
    url, _, _ = server
    messages = gradio_chat(url + path, "How do I cancel an order?")
    assert messages[-1]["msg"] == "process_completed" and messages[-1]["success"] is True
    updates = [m for m in messages if m.get("msg") == "process_generating"]
    assert len(updates) > 4  # the question shown, then the answer phrase by phrase, then the final


def test_an_upset_shoppers_apology_streams_before_the_answer(tmp_path):
    """The apology is part of the stream (what a /v1 client sees), not added to the final text only."""
    from bot.prompts import APOLOGY

    settings = make_settings(tmp_path)
    service = make_service(settings, write_shop(tmp_path / "shop"))
    events = list(service.stream("This is terrible, it arrived broken! Items returned within 30 days of delivery get a full refund?"))
    deltas = "".join(v for k, v in events if k == "delta")
    final = next(v for k, v in events if k == "final")
    assert deltas.startswith(APOLOGY["en"]) and final.reply.startswith(APOLOGY["en"])
    assert final.reply.count(APOLOGY["en"]) == 1
    calm = [v for k, v in service.stream("How long do I have to return an item?") if k == "delta"]
    assert not "".join(calm).startswith(APOLOGY["en"])
