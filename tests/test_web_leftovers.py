"""Web/API leftovers: Chinese spacing in replies and card reasons, no brackets within brackets, sources'
``url`` in both APIs, the staff console's offline evaluation from the server's own fit, and "also bought"
items that fit the product's platform."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from bot.recommendation_policy import also_bought, recommend_answer, recommendations, with_reason
from recommender import reasons
from recommender.service import Recommendation
from web.chat_render import cards_html, cjk_spacing
from web.source_links import SpacedStream, api_reply, metadata_link, source_url, with_urls

from .conftest import FAQ_MD
from .test_web import make_service, make_settings

ZH_REPLY = "大多数商品可在 **签收后 30 天内** 退货并全额退款。 [1] 售价 $499.99，in stock。"


# -- 1. Chinese spacing and brackets ----------------------------------------------------------------
def test_chinese_card_reasons_space_latin_titles_and_english_ones_are_unchanged():
    recs = [{"item_id": "p1", "title": "Turbo Kart Racer", "reason": "because you bought Mario Kart (Switch)"},
            {"item_id": "p2", "title": "Apex", "reason": "customers who bought Apex Rush (PS4) also bought this"}]
    zh = cards_html(recs, lang="zh")
    assert "因为您购买过 Mario Kart (Switch)" in zh and "购买 Apex Rush (PS4) 的顾客也买了它" in zh
    en = cards_html(recs)
    assert "because you bought Mario Kart (Switch)" in en and "customers who bought Apex Rush (PS4) also bought this" in en
    assert reasons.spaced("符合“赛车游戏”") == "符合“赛车游戏”" and reasons.spaced("赛车类，Switch 版") == "赛车类，Switch 版"


def test_a_glossed_age_rating_gives_no_brackets_within_brackets():
    game = {"subcategory": "racing", "attributes": "platform: Switch; genre: racing; age rating: E10+ (Everyone 10+)"}
    zh = reasons.taste_reason(game, "适合十岁孩子的赛车游戏", age=10, lang="zh")
    assert zh == "赛车类，适合 10 岁及以上（ESRB E10+）"
    assert reasons.taste_reason(game, "racing games for a 10 year old", age=10) == "racing, rated E10+"
    assert reasons.min_age({"attributes": "age rating: E (Everyone)"}) == 0
    assert reasons.min_age({"attributes": "age rating: T (Teen)"}) == 13


@pytest.mark.parametrize("why, lang, expected", [
    ("racing, rated E10+", "en", " (racing, rated E10+)"),
    ("because you bought Apex Rush (PS4)", "en", " · because you bought Apex Rush (PS4)"),
    ("赛车类，适合 10 岁及以上（ESRB E10+）", "zh", " · 赛车类，适合 10 岁及以上（ESRB E10+）"),
    ("因为您购买过Aurora", "zh", "（因为您购买过 Aurora）"),
    ("", "en", ""),
])
def test_reason_after_an_item_line(why, lang, expected):
    assert with_reason(why, lang) == expected


def _depth(text: str) -> int:
    deepest = depth = 0
    for ch in text:
        depth += ch in "(（"
        depth -= ch in ")）"
        deepest = max(deepest, depth)
    return deepest


def test_recommendation_reply_lines_never_nest_brackets():
    items = {"g1": {"title": "Apex Rush (Switch)", "price": 19.99}, "g2": {"title": "Turbo", "price": 9.5}}
    parts = SimpleNamespace(knowledge=SimpleNamespace(by_doc_ids=lambda ids: []),
                            recommender=SimpleNamespace(item=items.get), settings=SimpleNamespace(currency="USD"))
    recs = [{"item_id": "g1", "title": "Apex Rush (Switch)", "reason": "赛车类，适合 10 岁及以上（ESRB E10+）"},
            {"item_id": "g2", "title": "Turbo", "reason": "because you bought Apex Rush (PS4)"}]
    for lang in ("zh", "en"):
        lines = recommend_answer(parts, recs, lang).text.splitlines()[1:]
        assert len(lines) == 2 and all(_depth(line) <= 1 for line in lines), lines
    zh = recommend_answer(parts, recs, "zh").text
    assert "因为您购买过 Apex Rush (PS4)" in zh


def test_cjk_spacing_of_an_api_reply_and_of_every_way_to_stream_it():
    fixed = cjk_spacing(ZH_REPLY)
    assert fixed == "大多数商品可在**签收后 30 天内**退货并全额退款。[1] 售价 $499.99，in stock。"
    for cut in range(1, len(ZH_REPLY)):
        for cut2 in (cut + 1, cut + 3):
            stream = SpacedStream()
            sent = "".join(stream.push(p) for p in (ZH_REPLY[:cut], ZH_REPLY[cut:cut2], ZH_REPLY[cut2:]))
            assert sent + stream.finish(ZH_REPLY) == fixed, (cut, cut2)
    stream = SpacedStream()
    assert stream.push("Within 30 days. ") == "Within 30 days." and stream.finish("Within 30 days. Thanks") == " Thanks"


# -- 2. sources' url ----------------------------------------------------------------------------------
def test_source_url_prefers_the_records_link_then_a_product_page_pattern():
    assert metadata_link({"product_link": "https://shop.example/p/1", "img_link": "https://x/1.jpg"}) == \
        "https://shop.example/p/1"
    assert metadata_link({"image_url": "https://x/1.jpg"}) is None
    assert metadata_link({"url": "javascript:alert(1)"}) is None and metadata_link({"url": "/help/returns"}) == "/help/returns"
    product = {"kind": "product", "product_id": "HL-1001", "doc_id": "HL-1001"}
    assert source_url(product, "https://shop.example/p/{id}") == "https://shop.example/p/HL-1001"
    assert source_url(product) is None and source_url({"kind": "faq"}, "https://shop.example/p/{id}") is None


def test_with_urls_keeps_every_field_and_survives_a_failed_read():
    sources = [{"id": "a", "title": "A", "snippet": "s", "score": 0.9}, {"id": "b", "title": "B", "snippet": "", "score": 0.5}]
    store = SimpleNamespace(by_doc_ids=lambda ids: [SimpleNamespace(id="a", metadata={"url": "https://shop/a"})])
    out = with_urls(sources, store)
    assert out == [sources[0] | {"url": "https://shop/a"}, sources[1] | {"url": None}]

    def broken(ids):
        raise RuntimeError("store down")

    assert [s["url"] for s in with_urls(sources, SimpleNamespace(by_doc_ids=broken))] == [None, None]
    assert with_urls([], store) == []


POLICY_WITH_URL = """---
title: Returns policy
kind: policy
url: https://shop.example/help/returns
---

