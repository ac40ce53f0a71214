"""Chinese questions read fairly (issue 12): Traditional characters folded to Simplified, the
Chinese character index not fooled by a product's English name, the multilingual model's lower
ranks not answering beside its best, Chinese follow-ups, a shop term alone naming no product,
and the held-out question file. Unit tests with hand-made texts and fakes (no model loaded)."""

from __future__ import annotations

import json
import re

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks import chinese
from bot.answers import followup
from bot.answers.crosslingual import lexical_query
from bot.answers.engine import Focus, product_answer, retrieval_query
from bot.answers.products import Product, ProductFinder
from bot.retrieval import LexicalIndex, Retriever, rank_score
from knowledge.lang import detect_lang, to_simplified, zh_terms
from knowledge.store import Record

CJK = re.compile(r"[\u3400-\u9fff]")


# --------------------------------------------------------------------------- Traditional → Simplified
@pytest.mark.parametrize("traditional, simplified", [
    ("運費怎麼算", "运费怎么算"), ("退貨政策是什麼", "退货政策是什么"), ("有現貨嗎", "有现货吗"),
    ("Lumen Fit 手錶續航幾天", "Lumen Fit 手表续航几天"), ("保固多久", "保修多久"),
])
def test_traditional_questions_are_read_in_simplified(traditional, simplified):
    assert to_simplified(traditional) == simplified


def test_simplified_and_latin_text_is_left_as_it_is():
    for text in ("运费怎么算", "PS5 光驱版多少钱？", "How much is the PS5?", ""):
        assert to_simplified(text) == text


def test_terms_keep_latin_words_whole_and_pair_characters_across_punctuation():
    assert zh_terms("Harbor Lane Protect 是什么") == ["harbor", "lane", "protect", "是", "什", "么", "是什", "什么"]
    assert "运费" in zh_terms("運費") and "h" not in zh_terms("Hearthstone 多少钱")


def test_traditional_shop_terms_find_their_english_words():
    assert "train" in lexical_query("Tinker Tots 木製火車玩具多少錢？")
    assert lexical_query("羽絨外套多少錢").endswith("down jacket")


def test_the_retrieval_query_of_a_chinese_message_is_simplified():
    assert retrieval_query("運費怎麼算", "zh", Focus(), []) == "运费怎么算"
    assert retrieval_query("How much is shipping?", "en", Focus(), []) == "How much is shipping?"


# --------------------------------------------------------------------------- the character index
def _fit(texts):
    vec = TfidfVectorizer(analyzer=zh_terms, sublinear_tf=True)
    return vec, vec.fit_transform(texts)


PHRASINGS = ["礼品包装多少钱", "运费怎么算", "可以用礼品卡付款吗", "Harbor Lane Protect 是什么", "退货要运费吗"]


def _similarity(query):
    vec, matrix = _fit(PHRASINGS)
    sims = (vec.transform([query]) @ matrix.T).toarray()[0] * LexicalIndex.coverage(vec, query)
    return dict(zip(PHRASINGS, sims))


def test_a_product_name_unknown_to_the_chinese_records_weighs_against_their_match():
    # "多少钱" alone matches the gift-wrapping phrasing; the product name it does not carry counts against it
    named = _similarity("Sonora Quiet 700 降噪耳机多少钱")["礼品包装多少钱"]
    assert named < 0.40 < _similarity("礼品包装多少钱？")["礼品包装多少钱"]


def test_a_question_the_records_cover_keeps_its_match():
    assert _similarity("运费怎么算")["运费怎么算"] == pytest.approx(1.0)
    assert _similarity("Harbor Lane Protect 延保")["Harbor Lane Protect 是什么"] > 0.40


def test_letters_of_an_english_name_do_not_match_inside_other_words():
    # char n-grams over letters made "Hearthstone" match "Harbor Lane …" phrasings
    assert _similarity("Hearthstone 空气炸锅")["Harbor Lane Protect 是什么"] == 0.0


def test_coverage_is_zero_for_a_question_of_unknown_words_only():
    vec, _ = _fit(PHRASINGS)
    assert LexicalIndex.coverage(vec, "Zoomrun RC") == 0.0
    assert LexicalIndex.coverage(vec, "运费") == pytest.approx(1.0)


def test_below_its_best_the_multilingual_rank_scores_under_abstaining():
    abstain, direct = 0.42, 0.70
    best = rank_score(1, abstain, direct, step=Retriever.ML_STEP)
    second = rank_score(2, abstain, direct, step=Retriever.ML_STEP)
    assert abstain < best < direct and second <= abstain
    assert rank_score(2, abstain, direct) > abstain  # the English path's merge keeps its gentle steps


# --------------------------------------------------------------------------- follow-ups
@pytest.mark.parametrize("message, previous, expected", [
    ("加急呢？", "标准配送要几天", "加急配送要几天"),
    ("那次日达呢", "标准配送要几天", "次日达配送要几天"),
    ("PayPal 呢", "可以用信用卡付款吗", "可以用PayPal付款吗"),
    ("Platinum 会员呢？", "Gold 会员一年多少钱", "Platinum 会员一年多少钱"),
])
def test_a_chinese_ellipsis_swaps_the_word_of_the_same_kind(message, previous, expected):
    assert followup.elliptical(message, previous) == expected


