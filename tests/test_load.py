"""Concurrency over real HTTP with the fake model: 20 shoppers at once, no errors, no
cross-talk; a slow reply does not hold up other shoppers; Gradio events are not
limited to one at a time. (``python -m benchmarks.load`` is the 50-shopper version.)"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

httpx = pytest.importorskip("httpx")

from bot.llm import FakeLLM  # noqa: E402
from tests.fixtures.fakes import service_with_fakes  # noqa: E402
from tests.fixtures.servers import serve_in_thread  # noqa: E402

QUESTIONS = ["How do I cancel an order?", "How long does standard delivery take?", "Can I return opened software?",
             "Do you have headphones?", "What is the capital of Mongolia?"]


class SlowOnRequest(FakeLLM):
    """Quotes the first source like FakeLLM, but takes ``seconds`` when the question says "slowly"."""

    def __init__(self, seconds: float):
        super().__init__(delay=0.002)
        self.seconds = seconds
        self.started = threading.Event()

    def stream(self, messages, max_new_tokens=120):
        if "slowly" in messages[-1]["content"]:
            self.started.set()
            time.sleep(self.seconds)
        yield from super().stream(messages, max_new_tokens)


@pytest.fixture
def server(settings, shop_dir):
    settings = settings.model_copy(update={"rate_limit_per_minute": 1000, "abstain_below": 0.2, "faq_direct_above": 0.9,
                                       "answer_style": "generate"})  # the slow reply must come from the model
    llm = SlowOnRequest(seconds=4.0)
    service = service_with_fakes(settings, [shop_dir], llm=llm)
    service.guard.client_limit = 10**6
    from fastapi import FastAPI

    from web.api import build_router, install_error_handlers

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(service, service.components))
    with serve_in_thread(app) as url:
        yield url, service, llm


async def one_shopper(client, n: int, turns: int) -> list[str]:
    """Problems seen by shopper ``n`` (empty = all good)."""
    sid, problems, asked, got = f"s{n:02d}", [], [], []
    for t in range(turns):
        q = f"{QUESTIONS[(n + t) % len(QUESTIONS)]} (shopper {n})"
        r = await client.post("/api/chat", json={"message": q, "session_id": sid})
        if r.status_code != 200:
            problems.append(f"{r.status_code} {r.text[:100]}")
            continue
        body = r.json()
        if body["session_id"] != sid:
            problems.append(f"reply for {body['session_id']}")
        asked.append(q)
        if not (body["intent"] == "handoff" and body["handoff"]["state"] != "bot" and not body["sources"]):
            got.append(body["reply"])  # a message to a waiting/human case gets a note that is not stored as a turn
    stored = (await client.get(f"/api/sessions/{sid}/messages")).json()["messages"]
    if [m["text"] for m in stored if m["role"] == "user"] != asked:
        problems.append("stored questions differ")
    if [m["text"] for m in stored if m["role"] == "assistant"] != got:
        problems.append("stored replies differ")
    return problems


def test_twenty_concurrent_sessions(server):
    url, service, _ = server

    async def run():
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return await asyncio.gather(*(one_shopper(client, n, 3) for n in range(20)))

    problems = [p for ps in asyncio.run(run()) for p in ps]
    assert problems == []
    # Each shopper's own question is in its own transcript, never in a neighbour's.
    for n in range(20):
        texts = " ".join(t.text for t in service.sessions.turns(f"s{n:02d}") if t.role == "user")
        assert f"(shopper {n})" in texts and all(f"(shopper {m})" not in texts for m in range(20) if m != n)


def test_a_slow_reply_does_not_block_others(server):
    url, _, llm = server
    slow_result: dict = {}

    def slow():
        slow_result["r"] = httpx.post(f"{url}/api/chat", json={"message": "Please slowly tell me about returns of opened software"}, timeout=30)

    thread = threading.Thread(target=slow)
    thread.start()
    assert llm.started.wait(10)
    t0 = time.perf_counter()
    fast = [httpx.post(f"{url}/api/chat", json={"message": q}, timeout=30) for q in QUESTIONS[:3]]
    elapsed = time.perf_counter() - t0
    thread.join(30)
    assert all(r.status_code == 200 for r in fast) and slow_result["r"].status_code == 200
    assert elapsed < 3.0, f"other shoppers waited {elapsed:.1f} s behind a slow reply"


def test_gradio_events_are_not_limited_to_one_at_a_time(settings):
    gr = pytest.importorskip("gradio")
    from web.shopper_ui import build_shopper_ui

    service = service_with_fakes(settings)
    page = build_shopper_ui(service, service.components)
    chat_fns = [f for f in page.fns.values() if getattr(f, "name", "") == "respond" or getattr(f.fn, "__name__", "") == "respond"]
    assert chat_fns, "the chat event handler was not found"
    for fn in chat_fns:
        assert fn.concurrency_limit is None, "the chat event must not run one request at a time"
    assert isinstance(page, gr.Blocks)