# Returns

## Return window
Most items can be returned within 30 days of delivery for a full refund.
"""

PRODUCTS_WITH_LINKS = """id,title,brand,category,subcategory,price,stock,rating,description,attributes,product_link,img_link
P-1,Aurora Wireless Headphones,Lumo,Electronics,Headphones,59.99,12,4.5,Over-ear headphones with 30 hour battery.,color: black,https://shop.example/p/aurora,https://shop.example/i/aurora.jpg
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from web.api import build_router
    from web.openai_api import build_openai_router

    tmp = tmp_path_factory.mktemp("leftovers")
    shop = tmp / "shop"
    (shop / "faq").mkdir(parents=True)
    (shop / "faq" / "orders.md").write_text(FAQ_MD)
    (shop / "returns.md").write_text(POLICY_WITH_URL)
    (shop / "products.csv").write_text(PRODUCTS_WITH_LINKS)
    service = make_service(make_settings(tmp), shop)
    service.ready = True
    app = FastAPI()
    app.include_router(build_router(service))
    app.include_router(build_openai_router(service))
    with TestClient(app) as client:
        yield client, service


def test_api_chat_sources_carry_url(api):
    client, service = api
    body = client.post("/api/chat", json={"message": "What is the return window for items?"}).json()
    assert body["sources"] and all(set(s) >= {"id", "title", "snippet", "score", "url"} for s in body["sources"])
    urls = {s["id"].split("#")[0]: s["url"] for s in body["sources"]}
    assert urls.get("returns.md") == "https://shop.example/help/returns", body["sources"]
    faq = client.post("/api/chat", json={"message": "How do I cancel an order?"}).json()
    assert faq["sources"][0]["id"].startswith("faq/orders.md#") and faq["sources"][0]["url"] is None


def test_a_product_source_links_its_page_in_the_openai_response(api):
    client, _ = api
    question = {"model": "kefu", "messages": [{"role": "user", "content": "How much are the Aurora Wireless Headphones?"}]}
    kefu = client.post("/v1/chat/completions", json=question).json()["kefu"]
    product = [s for s in kefu["sources"] if s["id"] == "P-1"]
    assert product and product[0]["url"] == "https://shop.example/p/aurora", kefu["sources"]
    with client.stream("POST", "/v1/chat/completions", json=question | {"stream": True}) as resp:
        chunks = [json.loads(line[6:]) for line in resp.iter_lines() if line.startswith("data: {")]
    last = [c for c in chunks if "kefu" in c][-1]["kefu"]
    assert [s["url"] for s in last["sources"]] == [s["url"] for s in kefu["sources"]]


