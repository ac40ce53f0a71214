"""The Chinese benchmark (benchmarks/chinese.py): its scorer on made-up replies, the baseline
retriever on fake records, and the question file (benchmarks/data/zh_questions.json)."""

from __future__ import annotations

import re

import pytest

from benchmarks import chinese
from knowledge.store import Record

CJK = re.compile(r"[\u3400-\u9fff]")
CATALOGUE = {
    "HL-1": {"id": "HL-1", "title": "PlayStation 5 Console - Disc Edition", "category": "Consoles & Accessories",
             "subcategory": "consoles", "price": 499.99, "stock": 1, "description": "Sony's console.",
             "attrs": {"platform": "PS5", "storage": "1 TB SSD"}},
    "HL-2": {"id": "HL-2", "title": "Turbo Karts Party (Switch)", "category": "Video Games", "subcategory": "racing",
             "price": 39.99, "stock": 0, "description": "Kart racer.",
             "attrs": {"platform": "Switch", "players": "1-8", "genre": "racing"}},
    "HL-3": {"id": "HL-3", "title": "Turbo Karts Party (PS4)", "category": "Video Games", "subcategory": "racing",
             "price": 19.99, "stock": 186, "description": "Kart racer.",
             "attrs": {"platform": "PS4", "players": "1-4", "genre": "racing"}},
    "HL-4": {"id": "HL-4", "title": "Copperleaf Bamboo Cutting Board Set (3)", "category": "Home & Kitchen",
             "subcategory": "cutlery", "price": 24.99, "stock": 4, "description": "Boards.", "attrs": {}},
}


def reply(text, abstained=False, sources=(), recommendations=()):
    return {"reply": text, "abstained": abstained, "sources": [{"id": s} for s in sources],
            "recommendations": [{"item_id": i, "title": i, "score": 1.0, "reason": "r"} for i in recommendations]}


# --------------------------------------------------------------------------- reading replies
@pytest.mark.parametrize("text", ["售价 $499.99，目前有货", "499.99美元", "价格是 499.99 美元。",
                                  "USD 499.99", "US$499.99", "售价＄499.99"])
def test_price_is_found_however_written(text):
    assert chinese.says_price(text, 499.99)


@pytest.mark.parametrize("text", ["售价 $449.99", "有 499 件", "编号 499.99", "PlayStation 5 售价 $4,999.90"])
def test_other_amounts_and_bare_numbers_are_not_the_price(text):
    assert not chinese.says_price(text, 499.99)


def test_amounts_read_thousands_and_whole_dollars():
    assert chinese.amounts("合计 $1,299.00，另有 50美元 礼品卡") == {1299.0, 50.0}


def test_stock_in_and_out():
    assert chinese.says_stock("目前有货（仅剩 1 件）。", 1)
    assert chinese.says_stock("In stock: 12 units.", 12)
    assert not chinese.says_stock("这款目前没有货。", 12)  # contains 有货, but says the opposite
    assert not chinese.says_stock("售价 $19.99。", 12)  # says nothing about stock
    assert chinese.says_stock("很抱歉，这款目前缺货。", 0)
    assert not chinese.says_stock("目前有货。", 0)


def test_attribute_values():
    assert chinese.says_value("最多支持 8 名玩家。", "1-8")
    assert chinese.says_value("支持 1–8 人同乐", "1-8")  # en dash
    assert chinese.says_value("防水等级 IPX4", "IPX4")
    assert chinese.says_value("一共 1200 块", "1,200")
    assert not chinese.says_value("最多 4 名玩家", "1-8")
    assert not chinese.says_value("最多 18 名玩家", "1-8")
    assert not chinese.says_value("任何回答", "")


def test_expected_groups_all_needed_alternatives_any():
    assert chinese.says_expected("每 100 积分可抵 5 美元", [["100"], ["5"]])
    assert not chinese.says_expected("每 100 积分可抵扣", [["100"], ["5"]])
    assert chinese.says_expected("信用卡需 3 至 10 个工作日到账", [["3-10"]])
    assert chinese.says_expected("cards take 3–10 business days", [["3-10"]])
    assert chinese.says_expected("We accept **PayPal**", [["paypal", "支付宝"]])


