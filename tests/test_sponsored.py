"""Sponsored slots: the campaigns file, who sees which campaign, pacing, the frequency cap, stats."""

from __future__ import annotations

import csv
from datetime import datetime

import numpy as np
import pytest

from recommender.campaign_stats import CampaignStats
from recommender.interactions import DataError
from recommender.service import Event, RecommenderService
from recommender.sponsored import Campaign, load_campaigns, main, paced_allowance, pick_order, relevance_of

PRODUCTS = [
    ("g1", "Turbo Racer 2", "Vroom", "Games", "racing", "29.99", "5", "4.5", "Arcade racing game", "platform: PS4; genre: racing; age rating: E"),
    ("g2", "Drift Kings", "Vroom", "Games", "racing", "35.00", "3", "4.2", "Drift racing game", "platform: PS4; genre: racing; age rating: E10+"),
    ("g3", "Rally Legends", "Vroom", "Games", "racing", "59.00", "2", "4.0", "Rally racing game", "platform: PS4; genre: racing; age rating: T"),
    ("g4", "Speed Street", "Vroom", "Games", "racing", "19.00", "0", "3.9", "Street racing game", "platform: PS4; genre: racing; age rating: E"),
    ("g5", "Night Shooter", "Bang", "Games", "shooter", "49.00", "8", "4.1", "A gritty shooter", "platform: PS4; genre: shooter; age rating: M"),
    ("h1", "Aurora Headphones", "Lumen", "Audio", "headphones", "89.00", "7", "4.6", "Wireless headphones", ""),
    ("h2", "Nimbus Earbuds", "Lumen", "Audio", "earbuds", "49.00", "9", "4.1", "True wireless earbuds", ""),
    ("h3", "Echo Speaker", "Lumen", "Audio", "speakers", "39.00", "4", "4.3", "Portable speaker", ""),
    ("c1", "PS4 Controller", "Sony", "Games", "accessories", "45.00", "6", "4.4", "Wireless controller", "platform: PS4"),
]

CAMPAIGNS = """campaigns:
  - id: shooter
    item: g5
    bid: 0.5
    daily_budget: 10
    start: 2020-01-01
    end: 2099-12-31
    categories: [Games]
  - id: speaker
    item: h3
    bid: 2.0
    daily_budget: 10
    categories: [Audio]
  - id: sold-out
    item: g4
    bid: 9.0
    daily_budget: 10
"""


def write_store(folder, campaigns: str | None = CAMPAIGNS):
    products = folder / "products.csv"
    with products.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "brand", "category", "subcategory", "price", "stock", "rating", "description",
                    "attributes"])
        w.writerows(PRODUCTS)
    rows = ["user_id,item_id,timestamp,type"]
    for u in range(12):
        items = ["g1", "g2", "c1", "g3", "g5"] if u < 6 else ["h1", "h2", "h3"]
        rows += [f"u{u},{it},{100 * u + t},purchase" for t, it in enumerate(items)]
    rows.append("gamer,g1,9000,purchase")
    (folder / "interactions.csv").write_text("\n".join(rows) + "\n")
    if campaigns is not None:
        (folder / "campaigns.yaml").write_text(campaigns)
    return products


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def svc(tmp_path, settings):
    products = write_store(tmp_path)
    s = settings.model_copy(update={"products_path": products, "interactions_path": tmp_path / "interactions.csv",
                                    "recommender_model": "itemknn"})
    service = RecommenderService(s)
    service.ready()
    service.sponsor.stats.clock = Clock(datetime(2026, 5, 1, 12, 0))
    service.sponsor.min_relevance = 0.0  # a tiny catalogue: every eligible item counts as relevant
    return service


def test_campaigns_file_loads_and_bad_rows_are_named(tmp_path):
    good = load_campaigns(write_store(tmp_path).parent / "campaigns.yaml")
    assert [c.campaign_id for c in good] == ["shooter", "speaker", "sold-out"]
    assert good[0].categories == ("Games",) and good[0].end.year == 2099 and good[1].start is None
    csv_file = tmp_path / "campaigns.csv"
    csv_file.write_text("campaign_id,item_id,bid,daily_budget,start,end,categories,pricing\n"
                        "a,g1,0.4,5,2026-01-01,,Games|racing,cpm\n")
    (c,) = load_campaigns(csv_file)
    assert c.categories == ("Games", "racing") and c.pricing == "cpm" and c.impression_cost == pytest.approx(0.0004)
    bad = {
        "bid: abc": "bid 'abc' is not a number",
        "bid: 1": "daily_budget is missing",
        "bid: 1\n    daily_budget: 5\n    start: 2026-13-01": "is not a date",
        "bid: 1\n    daily_budget: 5\n    start: 2026-02-01\n    end: 2026-01-01": "is before start",
        "bid: 1\n    daily_budget: 5\n    colour: red": "unknown field 'colour'",
        "bid: 1\n    daily_budget: 5\n    pricing: cpa": "must be cpc or cpm",
        "bid: -1\n    daily_budget: 5": "must be a number ≥ 0",
    }
    for body, message in bad.items():
        f = tmp_path / "bad.yaml"
        f.write_text(f"campaigns:\n  - id: x\n    item: g1\n    {body}\n")
        with pytest.raises(DataError, match="campaign 1 \\(x\\)") as err:
            load_campaigns(f)
        assert message in str(err.value) and "\n" not in str(err.value)
    f.write_text("campaigns:\n  - {id: x, item: g1, priority: 1}\n  - {id: x, item: g2, priority: 2}\n")
    with pytest.raises(DataError, match="used twice"):
        load_campaigns(f)
    f.write_text("campaigns: [")
    with pytest.raises(DataError, match="not valid YAML"):
        load_campaigns(f)


