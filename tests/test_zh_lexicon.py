"""Chinese questions phrased otherwise than the documents (issue 12): shoppers' words read as the
documents write them, broader kinds of off-topic request, translated documents counted as their
originals by the benchmark and never put before an English original for an English question.
Unit tests with hand-made texts and fakes (no model loaded)."""

from __future__ import annotations

import pytest

from benchmarks import chinese
from bot.answers.offtopic import zh_off_topic
from bot.retrieval import Retriever
from knowledge.lang import canonical_zh, zh_terms
from tests.test_retrieval_multilingual import paired_stores


# --------------------------------------------------------------------------- shoppers' words
@pytest.mark.parametrize("asked, written", [
    ("退钱要多久", "退款要多久"), ("邮费怎么算", "运费怎么算"), ("质保几年", "保修几年"),
    ("用哪家快递公司", "用哪家承运商"), ("星期天开门吗", "周日营业吗"), ("激活码能退吗", "兑换码能退吗"),
    ("账号被锁了", "账户锁定了"), ("有优惠券吗", "有优惠码吗"),
])
def test_shoppers_words_are_read_as_the_documents_write_them(asked, written):
    assert canonical_zh(asked) == written


def test_the_character_terms_of_a_question_and_a_document_meet_on_the_documents_word():
    assert "退款" in zh_terms("能退錢嗎") and "运费" in zh_terms("郵費多少")  # Traditional too
    assert set(zh_terms("质保多久")) == set(zh_terms("保修多久"))
    assert canonical_zh("How much is shipping?") == "How much is shipping?" and canonical_zh("") == ""


# --------------------------------------------------------------------------- off-topic kinds
@pytest.mark.parametrize("message", [
    "圓周率小數點後十位是多少", "怎么减肥最快", "给我讲讲西游记", "帮我起个公司名字", "孕妇能吃螃蟹吗",
    "狗狗呕吐怎么办", "水的沸点是多少度", "世界上最大的动物是什么", "帮我写个请假条", "珠穆朗玛峰多高",
    "这个英文单词什么意思", "聊聊唐朝的历史",
])
def test_more_kinds_of_request_are_off_topic(message):
    assert zh_off_topic(message)


@pytest.mark.parametrize("message", [
    "有适合减肥用的运动器材吗", "有讲历史的书吗", "三国题材的游戏有吗", "有什么适合送女朋友的礼物",
    "Trailcrest 睡袋有多重？", "这个帐篷多高", "退钱要多久", "周日营业吗",
])
def test_a_shop_question_near_those_kinds_is_not(message):
    assert not zh_off_topic(message)


# --------------------------------------------------------------------------- translated documents
def test_the_benchmark_counts_a_translated_section_as_its_original(tmp_path):
    (tmp_path / "policies" / "zh").mkdir(parents=True)
    (tmp_path / "policies" / "ship.md").write_text(
        "---\nkind: policy\n---\n# Shipping\n## Carriers\nUPS and FedEx.\n## Costs\n$5.99.\n", encoding="utf-8")
    (tmp_path / "policies" / "zh" / "ship.md").write_text(
        "---\nkind: policy\nlang: zh\ntranslation_of: policies/ship.md\n---\n# 配送\n## 承运商\nUPS 和 FedEx。\n"
        "## 运费\n5.99 美元。\n", encoding="utf-8")
    (tmp_path / "policies" / "zh" / "short.md").write_text(  # not section for section: nothing equated
        "---\nkind: policy\nlang: zh\ntranslation_of: policies/ship.md\n---\n# 配送\n## 运费\n5.99 美元。\n",
        encoding="utf-8")
    pairs = chinese.translated_sections(tmp_path)
    assert pairs == {"policies/zh/ship.md#承运商": {"policies/ship.md#carriers"},
                     "policies/zh/ship.md#运费": {"policies/ship.md#costs"}}
    cases = chinese.with_translations([{"id": "a", "kind": "policy", "docs": ["policies/ship.md#costs"]},
                                       {"id": "b", "kind": "off_topic"}], pairs)
    assert cases[0]["docs"] == ["policies/ship.md#costs", "policies/zh/ship.md#运费"] and "docs" not in cases[1]


def test_the_demo_stores_chinese_policies_map_onto_the_english_sections():
    pairs = chinese.translated_sections()
    assert pairs["policies/zh/returns-refunds.md#退货期限"] == {"policies/returns-refunds.md#return-window"}
    assert {o.split("#")[0] for v in pairs.values() for o in v} == {
        f"policies/{p.name}" for p in (chinese.REPO / "knowledge" / "data" / "policies").glob("*.md")}


RECORDS = [
    ("en-gift", "Gift wrapping costs 4.99 dollars.", {"doc_id": "pol#gift", "kind": "policy", "lang": "en", "title": "Gift"}),
    ("zh-gift", "礼品包装每件 4.99 美元。", {"doc_id": "pol-zh#礼品", "kind": "policy", "lang": "zh", "title": "礼品",
                                     "translation_of": "pol.md"}),
    ("zh-only", "礼品 礼品 礼品包装服务", {"doc_id": "zh#礼品", "kind": "faq", "lang": "zh", "variant": "question",
                                  "title": "有礼品包装吗？", "answer": "我们提供礼品包装。"}),
]


def test_an_english_question_never_gets_a_translation_of_english_knowledge(settings):
    main, side = paired_stores(settings, RECORDS)
    got = [s.id for s in Retriever(main, top_k=3, intent_weight=0, multilingual=side).retrieve("gift wrapping?")]
    assert "pol-zh#礼品" not in got and "zh#礼品" in got  # a Chinese-only entry still may come


def test_a_chinese_question_finds_the_translated_section(settings):
    main, side = paired_stores(settings, RECORDS)
    got = [s.id for s in Retriever(main, top_k=3, intent_weight=0, multilingual=side).retrieve("礼品包装多少钱", lang="zh")]
    assert "pol-zh#礼品" in got


def test_an_english_question_never_gets_the_chinese_entry_of_an_intent_english_answers(settings):
    # "How much is the iPhone 16?" once got the Chinese trade-in entry: the multilingual model ranked it
    # above every English record, though an English entry answers the same intent
    records = [
        ("en-trade", "Do you take trade-ins? Yes, through Trade-In.", {"doc_id": "faq#trade", "kind": "faq", "lang": "en",
                                                                       "title": "Trade-ins", "intent": "trade_in"}),
        ("zh-trade", "礼品 礼品 可以以旧换新吗", {"doc_id": "zh#以旧换新", "kind": "faq", "lang": "zh", "title": "可以以旧换新吗？",
                                       "intent": "trade_in"}),
    ] + RECORDS[2:]
    main, side = paired_stores(settings, records)
    got = [s.id for s in Retriever(main, top_k=3, intent_weight=0, multilingual=side).retrieve("gift wrapping?")]
    assert "zh#以旧换新" not in got and "zh#礼品" in got  # an entry without an English counterpart still may come
