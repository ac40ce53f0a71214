"""In headless Chromium, what a shopper and staff see: one typeface for bold text, product sources as facts,
page labels in the browser's language, cards laid out top-down, and a staff queue in words.

Same set-up as tests/test_browser_e2e.py (Debian's chromium, fake models, the real app under uvicorn).
Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import time

import pytest

from .test_browser_e2e import ARTIFACTS, ask_and_wait, browser, wait_for  # noqa: F401 - browser: a fixture
from .test_web import live_server, make_service, make_settings, write_shop

pytestmark = pytest.mark.slow
STAFF = ("ann", "pw1")
PRODUCT_QUESTION = "How much are the Aurora Wireless Headphones?"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """(base URL, service) with one shopper waiting for a person."""
    from app import create_app

    tmp = tmp_path_factory.mktemp("polish")
    settings = make_settings(tmp, staff_users=":".join(STAFF))
    service = make_service(settings, write_shop(tmp / "shop"))
    service.turn("I want to talk to a human please", session_id=None, user_id="queue-shopper")
    service.turn("Can you recommend something?", session_id=None, user_id="rec-shopper")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(create_app(settings, service, warm=False)) as url:
        yield url, service


def fonts_of(page, selector) -> list[dict]:
    """The fonts Chromium drew the first ``selector`` element's text with (DevTools' platform fonts)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"nothing matches {selector}"
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def test_bold_text_is_one_typeface_and_product_sources_read_as_facts(browser, app_url):
    url, _ = app_url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/?user_id=bold-reader")
    page.locator("#kefu-box textarea").wait_for(timeout=30_000)
    ask_and_wait(page, PRODUCT_QUESTION, "#kefu-chat .kefu-sources b")
    # Gradio's SemiBold files are subsets: bold titles were drawn letter by letter from two fonts
    for selector in ("#kefu-chat .kefu-sources b", "#kefu-send"):
        fonts = fonts_of(page, selector)
        assert all(f["isCustomFont"] for f in fonts), f"{selector} fell back to a system font: {fonts}"
    sources = page.locator("#kefu-chat .kefu-sources").last.inner_text()
    assert "Aurora Wireless Headphones" in sources and "$59.99" in sources and "12 in stock" in sources
    assert "Category:" not in sources and "units" not in sources, sources  # not the catalogue record
    page.screenshot(path=str(ARTIFACTS / "chat-product-sources.png"))
    page.close()


def test_cards_read_top_down_in_plain_weight(browser, app_url):
    url, _ = app_url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/?user_id=card-reader")
    page.locator("#kefu-box textarea").wait_for(timeout=30_000)
    ask_and_wait(page, "Can you recommend something?", "#kefu-cards .kefu-card")
    cards = page.locator("#kefu-cards .kefu-card")
    for i in range(cards.count()):
        card = cards.nth(i)
        box, title = card.bounding_box(), card.locator("b").bounding_box()
        assert title["y"] - box["y"] < 14, "the card's title is not at its top"
        reason = card.locator("small")
        assert int(reason.evaluate("e => getComputedStyle(e).fontWeight")) < 600  # the reason is not bold
        assert float(reason.evaluate("e => getComputedStyle(e).fontSize").rstrip("px")) >= 11
    page.close()


@pytest.mark.parametrize("locale, send, examples", [("en-US", "Send", "How long does standard shipping take?"),
                                                     ("zh-CN", "发送", "退货政策是什么？")])
def test_page_labels_follow_the_browser_language(browser, app_url, locale, send, examples):
    url, _ = app_url
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale=locale)
    page = context.new_page()
    page.goto(f"{url}/")
    page.locator("#kefu-box textarea").wait_for(timeout=30_000)
    wait_for(lambda: page.locator("#kefu-send").inner_text().strip() == send, timeout=10, what="the Send label")
    shown = page.locator("#kefu-examples-zh" if locale.startswith("zh") else "#kefu-examples-en")
    hidden = page.locator("#kefu-examples-en" if locale.startswith("zh") else "#kefu-examples-zh")
    assert shown.is_visible() and not hidden.is_visible()
    assert examples in shown.inner_text()
    placeholder = page.locator("#kefu-box textarea").get_attribute("placeholder")
    assert ("咨询" in placeholder) == locale.startswith("zh"), placeholder
    page.screenshot(path=str(ARTIFACTS / f"chat-labels-{locale}.png"))
    widget = context.new_page()
    widget.goto(f"{url}/widget/")
    widget.locator("#kefu-box textarea").wait_for(timeout=30_000)
    head = "购物助手" if locale.startswith("zh") else "Shop assistant"
    wait_for(lambda: head in widget.locator("#kefu-head").inner_text(), timeout=10, what="the widget's header")
    context.close()


def test_staff_queue_reads_in_words_try_it_shows_no_empty_tables_and_items_have_titles(browser, app_url):
    url, _ = app_url
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  http_credentials={"username": STAFF[0], "password": STAFF[1]})
    page = context.new_page()
    page.goto(f"{url}/staff/")
    page.locator("#try-question textarea").fill("How long does standard shipping take?")
    page.locator("#try-ask").click()
    page.locator("#try-reply").get_by_text("business days").wait_for(timeout=30_000)
    time.sleep(0.5)
    tab = page.locator(".tabitem:visible")
    # a table is shown only with rows in it: headers over nothing read as broken
    for frame in tab.locator(".table-wrap").all():
        if frame.is_visible():
            assert frame.locator("[role=gridcell]").count() > 0 or frame.locator("tbody td").count() > 0

    page.get_by_role("tab", name="Queue").click()
    queue = page.locator(".tabitem:visible")
    queue.locator("[role=gridcell]", has_text="waiting for human").first.wait_for(timeout=30_000)
    text = queue.inner_text()
    assert "asked for a person" in text and "queue-shopper" in text
    assert "waiting_for_human" not in text and "human_request" not in text
    assert queue.get_by_label("Case id").input_value() == ""  # not "0", a case that does not exist
    queue.locator("[role=gridcell]", has_text="waiting for human").first.click()
    queue.get_by_text("Transcript").wait_for(timeout=10_000)
    packet = queue.inner_text()
    assert "Shopper:" in packet and "Kefu:" in packet and "Asked for a person." in packet
    page.screenshot(path=str(ARTIFACTS / "staff-queue-words.png"), full_page=True)

    page.get_by_role("tab", name="Recommendations").click()
    top = page.locator("#rec-top-items")
    top.locator("[role=gridcell]", has_text="Aurora Wireless Headphones").first.wait_for(timeout=30_000)  # not only "P-1"
    context.close()