def test_chinese_reply_ignores_product_names_links_and_citations():
    titles = chinese.catalogue_names(CATALOGUE)
    assert "Turbo Karts Party" in titles and "PlayStation 5 Console" in titles and "Switch" in titles
    assert chinese.in_chinese("PlayStation 5 Console - Disc Edition 售价 $499.99，目前有货。 [1]", titles)
    assert chinese.in_chinese("Turbo Karts Party（PS4、Switch）玩家人数：1-8。", titles)
    assert chinese.in_chinese("我是本店的购物助手，只能回答关于商品的问题。")
    assert chinese.in_chinese("请发邮件至 support@harborlane.example 或访问 harborlane.example/track 查询。")
    assert not chinese.in_chinese("Turbo Karts Party comes for PS4 ($19.99) and Switch ($39.99).", titles)
    assert not chinese.in_chinese("I'm sorry about the trouble. Turbo Karts Party (PS4) 目前缺货。", titles)
    assert not chinese.in_chinese("Most items can be returned within 30 days of delivery for a full refund.")
    assert not chinese.in_chinese("")


def test_category_check_uses_the_catalogue_row():
    case = {"category": "Video Games", "subcategory": ["racing"], "platform": "Switch"}
    assert chinese.in_category(CATALOGUE["HL-2"], case)
    assert not chinese.in_category(CATALOGUE["HL-3"], case)  # PS4
    assert not chinese.in_category(CATALOGUE["HL-4"], {"category": "Video Games"})
    assert not chinese.in_category(None, {"category": "Video Games"})


# --------------------------------------------------------------------------- scoring cases
def test_price_case_passes_on_any_variant_and_fails_when_declined():
    case = {"id": "c", "kind": "price", "turns": ["Turbo Karts Party 多少钱"], "product_id": ["HL-2", "HL-3"],
            "fields": ["price"], "docs": ["HL-2", "HL-3"]}
    good = chinese.score_case(case, [reply("PS4 版售价 $19.99。", sources=["HL-3"])], CATALOGUE)
    assert good["passed"] and good["chinese"] and good["cited_expected"] and good["english_only_product"]
    declined = chinese.score_case(case, [reply("PS4 版售价 $19.99。", abstained=True)], CATALOGUE)
    assert not declined["passed"] and declined["false_decline"] and not declined["cited_expected"]
    wrong = chinese.score_case(case, [reply("售价 $29.99。")], CATALOGUE)
    assert not wrong["passed"]


def test_spec_and_follow_up_cases_judge_the_last_reply():
    case = {"id": "f", "kind": "follow_up", "turns": ["PS5 光驱版多少钱", "硬盘多大？"], "product_id": "HL-1",
            "attribute": "storage"}
    ok = chinese.score_case(case, [reply("售价 $499.99。"), reply("内置 1 TB SSD。")], CATALOGUE)
    assert ok["passed"]
    assert not chinese.score_case(case, [reply("内置 1 TB SSD。"), reply("售价 $499.99。")], CATALOGUE)["passed"]


def test_policy_off_topic_and_recommend_cases():
    policy = {"id": "p", "kind": "policy", "turns": ["退货政策是什么？"], "docs": ["faq/zh.md#x"], "expect": [["30"]]}
    assert chinese.score_case(policy, [reply("签收后 30 天内可退货。", sources=["faq/zh.md#x"])], CATALOGUE)["passed"]
    assert not chinese.score_case(policy, [reply("请联系客服。")], CATALOGUE)["passed"]
    off = {"id": "o", "kind": "off_topic", "turns": ["写一首诗"], "off_topic": True}
    assert chinese.score_case(off, [reply("我只能回答购物问题。", abstained=True)], CATALOGUE)["passed"]
    assert not chinese.score_case(off, [reply("大海啊大海")], CATALOGUE)["passed"]
    rec = {"id": "r", "kind": "recommend", "turns": ["推荐一款赛车游戏"], "category": "Video Games",
           "subcategory": ["racing"]}
    mixed = chinese.score_case(rec, [reply("为您推荐：", recommendations=["HL-2", "HL-4"])], CATALOGUE)
    assert mixed["in_category"] == 0.5 and not mixed["passed"]
    none = chinese.score_case(rec, [reply("为您推荐：")], CATALOGUE)
    assert none["in_category"] == 0.0 and not none["passed"]
    assert chinese.score_case(rec, [reply("为您推荐：", recommendations=["HL-2", "HL-3"])], CATALOGUE)["passed"]


def test_an_apology_before_a_plain_question_is_counted():
    case = {"id": "p", "kind": "policy", "turns": ["退货政策是什么？"], "docs": ["x"], "expect": [["30"]]}
    sorry = ("非常抱歉给您带来不便。", "I'm sorry about the trouble.")
    said = reply("非常抱歉给您带来不便。 签收后 30 天内可退货。")
    assert chinese.score_case(case, [said], CATALOGUE, sorry)["apologised"]
    assert not chinese.score_case(case, [reply("签收后 30 天内可退货。")], CATALOGUE, sorry)["apologised"]
    assert not chinese.score_case(case, [reply("非常抱歉给您带来不便。")], CATALOGUE, ())["apologised"]


