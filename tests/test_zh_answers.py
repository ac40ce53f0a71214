"""Chinese shoppers get the same kinds of answer as English ones (issue 12): off-topic requests
declined without declining shop questions, spec questions answered with the asked attribute,
Chinese policy sentences matched on their words, recommendation tastes given their category,
and a plain recommendation request not taken for an upset shopper."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.answers.facts import asked_attributes, compose, facets
from bot.answers.passages import select
from bot.answers.products import Product
from bot.answers.smalltalk import DECLINE, off_topic
from bot.answers.engine import conversation_answer
from recommender.query import match_category, parse_taste


@pytest.mark.parametrize("message", [
    "今天星期几", "推荐一部好看的电影", "写一首关于秋天的诗", "幫我寫一首詩", "明天上海天气怎么样",
    "帮我算一下12乘以8等于多少", "比特币现在多少钱", "给我写一段 Java 代码", "帮我订一张去北京的机票",
    "最近有什么新闻", "宫保鸡丁怎么做",
])
def test_chinese_general_requests_are_declined_in_chinese(message):
    assert off_topic(message)
    ans = conversation_answer(message, "zh")
    assert ans is not None and ans.abstained and ans.text == DECLINE["zh"]


@pytest.mark.parametrize("message", [
    "PS5 光驱版多少钱？", "手柄加上充电器多少钱", "有什么好吃的咖啡豆推荐", "旅游用的背包推荐", "明星同款耳机有货吗",
    "退货政策是什么", "礼品卡会过期吗", "这款帐篷能防水吗", "推荐一本写给孩子的故事书", "电影投影仪推荐",
    "What is the capital of Australia? Do you ship there?",
])
def test_shop_questions_are_not_declined(message):
    assert not off_topic(message)


RW = Product("HL-9", "Redline RW-300 Racing Wheel", price=249.99, stock=10,
             attributes={"platform": "PS5, PC", "rotation": "900°", "pedals": "2"})
BOTTLE = Product("HL-8", "Trailcrest Insulated Bottle", price=29.99, stock=5,
                 attributes={"capacity": "32 oz", "keeps cold": "24 h", "keeps hot": "12 h"})
WATCH = Product("HL-7", "Lumen Fit Smartwatch", price=149.99, stock=3, attributes={"battery": "7 days"})


@pytest.mark.parametrize("product, question, attribute, value", [
    (RW, "RW-300 方向盘能转多少度", "rotation", "900°"),
    (BOTTLE, "这个水壶能保冷多久", "keeps cold", "24 h"),
    (WATCH, "Lumen Fit 手錶續航幾天", "battery", "7 days"),
])
def test_chinese_spec_question_states_the_asked_attribute_not_the_price(product, question, attribute, value):
    assert "specs" in facets(question) and "price" not in facets(question)
    attrs = asked_attributes(question, product)
    assert attrs == [attribute]
    reply = compose(product, facets(question), "zh", attrs, question)
    assert value in reply and "$" not in reply


def test_chinese_policy_sentence_is_found_by_its_words():
    body = ("美国境内有三种配送速度：标准配送 3–5 个工作日。Gold 会员免费加急，Platinum 会员免费次日达。"
            "标准配送运费 5.99 美元，订单满 49 美元免运费。")
    assert select("运费怎么算", body, n=1) == ["标准配送运费 5.99 美元，订单满 49 美元免运费。"]


CATEGORIES = ["Video Games", "racing", "shooter", "Outdoor & Sports", "tents", "camping gear",
              "Consoles & Accessories", "consoles", "controllers", "Toys", "building sets"]


@pytest.mark.parametrize("taste, category", [
    ("推荐几款射击游戏", "shooter"),  # the kind, not the whole department
    ("推荐一顶适合全家露营的帐篷", "tents"),  # the head noun
    ("想买一台游戏机", "consoles"),  # 游戏机 is not 游戏
    ("有什么游戏推荐？", "Video Games"),
    ("推荐一些积木玩具", "building sets"),
    ("推荐一款护肤品", None),  # nothing of the catalogue named: no filter
])
def test_chinese_taste_gets_its_category(taste, category):
    assert parse_taste(taste, CATEGORIES).category == category


def test_english_category_matching_is_unchanged():
    assert match_category("cheap racing games", CATEGORIES) == "racing"


def test_a_recommendation_request_scored_negative_is_still_a_request():
    from bot.steps import unhappy

    def turn(text, intent, polarity):
        return SimpleNamespace(text=text, intent=intent, routed=intent,
                               mood=SimpleNamespace(label="negative", polarity=polarity))

    assert not unhappy(turn("推荐一台咖啡机", "recommend", -0.5))
    assert unhappy(turn("推荐一台咖啡机", "recommend", -0.9))  # strongly negative still counts
    assert unhappy(turn("这台咖啡机太差了", None, -0.5))


@pytest.mark.parametrize("message, leans", [
    ("PS5 版呢", True), ("PS4 版有货吗", True), ("Lost Lagoon PS4 版多少钱", False), ("有 PS5 版的赛车游戏推荐吗", False),
])
def test_a_chinese_version_follow_up_leans_on_the_product_discussed(message, leans):
    from bot.answers.followup import refers_back

    assert refers_back(message) is leans


def test_a_complaint_naming_a_product_goes_to_the_policy_not_the_product_facts():
    """"我的耳机坏了，太过分了" names headphones but asks for the damaged-item policy, not their price."""
    from bot.answers.engine import Focus, product_answer

    class NoCatalogue:
        def current(self):
            raise AssertionError("a complaint must not be answered from the catalogue")

    for text in ("我的耳机坏了，太过分了", "My headphones arrived broken, this is unacceptable"):
        answer, focus = product_answer(NoCatalogue(), text, "zh", Focus())
        assert answer is None
