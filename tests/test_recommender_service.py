"""The serving facade on a tiny catalogue, the taste parser, the simulator and the splits."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from recommender.interactions import Interactions, load_items_csv
from recommender.query import match_category, parse_max_price, parse_taste
from recommender.service import Event, Recommendation, RecommenderService
from tools.recsys.simulate import simulate
from tools.recsys.splits import leave_last_out, stratified_split

PRODUCTS = [
    ("g1", "Turbo Racer 2", "Vroom", "Games", "PS4", "29.99", "5", "4.5", "Arcade racing game for PS4", ""),
    ("g2", "Drift Kings", "Vroom", "Games", "PS4", "35.00", "3", "4.2", "Drift racing game for PS4", ""),
    ("g3", "Rally Legends", "Vroom", "Games", "PS4", "59.00", "2", "4.0", "Rally racing game for PS4", ""),
    ("g4", "Speed Street", "Vroom", "Games", "PS4", "19.00", "0", "3.9", "Street racing game for PS4", ""),
    ("h1", "Aurora Headphones", "Lumen", "Audio", "Headphones", "89.00", "7", "4.6", "Wireless noise cancelling headphones", ""),
    ("h2", "Nimbus Earbuds", "Lumen", "Audio", "Earbuds", "49.00", "9", "4.1", "True wireless earbuds", ""),
    ("h3", "Echo Speaker", "Lumen", "Audio", "Speakers", "39.00", "4", "4.3", "Portable bluetooth speaker", ""),
    ("c1", "PS4 Controller", "Sony", "Games", "Accessories", "45.00", "6", "4.4", "Wireless controller for PS4", ""),
]


@pytest.fixture
def store(tmp_path):
    products = tmp_path / "products.csv"
    with products.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "brand", "category", "subcategory", "price", "stock", "rating", "description", "attributes"])
        w.writerows(PRODUCTS)
    rows = ["user_id,item_id,timestamp,type"]
    for u in range(10):
        items = ["g1", "g2", "c1", "g3"] if u < 6 else ["h1", "h2", "h3"]
        rows += [f"u{u},{it},{100 * u + t},purchase" for t, it in enumerate(items)]
    rows.append("u0,h1,5000,view")
    inter = tmp_path / "interactions.csv"
    inter.write_text("\n".join(rows) + "\n")
    return products, inter


@pytest.fixture(params=["itemknn", "ease", "hybrid", "auto"])
def service(request, store, settings):
    products, inter = store
    s = settings.model_copy(update={
        "products_path": products, "interactions_path": inter, "recommender_model": request.param,
    })
    return RecommenderService(s)


def test_service_recommends_with_filters_and_reasons(service):
    recs = service.recommend("u6", k=3)
    assert len(recs) == 3 and all(isinstance(r, Recommendation) for r in recs)
    ids = [r.item_id for r in recs]
    assert not {"h1", "h2", "h3", "g4"} & set(ids)  # bought, or out of stock
    assert all(r.title and r.reason for r in recs)
    capped = service.recommend("u6", k=5, max_price=40.0, exclude=["g1"])
    assert capped and all(service.item(r.item_id)["price"] <= 40.0 for r in capped)
    assert "g1" not in [r.item_id for r in capped]
    cat = service.recommend(None, k=5, category="audio")
    assert {r.item_id for r in cat} <= {"h1", "h2", "h3"}


def test_service_fold_in_reason_and_immediate_effect(service):
    before = service.recommend("new", k=2)
    assert all(r.reason == "popular now" for r in before) or service.model.name == "hybrid"
    after = service.recommend("new", k=2, events=[Event("h1", "purchase")])
    assert {r.item_id for r in after} <= {"h2", "h3"}
    assert any(r.reason == "because you bought Aurora Headphones" for r in after)
    viewed = service.recommend("new", k=1, events=[Event("h2", "view")])
    assert viewed[0].reason.startswith("because you viewed") or viewed[0].reason == "popular now"


def test_service_query_parses_price_and_category(service):
    recs = service.recommend(None, k=3, query="racing games for PS4 under 40 dollars")
    assert recs
    for r in recs:
        item = service.item(r.item_id)
        assert item["price"] <= 40.0 and item["stock"] > 0 and item["category"] == "Games"
    # what matched, not the shopper's words echoed back
    assert any(r.reason.endswith("under $40") and "PS4" in r.reason for r in recs)
    assert not any(r.reason.startswith("matches") for r in recs)


def test_service_similar_hot_item_find(service):
    sim = service.similar_items("g1", 2)
    assert len(sim) == 2 and "g1" not in [r.item_id for r in sim]
    assert all("customers who bought Turbo Racer 2" in r.reason for r in sim)
    hot = service.hot_items(3)
    assert len(hot) == 3 and all(r.reason == "popular now" for r in hot)
    assert "g4" not in [r.item_id for r in hot]
    assert service.item("h1")["price"] == 89.0 and service.item("zz") is None
    assert service.find_items("the Aurora headphones", 1) == ["h1"]


def test_service_saves_then_reuses_model(service):
    service.ready()
    again = RecommenderService(service.settings)
    again.ready()
    assert (service.model_dir / "model.json").is_file()
    p = service.model.profile("u1")
    np.testing.assert_allclose(again.model.score(p), service.model.score(p), atol=1e-6)


def test_parse_taste():
    assert parse_max_price("a mouse below $25.50") == (25.5, "a mouse")
    assert parse_max_price("games < 40")[0] == 40.0
    assert parse_max_price("headphones 60 dollars or less")[0] == 60.0
    assert parse_max_price("best headphones")[0] is None
    t = parse_taste("racing games for PS4 under 40 dollars", ["Games", "Audio", "PS4"])
    assert (t.text, t.max_price, t.category) == ("racing games for PS4", 40.0, "Games")
    assert match_category("some speakers please", ["Speakers", "Audio"]) == "Speakers"


def test_simulator_is_seeded_and_plausible(store):
    products = load_items_csv(store[0])
    a = simulate(products, n_users=30, seed=3)
    assert a == simulate(products, n_users=30, seed=3)
    assert a != simulate(products, n_users=30, seed=4)
    assert {r[3] for r in a} <= {"view", "cart", "purchase"} and any(r[3] == "purchase" for r in a)
    assert not any(r[1] == "g4" and r[3] == "purchase" for r in a)  # out of stock never bought


def test_splits():
    inter = Interactions.from_records([(f"u{u}", f"i{(u + t) % 7}", t) for u in range(10) for t in range(6)])
    s = leave_last_out(inter)
    assert len(s.test_users) == 10 and len(s.valid) == 10 and len(s.train) == 40
    st = stratified_split(inter, 0.75, "user", seed=1)
    held = sum(len(r) for r in st.relevant)
    assert held == 10 * 1 and len(st.train) + len(st.valid) + held == 60
    assert stratified_split(inter, 0.75, "user", seed=1).relevant == st.relevant


@pytest.mark.slow
def test_service_on_demo_store_with_real_embedder(tmp_path):
    from settings import DEMO_DATA_DIR, Settings

    if not (DEMO_DATA_DIR / "products.csv").is_file() or not (DEMO_DATA_DIR / "interactions.csv").is_file():
        pytest.skip("demo store files not present")
    svc = RecommenderService(Settings(_env_file=None, data_dir=tmp_path, embedder="bundled", recommender_model="hybrid"))
    recs = svc.recommend(None, k=4, query="racing games for PS4 under 40 dollars")
    assert len(recs) == 4
    for r in recs:
        item = svc.item(r.item_id)
        assert item["price"] <= 40 and item["stock"] > 0
    user = next(iter(svc._history_kind))
    mine = svc.recommend(user, k=4)
    assert len(mine) == 4 and all(r.reason for r in mine)
    assert len(svc.hot_items(5)) == 5