def test_api_reply_mends_chinese_spacing():
    reply = SimpleNamespace(to_api=lambda: {"reply": ZH_REPLY, "sources": [{"id": "x", "title": "t", "snippet": "",
                                                                           "score": 1.0}]})
    out = api_reply(reply, None)
    assert out["reply"] == cjk_spacing(ZH_REPLY) and out["sources"][0]["url"] is None


# -- 3. the staff console's offline evaluation ---------------------------------------------------------
def _fit(data_dir, folder="auto", served="ease", scores=None):
    path = data_dir / "recommender" / folder / "model.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"cpu_seconds": 3.0}
    if scores is not None:
        info["auto_validation_ndcg@20"] = scores
    path.write_text(json.dumps({"model": served, "params": {}, "fit_info": info, "item_ids": [], "user_ids": []}))
    return path


def test_the_tab_shows_the_servers_own_validation_table(tmp_path, monkeypatch):
    from desk import analytics
    from web.staff_ui import recommendations as tab

    bench = tmp_path / "recsys_quality.json"
    monkeypatch.setattr(analytics, "evaluation_files", lambda d=None: [tmp_path / "data" / "none.json", bench])
    data = tmp_path / "data"
    _fit(data, scores=None)  # a fit that recorded no validation scores
    assert tab.evaluation_view(data)[0] == tab.EVAL_EMPTY
    fit = _fit(data, scores={"itemknn": 0.21, "ease": 0.25, "popularity": 0.05})
    caption, headers, rows = tab.evaluation_view(data)
    assert "server's own validation scores" in caption and "**ease**" in caption and str(fit) in caption
    assert headers == ["dataset", "model", "ndcg@20"]
    assert [r[1] for r in rows] == ["ease", "itemknn", "popularity"] and rows[0][2] == 0.25
    # a newer benchmark file wins, and says that it is one
    bench.write_text(json.dumps({"games6k/ease": {"ndcg@10": 0.08}}))
    os.utime(bench, (fit.stat().st_mtime + 10, fit.stat().st_mtime + 10))
    caption, headers, rows = tab.evaluation_view(data)
    assert "benchmark results file" in caption and rows == [["games6k", "ease", 0.08]]
    # the served model's own folder is read when the recommender names it
    other = _fit(tmp_path / "elsewhere", "itemknn", "itemknn", {"itemknn": 0.3})
    os.utime(other, (bench.stat().st_mtime + 10, bench.stat().st_mtime + 10))
    caption, _, rows = tab.evaluation_view(data, SimpleNamespace(model_dir=other.parent))
    assert str(other) in caption and rows == [[tab.FIT_SPLIT, "itemknn", 0.3]]


# -- 4. "also bought" next to a product answer fits its platform ----------------------------------------
class PlatformShop:
    ROWS = {"ps5-game": "platform: PS5", "switch-1": "platform: Switch", "switch-2": "platform: Switch",
            "ps5-other": "platform: PS5", "pad": "platform: PS5, PC", "headset": "", "mug": None}

    def item(self, item_id):
        attrs = self.ROWS.get(item_id, "")
        return None if item_id not in self.ROWS else {"item_id": item_id, "attributes": attrs or ""}

    def title(self, item_id):
        return item_id.title()

    def similar_items(self, item_id, k):
        order = ["switch-1", "switch-2", "ps5-other", "headset", "pad", "mug"]
        return [Recommendation(i, self.title(i), 1.0 - n / 10, "also") for n, i in enumerate(order[:k])]


def test_also_bought_items_fit_the_products_platform():
    shop = PlatformShop()
    assert [r.item_id for r in also_bought(shop, "ps5-game", 3)] == ["ps5-other", "headset", "pad"]
    assert [r.item_id for r in also_bought(shop, "headset", 2)] == ["switch-1", "switch-2"]  # no platform: any
    parts = SimpleNamespace(settings=SimpleNamespace(recommend_k=4), recommender=shop)
    answer = SimpleNamespace(sources=[SimpleNamespace(metadata={"product_id": "ps5-game"})])
    recs = recommendations(parts, None, "Is the PS5 game any good?", "product_question", answer)
    assert [r["item_id"] for r in recs] == ["ps5-other", "headset", "pad", "mug"]
    assert all(r["reason_kind"] == "also_bought" for r in recs)
