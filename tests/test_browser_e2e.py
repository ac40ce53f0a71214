"""End to end in headless Chromium: a store page frames the widget; a shopper asks and rates; staff find it.

Runs the real app (uvicorn on 127.0.0.1) with the fake LLM/embedder for speed, serves
``examples/store.html`` from a second origin (the allowed store) and a third (not allowed),
and drives Debian's ``/usr/bin/chromium`` with Playwright (never ``playwright install``).
Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pytest

from bot.llm import FakeLLM

from .test_web import REPO_ROOT, live_server, make_service, make_settings, write_shop

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
QUESTION = "Can most items be returned within 30 days of delivery?"

pytestmark = pytest.mark.slow


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class StaticSite:
    """``examples/`` served on 127.0.0.1:<free port> (one origin per instance)."""

    def __init__(self):
        handler = functools.partial(QuietHandler, directory=str(REPO_ROOT / "examples"))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(kefu base URL, service, allowed store site, foreign site)."""
    from app import create_app

    store, foreign = StaticSite(), StaticSite()
    tmp = tmp_path_factory.mktemp("e2e")
    settings = make_settings(tmp, staff_users="ann:pw1", allowed_origins=store.origin, faq_direct_above=0.99)
    # word by word, so the checked sentence arrives before the sources
    service = make_service(settings, write_shop(tmp / "shop"), llm=FakeLLM(delay=0.08))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with live_server(create_app(settings, service, warm=False)) as url:
            yield url, service, store, foreign
    finally:
        store.close()
        foreign.close()


def ask_and_wait(page, text, done_selector):
    """Type ``text`` into the chat, send it, and wait for ``done_selector`` to appear."""
    page.locator("#kefu-box textarea").fill(text)
    page.locator("#kefu-send").click()
    page.locator(done_selector).first.wait_for(timeout=30_000)


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_shopper_asks_in_the_framed_widget_and_staff_find_the_conversation(browser, site):
    url, service, store, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{store.origin}/store.html?kefu={url}&user_id=shopper-e2e")
    frame = page.frame_locator("#kefu-frame")
    box = frame.locator("#kefu-box textarea")
    box.wait_for(timeout=30_000)

    # Record every state of the chat log, to see the reply arrive in steps.
    widget = next(f for f in page.frames if f.url.startswith(url))
    widget.evaluate("""() => { window.kefuSnaps = [];
        new MutationObserver(() => window.kefuSnaps.push(document.querySelector('#kefu-chat').innerText))
          .observe(document.querySelector('#kefu-chat'), {subtree: true, childList: true, characterData: true}); }""")
    box.fill(QUESTION)
    frame.locator("#kefu-send").click()
    frame.locator(".kefu-sources").first.wait_for(timeout=30_000)
    snaps = widget.evaluate("window.kefuSnaps")
    assert any("within 30 days" in s and "Sources" not in s for s in snaps), "the answer text never showed before its sources"
    final = frame.locator("#kefu-chat").inner_text()
    assert "within 30 days" in final and "Returns" in final

    # 👎 on the answer reaches the store.
    frame.get_by_role("button", name="Dislike").last.click()
    session_id = wait_for(lambda: next((f.session_id for f in service.sessions.feedback() if f.rating == -1), None),
                          what="the 👎 to be stored")
    assert service.sessions.get_session(session_id).user_id == "shopper-e2e"
    page.screenshot(path=str(ARTIFACTS / "store-page.png"))
    page.locator("#kefu-panel").screenshot(path=str(ARTIFACTS / "widget.png"))

    # The widget fills its frame at any size (gradio#7714): input at the bottom, chat log taking the rest.
    for width, height in ((320, 440), (420, 640), (760, 900)):
        page.evaluate(f"""() => {{ const p = document.getElementById('kefu-panel');
            p.style.width = '{width}px'; p.style.height = '{height}px'; p.style.maxHeight = 'none'; }}""")
        page.set_viewport_size({"width": max(1280, width + 60), "height": height + 60})
        time.sleep(0.5)
        box_ = widget.evaluate("""() => { const r = s => document.querySelector(s).getBoundingClientRect();
            return {h: innerHeight, chat: r('#kefu-chat').height, input: r('#kefu-input').bottom,
                    scroll: document.documentElement.scrollHeight}; }""")
        assert box_["h"] == height
        assert height - 40 <= box_["input"] <= height, box_
        assert box_["chat"] >= height * 0.45 and box_["scroll"] <= height + 1, box_

    # Staff: refused without credentials, then log in and find the conversation and its 👎.
    for credentials in (None, {"username": "ann", "password": "wrong"}):
        outsider = browser.new_context(http_credentials=credentials)
        try:
            status = outsider.new_page().goto(f"{url}/staff/").status
        except Exception as exc:  # Chromium gives up on a Basic challenge it cannot answer
            status = 401 if "ERR_INVALID_AUTH_CREDENTIALS" in str(exc) else exc
        assert status == 401
        outsider.close()
    staff = browser.new_context(http_credentials={"username": "ann", "password": "pw1"}, viewport={"width": 1280, "height": 1000})
    console = staff.new_page()
    assert console.goto(f"{url}/staff/").status == 200
    console.get_by_text("Signed in as").wait_for(timeout=30_000)
    assert "ann" in console.get_by_text("Signed in as").inner_text()
    console.get_by_role("tab", name="Conversations").click()
    search = console.get_by_label("Search messages")
    search.fill("30 days")
    search.press("Enter")
    console.locator("#conv-table").get_by_text(session_id).filter(visible=True).first.click()
    view = console.locator("#conv-view")
    view.get_by_text("by shopper").wait_for(timeout=20_000)
    assert QUESTION in view.inner_text() and "👎 by shopper" in view.inner_text()
    console.screenshot(path=str(ARTIFACTS / "staff-conversation.png"), full_page=True)
    console.get_by_role("tab", name="Feedback").click()
    console.locator("#fb-table").get_by_text(QUESTION).filter(visible=True).first.wait_for(timeout=20_000)
    console.get_by_role("tab", name="Analytics").click()
    console.get_by_text("questions in").wait_for(timeout=20_000)
    time.sleep(1.5)
    console.screenshot(path=str(ARTIFACTS / "staff-analytics.png"), full_page=True)
    staff.close()
    page.close()


def test_another_origin_is_refused_framing(browser, site):
    url, _, _, foreign = site
    page = browser.new_page()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    response_csp = {}
    page.on("response", lambda r: response_csp.setdefault(r.url, r.headers.get("content-security-policy")) if "/widget/" in r.url else None)
    page.goto(f"{foreign.origin}/store.html?kefu={url}")
    wait_for(lambda: any("frame-ancestors" in m for m in messages), what="Chromium to refuse the frame")
    assert all(csp == f"frame-ancestors {site[2].origin}" for csp in response_csp.values()) and response_csp
    widget = next((f for f in page.frames if f.url.startswith(url)), None)
    assert widget is None or widget.query_selector("#kefu-chat") is None
    page.close()