def test_summary_figures():
    results = [
        {"kind": "price", "passed": True, "chinese": True, "false_decline": False, "english_only_product": True,
         "cited_expected": True},
        {"kind": "policy", "passed": False, "chinese": False, "false_decline": True, "english_only_product": False,
         "cited_expected": False},
        {"kind": "off_topic", "passed": True, "chinese": True, "apologised": True},
        {"kind": "recommend", "passed": False, "chinese": True, "in_category": 0.5, "recommended": ["a", "b"]},
    ]
    s = chinese.summarise(results)
    assert s["zh.fact_accuracy"] == 0.5
    assert s["zh.fact_accuracy.english_only_products"] == 1.0
    assert s["zh.offtopic.declined"] == 1.0
    assert s["zh.recommend.in_category"] == 0.5 and s["zh.recommend.shown"] == 1.0
    assert s["zh.reply_in_chinese"] == 0.75
    assert s["zh.false_declines"] == 0.5 and s["zh.cites_expected_source"] == 0.5
    assert s["zh.apology_on_plain_question"] == 0.25
    assert s["zh.accuracy.price"] == 1.0 and s["zh.accuracy.policy"] == 0.0


# --------------------------------------------------------------------------- retrieval and its baseline
def test_retrieval_figures_count_any_expected_doc_in_the_top_three():
    cases = [{"id": "a", "kind": "price", "docs": ["HL-1"]}, {"id": "b", "kind": "policy", "docs": ["x", "y"]},
             {"id": "c", "kind": "policy", "docs": ["z"]}]
    ranked = {"a": ["q", "HL-1", "r"], "b": ["y"], "c": ["q", "r", "s", "z"]}
    fig = chinese.retrieval_figures(ranked, cases)
    assert fig["zh.retrieval.top3"] == pytest.approx(2 / 3)
    assert fig["zh.retrieval.top1"] == pytest.approx(1 / 3)
    assert fig["zh.retrieval.top3.products"] == 1.0 and fig["zh.retrieval.top3.policy"] == 0.5
    assert fig["zh.retrieval.n"] == 3


class KeywordEmbedder:
    """Two-word vocabulary embedder: ``ps5`` and ``tent`` axes."""

    def _vec(self, text):
        t = text.lower()
        return [float("ps5" in t), float("tent" in t), 0.01]

    def embed_documents(self, texts):
        return [self._vec(t) for t in texts]

    def embed_query(self, text):
        return self._vec(text)


def test_baseline_routes_chinese_to_character_ngrams_and_the_rest_to_the_embedder():
    records = [
        Record("1", "退货政策是什么", {"lang": "zh", "doc_id": "zh#policy", "variant": "question"}),
        Record("2", "配送需要多长时间", {"lang": "zh", "doc_id": "zh#delivery", "variant": "question"}),
        Record("3", "退货政策是什么 整个条目", {"lang": "zh", "doc_id": "zh#entry-only", "variant": "entry"}),
        Record("4", "PS5 console disc edition", {"lang": "en", "doc_id": "HL-1001"}),
        Record("5", "Family tent for four", {"lang": "en", "doc_id": "HL-1116"}),
    ]
    base = chinese.CharNgramBaseline(records, KeywordEmbedder())
    assert base.ranked("退货政策？")[0] == "zh#policy"
    assert "zh#entry-only" not in base.ranked("退货政策", k=5)  # whole entries are not matched
    assert set(base.ranked("PS5 光驱版多少钱")) <= {"zh#policy", "zh#delivery"}  # Chinese: never the products
    assert base.ranked("Turbo Karts Party tent 支持几个玩家")[0] == "HL-1116"  # mostly Latin letters: the embedder
    given = chinese.CharNgramBaseline(records, KeywordEmbedder(), vectors=[[0, 0, 1]] * 3 + [[0, 1, 0], [1, 0, 0]])
    assert given.ranked("ps5 console")[0] == "HL-1116"  # the stored vectors are used when given


def test_language_rule_of_the_baseline_is_frozen():
    assert chinese.detect_lang_before("PS5 光驱版多少钱？") == "zh"
    assert chinese.detect_lang_before("Turbo Karts Party 支持几个玩家？") == "en"
    assert chinese.detect_lang_before("123") == "en"


# --------------------------------------------------------------------------- sentiment
def test_sentiment_part_skips_the_dataset_when_absent_but_counts_question_false_negatives(tmp_path, capsys):
    from bot.sentiment import make_sentiment_model

    fig = chinese.sentiment_figures(make_sentiment_model("fake"), ["退货政策是什么？", "这个太差了"], datasets=tmp_path)
    assert "skipped" in capsys.readouterr().out
    assert "zh.sentiment.heldout.accuracy" not in fig
    assert fig["zh.sentiment.question_false_negative_rate"] == 0.5 and fig["zh.sentiment.n_questions"] == 2