@pytest.mark.parametrize("message, previous", [
    ("加急配送要收费吗，包装会不会坏", "标准配送要几天"),  # asks something of its own
    ("退货政策是什么", "标准配送要几天"),  # names no word of a kind the previous question has
    ("加急呢", ""),
])
def test_other_chinese_messages_are_not_ellipses(message, previous):
    assert followup.elliptical(message, previous) is None


def test_a_measure_word_without_its_noun_counts_what_the_previous_question_named():
    assert followup.resolve_followup("一个订单最多能用几张？", ["礼品卡会过期吗"]) == "礼品卡会过期吗 一个订单最多能用几张？"
    assert followup.resolve_followup("一个订单能用几个优惠码", ["礼品卡会过期吗"]) == "一个订单能用几个优惠码"


# --------------------------------------------------------------------------- a shop term names no product
GIFT_CARD = Product("HL-1021", "Nintendo eShop Gift Card $35", "Nintendo", price=35.0, stock=198,
                    attributes={"platform": "Switch", "format": "digital code"})
KETTLE = Product("HL-1103", "BrewHaus Electric Gooseneck Kettle", "BrewHaus", price=59.99, stock=5,
                 attributes={"capacity": "0.9 L"})


class FakeCatalogue:
    def __init__(self, products):
        self.finder = ProductFinder(products)
        self.records = {p.id: Record(p.id, p.title, {"doc_id": p.id, "title": p.title, "kind": "product",
                                                     "price": p.price, "stock": p.stock}, None) for p in products}

    def current(self):
        return self.finder, self.records


def test_a_policy_question_naming_only_a_kind_of_product_goes_to_the_policies():
    answer, _ = product_answer(FakeCatalogue([GIFT_CARD, KETTLE]), "礼品卡会过期吗", "zh", Focus())
    assert answer is None


def test_a_product_fact_asked_by_shop_term_or_by_name_is_still_answered():
    catalogue = FakeCatalogue([GIFT_CARD, KETTLE])
    named, focus = product_answer(catalogue, "BrewHaus 手冲壶多少钱", "zh", Focus())
    assert named is not None and "59.99" in named.text and focus.product == "HL-1103"
    by_term, _ = product_answer(catalogue, "礼品卡多少钱", "zh", Focus())
    assert by_term is not None and "35" in by_term.text


# --------------------------------------------------------------------------- the held-out questions
@pytest.fixture(scope="module")
def heldout():
    return chinese.load_cases(chinese.HELDOUT)


def test_the_held_out_file_is_new_questions_of_every_kind(heldout):
    main = {t for c in chinese.load_cases() for t in c["turns"]}
    catalogue = chinese.load_catalogue()
    assert len(heldout) >= 30 and {c["kind"] for c in heldout} == set(chinese.KINDS)
    assert not [t for c in heldout for t in c["turns"] if t in main]
    assert any(to_simplified(t) != t for c in heldout for t in c["turns"])  # some Traditional
    for c in heldout:
        assert all(len(CJK.findall(t)) >= 2 and detect_lang(t) == "zh" for t in c["turns"]), c["id"]
        for pid in chinese.case_products(c):
            assert pid in catalogue, (c["id"], pid)
            if c.get("attribute"):
                assert catalogue[pid]["attrs"].get(c["attribute"]), (c["id"], pid)
        if c["kind"] == "policy":
            assert c.get("docs") and c.get("expect"), c["id"]
        if c["kind"] == "recommend":
            assert any(chinese.in_category(row, c) for row in catalogue.values()), c["id"]


def test_every_expected_doc_of_the_held_out_file_is_in_the_demo_index(heldout, settings):
    from benchmarks.common import build_demo_index

    indexed = {str(r.metadata.get("doc_id")) for r in build_demo_index(settings).records()}
    assert not sorted({(c["id"], d) for c in heldout for d in c.get("docs", []) if d not in indexed})


@pytest.mark.parametrize("content, message", [
    ("not json", "not a readable JSON"), (json.dumps({"cases": "x"}), "'cases' list"),
    (json.dumps({"cases": [{"id": "a", "kind": "weather", "turns": ["你好"]}]}), "kind"),
    (json.dumps({"cases": [{"id": "a", "kind": "policy", "turns": ["x"]}] * 2}), "duplicate"),
])
def test_a_bad_question_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "q.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        chinese.load_cases(path)
    with pytest.raises(SystemExit) as exc:
        chinese.main(["--questions", str(path), "--no-answers"])
    assert exc.value.code == 2


# --------------------------------------------------------------------------- attribute labels
def test_every_demo_catalogue_attribute_has_a_chinese_label():
    from bot.answers.facts import ATTR_ZH
    from bot.prompts import ATTRIBUTE_LABEL_ZH, attribute_label

    names = {a for row in chinese.load_catalogue().values() for a in row["attrs"]}
    unlabelled = sorted(n for n in names if n not in ATTR_ZH and not CJK.search(attribute_label(n, "zh")))
    assert not unlabelled
    assert all(CJK.search(label) for label in ATTRIBUTE_LABEL_ZH.values())
    assert attribute_label("keep warm", "en") == "keep warm"
