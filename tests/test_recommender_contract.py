"""The :class:`~recommender.interface.ShopRecommender` contract, run against every implementation.

Implementations: the real :class:`~recommender.service.RecommenderService` on the demo store
(item-kNN here; the hybrid under ``slow``) and the unit tests' ``FakeRecommender``. Each case
names one in-stock product the implementation knows, so the same checks apply to all.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pytest

from recommender.interface import Event, Recommendation, ShopRecommender
from tests.conftest import REPO

DEMO = REPO / "knowledge" / "data"


@dataclass
class Case:
    impl: ShopRecommender
    item_id: str  # a known, in-stock product
    title: str


def _demo_item() -> tuple[str, str]:
    with (DEMO / "products.csv").open(encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if float(r["stock"] or 0) > 0)
    return row["id"], row["title"]


def _real(tmp_path_factory, model: str) -> Case:
    from recommender.service import RecommenderService
    from settings import Settings

    settings = Settings(
        _env_file=None, data_dir=tmp_path_factory.mktemp("contract"), embedder="fake", recommender_model=model,
        products_path=DEMO / "products.csv", interactions_path=DEMO / "interactions.csv",
    )
    svc = RecommenderService(settings)
    svc.ready()
    return Case(svc, *_demo_item())


def _fake() -> Case:
    from tests.fakes import FakeRecommender

    return Case(FakeRecommender(), "P-1", "Aurora Wireless Headphones")


@pytest.fixture(scope="module", params=["fake", "itemknn", pytest.param("hybrid", marks=pytest.mark.slow)])
def case(request, tmp_path_factory) -> Case:
    return _fake() if request.param == "fake" else _real(tmp_path_factory, request.param)


def _check_list(case: Case, recs, k: int, in_stock: bool = True) -> None:
    assert isinstance(recs, list) and len(recs) <= k
    assert all(isinstance(r, Recommendation) for r in recs)
    ids = [r.item_id for r in recs]
    assert len(ids) == len(set(ids)), "no item twice"
    for r in recs:
        assert isinstance(r.item_id, str) and r.title and r.reason
        assert isinstance(r.score, float)
        row = case.impl.item(r.item_id)
        assert row is not None, f"{r.item_id} is not a product"
        assert not in_stock or row.get("stock") is None or row["stock"] > 0, f"{r.item_id} is out of stock"
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True), "best first"


def test_satisfies_the_protocol(case):
    assert isinstance(case.impl, ShopRecommender)
    case.impl.ready()
    case.impl.ready()  # a second call is a no-op


@pytest.mark.parametrize("user_id", [None, "u0001", "nobody-knows-me"])
def test_recommend_gives_ranked_in_stock_products_with_reasons(case, user_id):
    recs = case.impl.recommend(user_id, 2)
    assert recs, "a cold user still gets something"
    _check_list(case, recs, 2)


def test_recommend_never_returns_what_the_events_or_exclude_name(case):
    first = case.impl.recommend(None, 3)
    assert first
    events = [Event(first[0].item_id, "purchase")]
    again = case.impl.recommend(None, 3, events=events, exclude=[r.item_id for r in first[1:2]])
    _check_list(case, again, 3)
    assert not {r.item_id for r in again} & {first[0].item_id, *(r.item_id for r in first[1:2])}


def test_recommend_with_a_stated_taste_and_k_zero(case):
    _check_list(case, case.impl.recommend(None, 3, query="something for a gamer under 100 dollars"), 3)
    assert case.impl.recommend(None, 0) == []


def test_similar_items_leave_out_the_item_itself(case):
    recs = case.impl.similar_items(case.item_id, 3)
    _check_list(case, recs, 3, in_stock=False)  # the contract promises stock only for recommend
    assert case.item_id not in {r.item_id for r in recs}


def test_item_title_and_find_items(case):
    row = case.impl.item(case.item_id)
    assert row is not None and row["title"] == case.title
    assert isinstance(row.get("price"), (float, int, type(None)))
    assert case.impl.title(case.item_id) == case.title
    assert case.impl.item("no-such-item") is None
    assert case.impl.title("no-such-item") == "no-such-item"
    assert case.impl.find_items(case.title, 1) == [case.item_id]
    assert case.impl.find_items("", 3) == []