# --------------------------------------------------------------------------- the question file
@pytest.fixture(scope="module")
def cases():
    return chinese.load_cases()


@pytest.fixture(scope="module")
def catalogue():
    return chinese.load_catalogue()


def test_question_file_is_well_formed(cases, catalogue):
    assert len(cases) >= 150
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids)
    kinds = {c["kind"] for c in cases}
    assert kinds == set(chinese.KINDS)
    for c in cases:
        assert c["kind"] in chinese.KINDS, c["id"]
        assert c["turns"] and all(isinstance(t, str) and len(CJK.findall(t)) >= 2 for t in c["turns"]), c["id"]
        assert len(c["turns"]) == (2 if c["kind"] == "follow_up" else 1), c["id"]
        for pid in chinese.case_products(c):
            assert pid in catalogue, (c["id"], pid)
            for attr in [c["attribute"]] if c.get("attribute") else []:
                assert catalogue[pid]["attrs"].get(attr), (c["id"], pid, attr)
        if c["kind"] in chinese.PRODUCT_KINDS:
            assert chinese.case_products(c) and (c.get("fields") or c.get("attribute")), c["id"]
            assert set(c.get("fields", [])) <= {"price", "stock"}, c["id"]
        if c["kind"] == "policy":
            assert c.get("docs") and c.get("expect"), c["id"]
        if c["kind"] == "follow_up":
            assert chinese.case_products(c) or c.get("expect"), c["id"]
        if c["kind"] == "off_topic":
            assert c.get("off_topic") is True and not c.get("docs"), c["id"]
        if c["kind"] == "recommend":
            matching = [row for row in catalogue.values() if chinese.in_category(row, c)]
            assert matching, f"{c['id']}: no catalogue item is in the asked category"
    assert {n for n in (c.get("note") for c in cases) if n}  # a few in Traditional characters


def test_at_least_a_third_are_about_products_whose_text_is_only_english(cases, catalogue):
    about = [c for c in cases if chinese.case_products(c)]
    assert len(about) >= len(cases) / 3
    for c in about:
        for pid in chinese.case_products(c):
            row = catalogue[pid]
            text = " ".join([row["title"], row["description"], row.get("attributes", "")])
            assert not CJK.search(text), pid


def test_every_expected_doc_id_is_in_the_demo_store_index(cases, settings):
    from benchmarks.common import build_demo_index

    store = build_demo_index(settings)  # the real loaders and Chroma, with the fake embedder
    indexed = {str(r.metadata.get("doc_id")) for r in store.records()}
    missing = sorted({(c["id"], d) for c in cases for d in c.get("docs", []) if d not in indexed})
    assert not missing
    assert all(c.get("docs") for c in cases if c["kind"] in chinese.RETRIEVAL_KINDS)


def test_spread_takes_every_kind_first(cases):
    picked = chinese.spread(cases, len(chinese.KINDS))
    assert {c["kind"] for c in picked} == set(chinese.KINDS)
    assert chinese.spread(cases, 0) == cases


def test_cli_rejects_a_negative_limit():
    with pytest.raises(SystemExit) as exc:
        chinese.main(["--limit", "-1"])
    assert exc.value.code == 2


@pytest.mark.slow
def test_the_whole_run_with_fakes_scores_every_case(settings, tmp_path, cases):
    from knowledge.embedder import make_embedder
    from tests.fakes import FakeRecommender

    picked = chinese.spread(cases, len(chinese.KINDS))
    report = chinese.evaluate(settings, picked, datasets=tmp_path, baseline_embedder=make_embedder("fake"),
                              components={"recommender": FakeRecommender()})
    kefu, base = report["figures"]["kefu"], report["figures"][chinese.BASELINE]
    assert [r["id"] for r in report["results"]] == [c["id"] for c in picked]
    assert kefu["zh.n_cases"] == len(picked)
    assert kefu["zh.sentiment.n_questions"] == sum(len(c["turns"]) for c in picked)
    assert kefu["zh.retrieval.n"] == base["zh.retrieval.n"] == len(chinese.retrieval_cases(picked))
    for name in ("zh.retrieval.top3", "zh.fact_accuracy", "zh.offtopic.declined", "zh.recommend.in_category"):
        assert 0.0 <= kefu[name] <= 1.0
    assert set(report["figures"][f"kefu/{chinese.BASELINE}"]) <= set(base)
