"""In headless Chromium: a Chinese question gets Chinese labels and no stray spaces, a sponsored card carries
its badge and a card click is stored, and the staff console's Recommendations tab draws its plots.

Same set-up as tests/test_browser_e2e.py (Debian's chromium, fake models, the real app under uvicorn).
Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from recommender.interface import Recommendation

from .fakes import FakeRecommender
from .test_browser_e2e import ARTIFACTS, ask_and_wait, browser, wait_for  # noqa: F401 - browser: a fixture
from .test_web import live_server, make_service, make_settings, write_shop

pytestmark = pytest.mark.slow
STAFF = ("ann", "pw1")
ZH_RECOMMEND = "推荐一款赛车游戏"
HAN_GAP = r"[\u4e00-\u9fff] [\u4e00-\u9fff]"


class SponsoringRecommender(FakeRecommender):
    """The fake catalogue recommender whose last pick fills a sponsored slot."""

    def recommend(self, *args, **kwargs):
        recs = super().recommend(*args, **kwargs)
        if len(recs) > 1:
            last = recs[-1]
            recs[-1] = Recommendation(last.item_id, last.title, last.score, "popular now", sponsored=True)
        return recs


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """(base URL, service): a store whose recommendations include a sponsored slot, and recommendation
    impressions and a click spread over two hours (so the tab's lines have two periods)."""
    from app import create_app
    from desk import analytics
    from desk.tables import RecommendationClick, Turn

    tmp = tmp_path_factory.mktemp("zh-recs")
    settings = make_settings(tmp, staff_users=":".join(STAFF))
    service = make_service(settings, write_shop(tmp / "shop"), recommender=SponsoringRecommender())
    sessions = service.components.sessions
    early = service.turn("Can you recommend something?", session_id=None, user_id="early")
    analytics.record_click(sessions, early.to_api()["recommendations"][0]["item_id"], early.session_id, "early")

    def back_two_hours(db):
        for row in db.query(Turn).filter(Turn.session_id == early.session_id):
            row.created_at = row.created_at - timedelta(hours=2)
        for row in db.query(RecommendationClick).filter(RecommendationClick.session_id == early.session_id):
            row.created_at = row.created_at - timedelta(hours=2)

    sessions.run(back_two_hours)
    service.turn("Can you recommend a tent?", session_id=None, user_id="later")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(create_app(settings, service, warm=False)) as url:
        yield url, service


def test_chinese_question_shows_chinese_labels_and_the_sponsored_badge(browser, app_url):
    url, service = app_url
    page = browser.new_page(viewport={"width": 420, "height": 760})
    page.goto(f"{url}/widget/?user_id=zh-shopper")
    page.locator("#kefu-box textarea").wait_for(timeout=30_000)
    ask_and_wait(page, ZH_RECOMMEND, "#kefu-cards .kefu-card")
    page.locator("#kefu-chat .kefu-sources").first.wait_for(timeout=30_000)
    reply = page.locator("#kefu-chat .message.bot").last
    text = reply.inner_text()
    assert "参考来源：" in text and "Sources:" not in text
    assert "**" not in text


    assert not re.search(HAN_GAP, text), text
    cards = page.locator("#kefu-cards")
    assert "猜你喜欢" in cards.inner_text() and "You might like" not in cards.inner_text()
    badge = cards.locator(".kefu-card .kefu-sponsored")
    assert badge.count() == 1 and badge.inner_text().strip() == "广告"
    assert cards.locator(".kefu-card").count() > 1  # the others carry no badge
    page.screenshot(path=str(ARTIFACTS / "widget-zh-sponsored.png"))

    # a click on a card is stored for the Recommendations tab
    sessions = service.components.sessions
    from desk.tables import RecommendationClick

    def clicks(db):
        return db.query(RecommendationClick).filter(RecommendationClick.user_id == "zh-shopper").count()

    cards.locator(".kefu-card").first.click()
    wait_for(lambda: sessions.run(clicks) == 1, timeout=10)
    page.close()


def test_english_sponsored_badge_and_sources_without_markdown(browser, app_url):
    url, _ = app_url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/?user_id=en-shopper")
    page.locator("#kefu-box textarea").wait_for(timeout=30_000)
    ask_and_wait(page, "Can you recommend a racing game?", "#kefu-cards .kefu-card")
    badge = page.locator("#kefu-cards .kefu-sponsored")
    assert badge.count() == 1 and badge.inner_text().strip() == "Sponsored"
    assert "You might like" in page.locator("#kefu-cards").inner_text()
    ask_and_wait(page, "How long does standard shipping take?", "#kefu-chat .message.bot:last-child .kefu-sources")
    sources = page.locator("#kefu-chat .kefu-sources").last.inner_text()
    assert sources.startswith("Sources:") and "**" not in sources
    page.close()


def test_staff_recommendations_tab_renders_its_plots(browser, app_url):
    url, _ = app_url
    for width in (1280, 768):
        context = browser.new_context(viewport={"width": width, "height": 1000},
                                      http_credentials={"username": STAFF[0], "password": STAFF[1]})
        page = context.new_page()
        page.goto(f"{url}/staff/")
        page.get_by_role("tab", name="Recommendations").click()
        tab = page.locator(".tabitem:visible")
        tab.get_by_text("recommendations shown").wait_for(timeout=30_000)
        wait_for(lambda: tab.locator(".vega-embed").count() >= 3, timeout=30_000)
        time.sleep(0.5)
        assert "Error" not in tab.inner_text()
        reasons = page.locator("#rec-by-reason").inner_text()
        assert "sponsored" in reasons and "taste" in reasons
        doc = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert doc[0] <= doc[1], f"the page scrolls sideways at {width} px: {doc}"
        page.screenshot(path=str(ARTIFACTS / f"staff-recommendations-{width}.png"), full_page=True)
        context.close()
