"""Hybrid and cross-lingual retrieval: fusion logic with fakes; the multilingual collection at ingest;
with the real bundled models (slow), Chinese questions reach English records and English questions
Chinese ones."""

from __future__ import annotations

import math

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from bot.retrieval import Retriever, merge_by_rank, rank_score, rrf
from knowledge.embedder import make_embedder
from knowledge.ingest import ingest, rebuild
from knowledge.multilingual import multilingual_name, multilingual_spec, multilingual_store
from knowledge.store import KnowledgeStore, make_store

# -- pure fusion logic -----------------------------------------------------------------------


def test_rrf_prefers_what_both_rankings_agree_on():
    fused = rrf([["a", "b", "c"], ["c", "b", "x"]])
    assert max(fused, key=fused.get) in ("b", "c") and fused["b"] > fused["a"] and fused["c"] > fused["x"]
    assert rrf([]) == {}


def test_merge_by_rank_inserts_where_the_judge_ranks_it():
    judge = {"en1": 0.9, "en2": 0.4, "zh1": 0.6, "zh2": 0.1}
    assert merge_by_rank(["en1", "en2"], ["zh1", "zh2"], judge, keep_first=False) == ["en1", "zh1", "en2", "zh2"]
    judge["zh1"] = 0.95
    assert merge_by_rank(["en1", "en2"], ["zh1"], judge, keep_first=False)[0] == "zh1"
    assert merge_by_rank(["en1", "en2"], ["zh1"], judge, keep_first=True)[:2] == ["en1", "zh1"]


def test_rank_scores_answer_from_the_best_but_never_verbatim():
    low, high = 0.42, 0.70
    scores = [rank_score(r, low, high) for r in range(1, 8)]
    assert scores == sorted(scores, reverse=True)
    assert low < scores[0] < high and scores[4] <= low


# -- fakes -------------------------------------------------------------------------------------
CONCEPTS = [("退货", "return"), ("配送", "delivery", "shipping"), ("手柄", "controller"), ("礼品", "gift"),
            ("价格", "多少钱", "price", "cost")]


class ConceptEmbedder(Embeddings):
    """A cross-lingual fake: one dimension per concept, whatever the language it is written in."""

    def _one(self, text: str) -> list[float]:
        low = text.lower()
        vec = [float(sum(low.count(w) for w in words)) for words in CONCEPTS] + [0.05]
        norm = math.sqrt(sum(v * v for v in vec))
        return [v / norm for v in vec]

    def embed_documents(self, texts):
        return [self._one(t) for t in texts]

    def embed_query(self, text):
        return self._one(text)

    def encode(self, texts):
        import numpy as np

        return np.asarray(self.embed_documents(list(texts)), dtype="float32")


RECORDS = [
    ("en-ctl", "Wireless controller for the console, 59.99 dollars.", {"doc_id": "P-CTL", "kind": "product", "lang": "en", "title": "Wireless controller"}),
    ("en-ret", "Returns are free within 30 days.", {"doc_id": "faq#returns", "kind": "policy", "lang": "en", "title": "Returns"}),
    ("zh-ret", "退货政策是什么", {"doc_id": "zh#退货", "kind": "faq", "lang": "zh", "variant": "question",
                             "title": "退货政策是什么？", "answer": "签收后 30 天内可以免费退货。"}),
    ("zh-gift", "礼品包装服务", {"doc_id": "zh#礼品", "kind": "faq", "lang": "zh", "variant": "question",
                           "title": "有礼品包装吗？", "answer": "我们提供免费的礼品包装。"}),
]


@pytest.fixture
def stores(settings):
    main = KnowledgeStore(settings, make_embedder("fake"))
    side = main.sibling(multilingual_name(main.collection_name), embedder=ConceptEmbedder())
    for store in (main, side):
        ids = [r[0] for r in RECORDS]
        docs = [Document(page_content=text, metadata=meta) for _, text, meta in RECORDS]
        store.add(ids, docs, store.embedder.embed_documents([d.page_content for d in docs]))
    return main, side


def test_a_chinese_question_finds_the_english_product_and_the_chinese_entry(stores):
    main, side = stores
    retriever = Retriever(main, top_k=3, intent_weight=0, multilingual=side)
    got = retriever.retrieve("手柄多少钱？", lang="zh")
    assert "P-CTL" in [s.id for s in got]
    assert got[0].id == "P-CTL" and got[0].score >= retriever.thresholds[0]  # answerable, from its rank
    assert retriever.retrieve("退货政策是什么？", lang="zh")[0].id == "zh#退货"  # characters and the model agree


def test_without_the_multilingual_collection_chinese_matches_chinese_only(stores):
    main, _ = stores
    got = Retriever(main, top_k=3, intent_weight=0, multilingual=None).retrieve("手柄多少钱？", lang="zh")
    assert all(s.metadata.get("lang") == "zh" for s in got)