def test_check_cli(tmp_path, capsys):
    path = write_store(tmp_path).parent / "campaigns.yaml"
    assert main(["check", str(path)]) == 0
    assert "3 campaign(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("campaign_id,item_id,bid\nx,g1,lots\n")
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "line 2 (x): bid 'lots' is not a number" in err and err.count("\n") == 1


def test_pick_order_is_relevance_times_bid_among_the_eligible():
    assert pick_order([0.9, 0.5, 0.95], [1.0, 10.0, 0.5], n=2, eligible=[True, False, True]) == [0, 2]
    assert pick_order([0.9, 0.5, 0.95], [1.0, 10.0, 0.5], n=2) == [1, 0]
    assert pick_order([0.1], [5.0], n=1, eligible=[False]) == []


def test_relevance_is_rank_based_and_the_percentile_counts_allowed_items_only():
    scores = np.array([5.0, 4.0, 3.0, 2.0, 9.0])
    allowed = np.array([True, True, True, True, False])
    rel, pct = relevance_of(scores, allowed, np.array([0, 2, 3]))
    assert rel.tolist() == [1.0, 1 / 3, 1 / 4] and pct.tolist() == [1.0, 1 / 3, 0.0]


def test_pacing_spreads_the_budget_over_the_day():
    assert paced_allowance(24.0, datetime(2026, 5, 1, 0, 0)) == pytest.approx(1.0)  # one hour ahead
    assert paced_allowance(24.0, datetime(2026, 5, 1, 12, 0)) == pytest.approx(13.0)
    assert paced_allowance(24.0, datetime(2026, 5, 1, 23, 30)) == pytest.approx(24.0)


def test_sponsored_slot_is_labelled_targeted_and_never_owned_or_out_of_stock(svc):
    recs = svc.recommend("gamer", k=3)
    assert len(recs) == 3
    sponsored = [r for r in recs if r.sponsored]
    assert len(sponsored) == 1 and recs[-1].sponsored  # the last place, one slot (the default)
    assert sponsored[0].item_id == "g5"  # the Games campaign for a Games shopper; g4 is out of stock
    assert sponsored[0].reason and sponsored[0].kind
    assert "g1" not in [r.item_id for r in recs]  # owned
    # an audio shopper gets the Audio campaign, never one targeted at Games
    audio = svc.recommend("new", k=3, events=[Event("h1", "purchase")])
    assert [r.item_id for r in audio if r.sponsored] in (["h3"], [])
    assert "g5" not in [r.item_id for r in audio if r.sponsored]
    # owning the promoted item removes the campaign for that shopper
    owned = svc.recommend("new2", k=3, events=[Event("g5", "purchase")])
    assert not any(r.item_id == "g5" for r in owned)


def test_no_sponsored_without_a_viewer_when_asked_not_to_or_for_one_item(svc):
    assert not any(r.sponsored for r in svc.recommend(None, k=3))
    assert not any(r.sponsored for r in svc.recommend("gamer", k=3, sponsored=False))
    assert not any(r.sponsored for r in svc.recommend("gamer", k=1))  # never the whole list
    assert any(r.sponsored for r in svc.recommend(None, k=3, events=[Event("g1", "view")], viewer="session-1"))


def test_sponsored_item_obeys_the_shoppers_filters(svc):
    recs = svc.recommend("gamer", k=3, query="racing games under 40 dollars")
    assert all(svc.item(r.item_id)["price"] <= 40 for r in recs)
    assert not any(r.item_id == "g5" for r in recs)  # 49.00: over the cap, so not even sponsored
    kid = svc.recommend("gamer", k=3, query="a game for a 10-year-old")
    assert not any(r.item_id in ("g5", "g3") for r in kid)  # rated M and T


