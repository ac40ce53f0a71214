"""Issue 13: recommendation monitoring — impressions, clicks, CTR by reason, coverage and concentration
over time, the latest offline evaluation table, and the staff console's Recommendations tab."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

import pytest

from desk import analytics
from desk.analytics import Click, Impression, RecRows, attribute_clicks, compute_recommendations, gini, reason_kind
from desk.sessions import SessionStore

T0 = datetime(2025, 3, 1, 9, 15)
H1 = T0 + timedelta(hours=1)


def test_reason_kinds():
    assert reason_kind({"reason": "because you viewed Apex Rush"}) == "history"
    assert reason_kind({"reason": "因为您购买过Apex Rush"}) == "history"
    assert reason_kind({"reason": "matches “racing games”"}) == "taste"
    assert reason_kind({"reason": "popular now"}) == "popular"
    assert reason_kind({"reason": "customers who bought X also bought this"}) == "also_bought"
    assert reason_kind({"reason": "an alternative to X"}) == "alternative"
    assert reason_kind({"reason": "popular now", "sponsored": True}) == "sponsored"
    assert reason_kind({"reason": "racing, for Switch", "reason_kind": "taste"}) == "taste"
    assert reason_kind({"reason": "racing, for Switch"}) == "other"
    assert reason_kind({"reason": "racing, for Switch"}, intent="product_question") == "also_bought"


def test_clicks_go_to_the_impression_they_followed():
    rows = RecRows(
        impressions=[Impression(T0, "p1", "history", "s1", "u1"), Impression(H1, "p1", "popular", "s2", "u1"),
                     Impression(T0, "p2", "taste", "s1", "u1")],
        clicks=[Click(T0 + timedelta(minutes=5), "p1", "s1", "u1"),  # session s1's impression
                Click(H1 + timedelta(minutes=1), "p1", None, "u1"),  # no session: the user's latest
                Click(T0, "p9", "s1", "u1"),  # never shown
                Click(T0 - timedelta(hours=1), "p2", "s1", None)],  # before it was shown
    )
    assert [kind for _, kind in attribute_clicks(rows)] == ["history", "popular", "unattributed", "unattributed"]


def test_frames_hand_computed():
    rows = RecRows(
        impressions=[Impression(T0, "p1", "history", "s1"), Impression(T0, "p2", "history", "s1"),
                     Impression(T0, "p3", "popular", "s1"), Impression(H1, "p1", "sponsored", "s2"),
                     Impression(H1, "p1", "taste", "s3"), Impression(H1, "p4", "taste", "s3")],
        clicks=[Click(T0, "p1", "s1"), Click(H1, "p4", "s3"), Click(H1, "p1", "s2")],
    )
    f = compute_recommendations(rows, catalogue_size=10)
    p0, p1 = datetime(2025, 3, 1, 9), datetime(2025, 3, 1, 10)
    assert {(r["period"], r["kind"]): r["count"] for r in f["volume"].to_dict("records")} == {
        (p0, "impressions"): 3, (p1, "impressions"): 3, (p0, "clicks"): 1, (p1, "clicks"): 2}
    ctr = {(r["period"], r["reason"]): r["ctr"] for r in f["ctr"].to_dict("records")}
    assert ctr == {(p0, "history"): 0.5, (p0, "popular"): 0.0, (p1, "sponsored"): 1.0, (p1, "taste"): 0.5}
    assert f["by_reason"].to_dict("records") == [
        {"reason": "history", "impressions": 2, "clicks": 1, "ctr": 0.5},
        {"reason": "popular", "impressions": 1, "clicks": 0, "ctr": 0.0},
        {"reason": "sponsored", "impressions": 1, "clicks": 1, "ctr": 1.0},
        {"reason": "taste", "impressions": 2, "clicks": 1, "ctr": 0.5}]
    cov = {(r["period"], r["metric"]): r["value"] for r in f["coverage"].to_dict("records")}
    assert cov[(p0, "coverage")] == 0.3 and cov[(p1, "coverage")] == 0.2
    assert cov[(p0, "gini")] == gini([1, 1, 1], 10) and cov[(p1, "top10_share")] == 1.0
    assert f["top_items"].to_dict("records")[0] == {"item_id": "p1", "impressions": 3, "clicks": 2}
    s = f["summary"]
    assert (s["impressions"], s["clicks"], s["ctr"], s["items_shown"], s["coverage"]) == (6, 3, 0.5, 4, 0.4)
    assert s["sponsored_impressions"] == 1 and s["bucket"] == "hour"


def test_gini_bounds():
    assert gini([3, 3, 3]) == 0.0
    assert gini([9], n_items=10) == pytest.approx(0.9)
    assert 0 < gini([1, 2, 10]) < 1


def test_empty_rows_give_empty_frames():
    f = compute_recommendations(RecRows())
    assert all(len(f[k]) == 0 for k in ("volume", "ctr", "by_reason", "coverage", "top_items"))
    assert f["summary"]["impressions"] == 0 and f["summary"]["ctr"] == 0.0 and f["summary"]["coverage"] is None


def test_load_reads_chat_turns_api_impressions_and_clicks(tmp_path):
    store = SessionStore(f"sqlite:///{tmp_path / 'kefu.db'}")
    sid = store.ensure_session(None, "u1")
    recs = [{"item_id": "p1", "title": "A", "score": 1.0, "reason": "because you bought B"},
            {"item_id": "p2", "title": "C", "score": 0.5, "reason": "popular now", "sponsored": True}]
    store.add_exchange(sid, "recommend me a game", {"intent": "recommend"}, "Here are a few picks",
                       {"intent": "recommend", "recommendations": recs})
    trial = store.ensure_session("staff-try-1", None)
    store.add_exchange(trial, "x", {}, "y", {"recommendations": recs})
    assert analytics.record_impressions(store, [{"item_id": "p3", "reason": "popular now"}], user_id="u2") == 1
    assert analytics.record_impressions(store, []) == 0
    analytics.record_click(store, "p1", sid, "u1")
    analytics.record_click(store, "p3", None, "u2")
    rows = analytics.load_recommendations(store, days=1, exclude_prefix="staff-try-")
    assert sorted((i.item_id, i.kind, i.surface, i.user_id) for i in rows.impressions) == [
        ("p1", "history", "chat", "u1"), ("p2", "sponsored", "chat", "u1"), ("p3", "popular", "api", "u2")]
    f = compute_recommendations(rows, catalogue_size=4)
    by = {r["reason"]: (r["impressions"], r["clicks"]) for r in f["by_reason"].to_dict("records")}
    assert by == {"history": (1, 1), "popular": (1, 1), "sponsored": (1, 0)}
    assert f["summary"]["coverage"] == 0.75


def test_evaluation_table_from_either_json_shape(tmp_path):
    cli = {"protocol": "leave-last-out", "models": {"ease": {"ndcg@10": 0.08, "recall@10": 0.12, "train_seconds": 1.5},
                                                   "default": {"ndcg@10": 0.08}}}
    bench = {"games6k/bpr": {"ndcg@10": 0.07, "recall@20": 0.2}, "beauty/sasrec": {"ndcg@10": 0.06}}
    assert analytics.evaluation_table(cli)[0] == {"dataset": "leave-last-out", "model": "ease", "ndcg@10": 0.08,
                                                  "recall@10": 0.12, "train_seconds": 1.5}
    assert [(r["dataset"], r["model"]) for r in analytics.evaluation_table(bench)] == [("games6k", "bpr"),
                                                                                      ("beauty", "sasrec")]


def test_latest_evaluation_picks_the_newest_readable_file(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "recommender").mkdir(parents=True)
    mine = data / "recommender" / "evaluation.json"
    mine.write_text(json.dumps({"protocol": "random-75-25", "models": {"itemknn": {"ndcg@10": 0.3}}}))
    bench = tmp_path / "recsys_quality.json"
    bench.write_text("{not json")
    monkeypatch.setattr(analytics, "evaluation_files", lambda d=None: [data / "recommender" / "evaluation.json", bench])
    path, when, rows = analytics.latest_evaluation(data)
    assert path == mine and rows[0]["model"] == "itemknn" and when is not None
    bench.write_text(json.dumps({"games6k/ease": {"ndcg@10": 0.08}}))
    os.utime(bench, (mine.stat().st_mtime + 10, mine.stat().st_mtime + 10))
    assert analytics.latest_evaluation(data)[0] == bench
    monkeypatch.setattr(analytics, "evaluation_files", lambda d=None: [tmp_path / "none.json"])
    assert analytics.latest_evaluation(data) == (None, None, [])


def test_default_evaluation_files():
    files = analytics.evaluation_files("/srv/kefu")
    assert str(files[0]).endswith("recommender/evaluation.json") and files[-1].name == "recsys_quality.json"


# -- the staff console's Recommendations tab --------------------------------------------------------
def test_tab_view_on_a_real_store(tmp_path):
    from web.staff_ui.recommendations import EMPTY, view

    store = SessionStore(f"sqlite:///{tmp_path / 'kefu.db'}")
    assert view(store, 7)[0] == EMPTY
    sid = store.ensure_session(None, "u1")
    store.add_exchange(sid, "recommend", {}, "picks", {"intent": "recommend", "recommendations": [
        {"item_id": "p1", "reason": "because you bought B"}, {"item_id": "p2", "reason": "popular now"}]})
    analytics.record_click(store, "p1", sid, "u1")
    text, volume, ctr, coverage, by_reason, top = view(store, 7, catalogue=4)
    assert "**2** recommendations shown, **1** clicked" in text and "coverage **50%** of 4" in text
    assert "Not enough data yet" in text  # one period only: the lines wait for a second
    assert by_reason == [["history", 1, 1, "100.0%"], ["popular", 1, 0, "0.0%"]]
    assert top[0][0] in ("p1", "p2") and set(volume["kind"]) == {"impressions", "clicks"}
    assert set(coverage["metric"]) == {"coverage", "gini", "top10_share"} and len(ctr) == 2


def test_tab_evaluation_view(tmp_path, monkeypatch):
    from web.staff_ui import recommendations as tab

    monkeypatch.setattr(analytics, "evaluation_files", lambda d=None: [tmp_path / "evaluation.json"])
    assert tab.evaluation_view(tmp_path)[0] == tab.EVAL_EMPTY
    (tmp_path / "evaluation.json").write_text(json.dumps(
        {"protocol": "leave-last-out",
         "models": {"ease": {"ndcg@10": 0.081234, "recall@10": 0.1}, "default": {"ndcg@10": 0.08}}}))
    caption, headers, rows = tab.evaluation_view(tmp_path)
    assert "evaluation.json" in caption and headers == ["dataset", "model", "ndcg@10", "recall@10"]
    assert rows == [["leave-last-out", "ease", 0.0812, 0.1], ["leave-last-out", "default", 0.08, ""]]


def test_catalogue_size():
    from types import SimpleNamespace

    from web.staff_ui.recommendations import catalogue_size

    assert catalogue_size(None) is None and catalogue_size(object()) is None
    assert catalogue_size(SimpleNamespace(products={"a": {}, "b": {}})) == 2
    loaded = SimpleNamespace(products={})
    loaded.ready = lambda: loaded.products.update({"a": {}})
    assert catalogue_size(loaded) == 1
    broken = SimpleNamespace(products={}, ready=lambda: 1 / 0)
    assert catalogue_size(broken) is None


def test_console_has_the_recommendations_tab(tmp_path):
    from tests.test_web import make_service, make_settings
    from web.staff_ui import build_staff_ui

    demo = build_staff_ui(make_service(make_settings(tmp_path)))
    names = {getattr(f.fn, "__name__", "") for f in demo.fns.values()}
    assert "refresh_view" in names
    config = json.dumps(demo.get_config_file(), default=str)
    assert "Recommendations" in config and "Click-through rate by reason" in config


def test_a_click_is_counted_for_analytics_and_the_campaign(tmp_path):
    from types import SimpleNamespace

    from web.clicks import record_recommendation_click

    store = SessionStore(f"sqlite:///{tmp_path / 'kefu.db'}")
    seen = []
    rec = SimpleNamespace(item=lambda i: {"id": i} if i == "p1" else None,
                          record_click=lambda item, viewer: seen.append((item, viewer)) or True)
    assert record_recommendation_click(store, rec, "p1", "s1", None)
    assert record_recommendation_click(store, rec, "p1", "s1", "u1")
    assert not record_recommendation_click(store, rec, "nope", "s1", "u1")
    assert seen == [("p1", "s1"), ("p1", "u1")]
    assert len(analytics.load_recommendations(store, days=1).clicks) == 2
    assert store.events("u1") == [("p1", "view")]
    plain = SimpleNamespace(item=lambda i: {"id": i})  # a recommender without campaigns
    assert record_recommendation_click(store, plain, "p2", None, None)