def test_an_english_question_finds_a_topic_only_the_chinese_documents_cover(stores):
    main, side = stores
    retriever = Retriever(main, top_k=3, intent_weight=0, multilingual=side)
    got = retriever.retrieve("do you offer gift wrapping?", lang="en")
    assert got[0].id == "zh#礼品" and got[0].text == "我们提供免费的礼品包装。"
    # A topic the English knowledge covers keeps the English source first.
    assert retriever.retrieve("how do returns work? return policy", lang="en")[0].id == "faq#returns"


def test_a_question_neither_model_relates_to_anything_stays_below_abstention(stores):
    main, side = stores
    retriever = Retriever(main, top_k=3, intent_weight=0, multilingual=side)
    got = retriever.retrieve("量子力学", lang="zh")
    assert all(s.score < retriever.thresholds[0] for s in got)


SECTION_RECORDS = [
    ("zh-gift", "礼品卡怎么用", {"doc_id": "zh#礼品卡", "kind": "faq", "lang": "zh", "variant": "question",
                          "title": "礼品卡怎么用？", "answer": "结账时输入礼品卡号即可。"}),
    ("en-gift", "How do gift cards work?", {"doc_id": "faq#gift-cards", "kind": "faq", "lang": "en",
                                            "variant": "question", "title": "Gift cards"}),
    ("zh-wrap", "礼品包装：每个订单可以加购礼品包装，每件 4.99 美元，贺卡免费；包装纸有红、蓝、金三种颜色。"
     "含电池的商品、大件商品和预购商品不能包装，配送前由仓库同事包好，发票不随包裹寄出",
     {"doc_id": "policies/zh/gifts.md#礼品包装", "kind": "policy", "lang": "zh", "title": "礼品政策",
      "translation_of": "policies/gifts.md"}),
]


def paired_stores(settings, records):
    """The main store (fake embedder) and its multilingual sibling (:class:`ConceptEmbedder`), both
    holding ``records`` (``(id, text, metadata)``)."""
    main = KnowledgeStore(settings, make_embedder("fake"))
    side = main.sibling(multilingual_name(main.collection_name), embedder=ConceptEmbedder())
    for store in (main, side):
        docs = [Document(page_content=text, metadata=meta) for _, text, meta in records]
        store.add([r[0] for r in records], docs, store.embedder.embed_documents([d.page_content for d in docs]))
    return main, side


def test_a_policy_section_the_characters_match_outranks_entries_the_model_prefers_thinly(settings):
    main, side = paired_stores(settings, SECTION_RECORDS)
    retriever = Retriever(main, top_k=3, intent_weight=0, multilingual=side)
    query = "包装纸有几种颜色？"
    hits = retriever.lexical.search(query, 5, *retriever.thresholds)
    section = next(h for h in hits if h.doc.metadata["kind"] == "policy")
    # A long section shares few of the question's words: a character match below the abstain threshold...
    assert retriever.SECTION_MATCH <= section.score < retriever.thresholds[0]
    # ...and the multilingual model ranks the gift-card entries above it (it names delivery too).
    ml_order, _ = retriever._ranked_by_model(retriever._multilingual_hits(query, 6, None))
    assert ml_order.index("policies/zh/gifts.md#礼品包装") > 0
    got = [s.id for s in retriever.retrieve(query, lang="zh")]
    assert got[0] == "policies/zh/gifts.md#礼品包装"
    # Without the rule (no section counts as matched below the threshold), the model's pick wins.
    retriever.SECTION_DEPTH = 0
    assert retriever.retrieve(query, lang="zh")[0].id != "policies/zh/gifts.md#礼品包装"


def test_hybrid_ranking_finds_what_only_the_characters_match(settings):
    store = KnowledgeStore(settings, make_embedder("fake"))
    texts = {"P-1": "Steering wheel RW300X", "P-2": "Wheel stand for a steering wheel"}
    ids = list(texts)
    docs = [Document(page_content=t, metadata={"doc_id": i, "kind": "product", "lang": "en"}) for i, t in texts.items()]
    store.add(ids, docs, store.embedder.embed_documents(list(texts.values())))
    query = "the rw-300x wheel"
    dense_only = Retriever(store, top_k=2, intent_weight=0, lexical_weight=0.0, multilingual=None).retrieve(query)
    hybrid = Retriever(store, top_k=2, intent_weight=0, lexical_weight=2.0, multilingual=None).retrieve(query)
    assert dense_only[0].id == "P-2" and hybrid[0].id == "P-1"
    # The score thresholds see stays the embedding cosine, whatever the ranking.
    cosine = sum(a * b for a, b in zip(store.embedder.embed_query(query), store.embedder.embed_query(texts["P-1"])))
    assert hybrid[0].score == pytest.approx(cosine, abs=1e-4)