def test_frequency_cap_per_shopper_and_day(svc):
    svc.sponsor.frequency_cap = 2
    shown = [any(r.sponsored for r in svc.recommend("gamer", k=3)) for _ in range(4)]
    assert shown == [True, True, False, False]
    assert any(r.sponsored for r in svc.recommend("other", k=3, events=[Event("g1", "purchase")]))  # per shopper
    svc.sponsor.stats.clock.now = datetime(2026, 5, 2, 12, 0)  # a new day
    assert any(r.sponsored for r in svc.recommend("gamer", k=3))


def test_budget_pacing_stops_a_campaign_that_spent_ahead_of_the_day(svc):
    clock = svc.sponsor.stats.clock
    clock.now = datetime(2026, 5, 1, 1, 0)  # allowance: 10 × 2/24 ≈ 0.83
    viewers = [f"v{n}" for n in range(3)]
    for v in viewers:  # two clicks of 0.50 = 1.00 spent
        recs = svc.recommend(v, k=3, viewer=v, events=[Event("c1", "view")])
        assert [r.item_id for r in recs if r.sponsored] == ["g5"]
    assert svc.record_click("g5", "v0") and svc.record_click("g5", "v1")
    assert not svc.record_click("g5", "v1")  # the same impression is not clicked twice
    assert not svc.record_click("h1", "v2")  # an organic item: no campaign click
    assert not any(r.item_id == "g5" and r.sponsored for r in svc.recommend("v9", k=3, events=[Event("c1", "view")]))
    clock.now = datetime(2026, 5, 1, 12, 0)  # later the same day the pace allows more
    assert any(r.item_id == "g5" and r.sponsored for r in svc.recommend("v9", k=3, events=[Event("c1", "view")]))
    report = {r["campaign_id"]: r for r in svc.campaign_report()}
    assert report["shooter"]["impressions"] == 4 and report["shooter"]["clicks"] == 2
    assert report["shooter"]["ctr"] == pytest.approx(0.5) and report["shooter"]["spend"] == pytest.approx(1.0)
    assert report["speaker"]["impressions"] == 0


def test_stats_survive_a_new_store_on_the_same_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    CampaignStats(url).record_impressions([("c", "g1", 0.004)], viewer="u1")
    again = CampaignStats(url)
    assert again.report() == [{"campaign_id": "c", "impressions": 1, "clicks": 0, "spend": 0.004, "ctr": 0.0}]
    assert again.seen_today("u1") == {"c": 1} and again.seen_today("u2") == {}


def test_bad_campaigns_file_turns_sponsored_slots_off_not_recommendations(tmp_path, settings, caplog):
    products = write_store(tmp_path, campaigns="campaigns:\n  - {id: x, item: g1, bid: nope}\n")
    s = settings.model_copy(update={"products_path": products, "interactions_path": tmp_path / "interactions.csv",
                                    "recommender_model": "itemknn"})
    svc = RecommenderService(s)
    recs = svc.recommend("gamer", k=3)
    assert len(recs) == 3 and not any(r.sponsored for r in recs) and svc.sponsor is None
    assert "sponsored slots off" in caplog.text and "bid 'nope' is not a number" in caplog.text


def test_policy_marks_sponsored_in_json_and_reply_and_never_for_an_unhappy_shopper(svc, settings):
    from bot.rag import Answer
    from bot.recommendation_policy import as_dict, recommend_answer, recommendations
    from desk.sessions import SessionStore

    class Parts:
        def __init__(self):
            self.settings = settings.model_copy(update={"recommend_k": 3})
            self.recommender = svc
            self.sessions = SessionStore("sqlite://")

    parts = Parts()
    nothing = Answer("", False, [], "")
    recs = recommendations(parts, "gamer", "recommend me something", "recommend", nothing)
    assert [r.get("sponsored") for r in recs] == [None, None, True]
    assert all(set(r) >= {"item_id", "title", "score", "reason"} for r in recs)
    plain = as_dict(svc.recommend("gamer", k=3, sponsored=False)[0])
    assert "sponsored" not in plain
    upset = recommendations(parts, "gamer", "the Turbo Racer 2 is broken, recommend something else", "complaint",
                            nothing, upset=True)
    assert upset and not any(r.get("sponsored") for r in upset)

    class Knowledge:
        def by_doc_ids(self, ids):
            return []

    parts.knowledge = Knowledge()
    text = recommend_answer(parts, recs, "en").text
    assert text.splitlines()[-1].startswith(f"- **{recs[-1]['title']}**") and "(Sponsored · " in text
    assert "（广告 · " in recommend_answer(parts, recs, "zh").text


def test_campaign_round_trip_dataclass():
    c = Campaign("c", "g1", bid=2.0, daily_budget=5.0, pricing="cpm")
    assert c.impression_cost == pytest.approx(0.002) and c.click_cost == 0.0 and c.weight == 2.0
    assert Campaign("h", "g1", priority=3.0).weight == 3.0