# -- the multilingual collection at ingest -----------------------------------------------------


def test_the_setting_decides_whether_there_is_a_multilingual_collection(settings):
    assert multilingual_spec(settings) is None  # auto on the fake embedder: a test store
    assert multilingual_spec(settings.model_copy(update={"multilingual": "fake"})) == "fake"
    assert multilingual_spec(settings.model_copy(update={"multilingual": "off", "embedder": "bundled"})) is None
    assert multilingual_spec(settings.model_copy(update={"multilingual": "on"})) == "multilingual"
    store = make_store(settings, make_embedder("fake"))
    assert multilingual_store(store) is None


def test_ingest_keeps_the_multilingual_collection_incremental(settings, shop_dir):
    settings = settings.model_copy(update={"multilingual": "fake"})
    store = make_store(settings, make_embedder("fake"))
    side = multilingual_store(store)
    first = ingest(store, [shop_dir], progress=False)
    assert side.count() == store.count() == first.records_written == first.multilingual_written
    assert {r.id for r in side.records()} == {r.id for r in store.records()}
    again = ingest(store, [shop_dir], progress=False)
    assert len(again.unchanged) == 6 and again.multilingual_written == 0
    csv = shop_dir / "products.csv"
    csv.write_text(csv.read_text().replace("59.99", "49.99"))
    (shop_dir / "returns.md").unlink()
    edited = ingest(store, [shop_dir], progress=False)
    assert edited.updated == ["products.csv"] and edited.multilingual_written == 1
    assert {r.id for r in side.records()} == {r.id for r in store.records()}
    assert not any(r.metadata["source"] == "returns.md" for r in side.records())
    assert "multilingual index: 1 records written" in edited.summary()


def test_turning_the_setting_on_later_fills_only_the_multilingual_collection(settings, shop_dir):
    store = make_store(settings, make_embedder("fake"))
    ingest(store, [shop_dir], progress=False)
    on = make_store(settings.model_copy(update={"multilingual": "fake"}), make_embedder("fake"))
    report = ingest(on, [shop_dir], progress=False)
    assert report.records_written == 0 and len(report.unchanged) == 6
    assert report.multilingual_written == on.count() == multilingual_store(on).count()


def test_rebuild_swaps_in_both_collections(settings, shop_dir):
    settings = settings.model_copy(update={"multilingual": "fake"})
    embedder = make_embedder("fake")
    store = make_store(settings, embedder)
    ingest(store, [shop_dir], progress=False)
    (shop_dir / "care.txt").unlink()
    report = rebuild(settings, embedder, [shop_dir], progress=False)
    assert not report.failed
    live, side = make_store(settings, embedder), multilingual_store(make_store(settings, embedder))
    assert live.count() == side.count() > 0
    assert not any(r.metadata["source"] == "care.txt" for r in side.records())


# -- real models ---------------------------------------------------------------------------------
ZH_FAQ = """---
title: 常见问题
kind: faq
lang: zh
---

## 你们提供礼品包装吗？
<!-- intent: gift_wrap -->
<!-- also: 可以包装成礼物吗 | 礼品包装要钱吗 -->

提供。结算时勾选“礼品包装”，每件商品加收 4 美元，我们会附上手写贺卡。
"""


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    from settings import Settings

    from .conftest import write_shop

    root = tmp_path_factory.mktemp("multilingual")
    shop = write_shop(root / "shop")
    (shop / "faq" / "zh.md").write_text(ZH_FAQ, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=root / "data", llm="fake", embedder="bundled",
                        sentiment_model="fake", collection="mltest", multilingual="on")
    store = make_store(settings, make_embedder("bundled"))
    report = ingest(store, [shop], progress=False)
    assert not report.failed and report.multilingual_written == store.count()
    return Retriever(store, top_k=5)


@pytest.mark.slow
@pytest.mark.parametrize("question, expected", [
    ("Aurora 无线耳机多少钱？", "P-1"),
    ("双人帐篷多少钱？", "P-3"),
    ("多少天内可以退货？", "returns.md#return-window"),
])
def test_a_chinese_question_retrieves_english_records(real_index, question, expected):
    assert expected in [s.id for s in real_index.retrieve(question, lang="zh")[:3]]


@pytest.mark.slow
def test_an_english_question_retrieves_a_chinese_faq_entry(real_index):
    got = real_index.retrieve("Do you offer gift wrapping?", lang="en")
    assert "faq/zh.md#你们提供礼品包装吗" in [s.id for s in got[:3]]
    # and an English topic stays answered from the English records
    assert real_index.retrieve("How do I cancel an order?", lang="en")[0].id == "faq/orders.md#how-do-i-cancel-an-order"
