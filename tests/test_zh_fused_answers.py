"""Chinese answers over a fused ranking: the first few sources compete whatever their scores,
the detail a section's characters carry wins over the broad entry the multilingual model
prefers, and a section both rankings list below their best is not a reason to abstain.
Also: Chinese questions naming an English attribute in Latin letters, and Chinese amounts and
durations as answer types."""

from __future__ import annotations

from bot.answers import passages
from bot.answers.facts import asked_attributes, compose
from bot.answers.products import Product
from bot.answers.smalltalk import off_topic
from bot.retrieval import Source
from tests.test_policy_answers import _answerer

# What the fused ranking of "账户里最多能存几个收货地址" looks like: two Chinese sections both
# rankings list (their scores low: long sections, lower multilingual ranks), then the English
# FAQ entry the multilingual model likes best.
DETAILS = Source("policies/zh/accounts-security.md#修改账户信息", "修改账户信息",
                 "姓名、邮箱和电话在账户 > 个人资料中修改。账户 > 地址中最多可以保存 10 个收货地址。", 0.21, "policy")
SIGN_UP = Source("policies/zh/accounts-security.md#注册账户", "注册账户",
                 "年满 18 岁的顾客可以用邮箱和至少 10 个字符的密码注册账户。", 0.28, "policy")
BROAD = Source("faq/shipping.md#how-do-i-add-a-new-shipping-address", "How do I add a new shipping address?",
               "Go to Account > Addresses and click Add address.", 0.56, "faq")


def _reply(question: str, sources: list[Source], lang: str = "zh"):
    return list(_answerer().answer(question, sources, [], lang))[-1][1]


def test_a_section_both_rankings_list_answers_rather_than_abstaining():
    final = _reply("账户里最多能存几个收货地址", [DETAILS, SIGN_UP, BROAD])
    assert not final.abstained
    assert "10 个收货地址" in final.text and final.sources == [DETAILS]


def test_the_same_scores_in_english_still_abstain():
    low = [Source(s.id, s.title, s.text, s.score, s.kind) for s in (DETAILS, SIGN_UP)]
    assert _reply("How many addresses can I save?", low, "en").abstained


def test_the_section_that_carries_the_detail_beats_the_broad_entry_ranked_above_it():
    password = Source("faq/account.md#i-forgot-my-password", "I forgot my password. How do I reset it?",
                      "Click Forgot password on the sign-in page.", 0.56, "faq")
    final = _reply("注册账号 密码最少要几位", [password, SIGN_UP])
    assert "至少 10 个字符" in final.text


def test_an_entry_the_characters_match_outright_answers_alone():
    refund = Source("faq/zh.md#怎样申请退款", "怎样申请退款",
                    "进入账户 > 订单 > 退货或退款，选择商品和原因。仓库收到退货后 2 个工作日内退款。", 1.26, "faq")
    warranty = Source("faq/zh.md#保修多久-怎么申请保修", "保修多久？怎么申请保修？",
                      "申请保修请进入账户 > 订单 > 报告问题；我们会维修、更换或退款。", 0.74, "faq")
    final = _reply("怎么申请退款", [refund, warranty])
    assert final.sources == [refund] and "退货或退款" in final.text


def test_a_product_record_on_the_retrieval_path_answers_the_attribute_asked():
    record = Source("HL-1121", "Trailcrest Self-Inflating Sleeping Pad",
                    "Trailcrest Self-Inflating Sleeping Pad by Trailcrest.\nPrice: $59.99.\nIn stock: 34 units.\n"
                    "R-value: 4.2; thickness: 2 inch; weight: 2 lb.", 0.56, "product",
                    metadata={"doc_id": "HL-1121", "title": "Trailcrest Self-Inflating Sleeping Pad", "price": 59.99,
                              "stock": 34})
    text = _reply("自充气睡垫的R值是多少", [record]).text
    assert "4.2" in text and "$59.99" not in text


def test_latin_attribute_names_in_a_chinese_question():
    helmet = Product("1", "Peakline Trail Mountain Bike Helmet", price=69.99, attributes={"mips": "yes", "weight": "340 g"})
    stat = Product("2", "Nestwise Smart Thermostat", price=149.99, attributes={"c-wire": "not required"})
    pad = Product("3", "Trailcrest Pad", price=59.99, attributes={"r-value": "4.2", "weight": "2 lb"})
    assert asked_attributes("Peakline 山地车头盔有没有 MIPS", helmet) == ["mips"]
    assert asked_attributes("Nestwise 智能温控器安装需要 C 线吗", stat) == ["c-wire"]
    assert asked_attributes("自充气睡垫的R值是多少", pad) == ["r-value"]
    assert asked_attributes("Peakline 头盔多少钱", helmet) == []  # the product's own name is not an attribute
    assert asked_attributes("What is the r value?", pad) == []  # English keeps its own rule
    reply = compose(pad, set(), "zh", ["r-value"])
    assert "4.2" in reply and "$59.99" not in reply  # the attribute asked, not the price


def test_chinese_amounts_and_minutes_are_answer_types():
    units = ["国际订单通过 DHL Express 配送，运费 19.99 美元起。", "Gold 会员免费加急。"]
    assert passages.rank("国际运费多少钱", units)[0][1] == 0
    units = ["数字兑换码在付款后 15 分钟内发送到您的邮箱。", "礼品卡不能兑换现金。"]
    assert passages.rank("兑换码多久能收到", units)[0][1] == 0
    assert passages.rank("How long until I get the code?", ["Codes are e-mailed within 15 minutes.",
                                                             "Gift cards cannot be exchanged for cash."])[0][1] == 0


def test_a_policy_question_naming_a_product_goes_to_the_policy():
    from bot.answers.engine import _POLICY_WORDS

    assert any(w in "ps5拆了包装不想要了 退货要扣钱吗" for w in _POLICY_WORDS)
    assert any(w in "我在英国 能买台PS5寄过来吗" for w in _POLICY_WORDS)
    assert any(w in "买eshop点卡 多久能收到兑换码" for w in _POLICY_WORDS)


def test_other_shops_prices_and_travel_plans_are_declined():
    assert off_topic("拼多多上 iPhone 16 现在啥价")
    assert off_topic("五一想去成都玩，有什么好玩的地方推荐")
    assert not off_topic("有什么好玩的游戏推荐")
    assert not off_topic("你们的 PS5 比京东便宜吗")


def test_every_demo_product_keeps_all_its_attributes_through_the_index_record():
    """A record's attribute line may name an attribute with capitals or a hyphen ("R-value", "MIPS",
    "C-wire"): the product read back from the index has every attribute the catalogue gives."""
    from pathlib import Path

    from knowledge.catalogue import CatalogueOptions, load_catalogue

    path = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "products.csv"
    docs = load_catalogue(path, path.read_text(encoding="utf-8"), "products.csv", "2026-01-01", CatalogueOptions())
    lost = []
    for doc in docs:
        product = Product.from_record(dict(doc.metadata), doc.page_content)
        line = next((l for l in doc.page_content.splitlines() if "; " in l and ": " in l and not l.startswith("Price")), "")
        wanted = {part.partition(": ")[0].strip() for part in line.rstrip(".").split("; ") if ": " in part}
        if wanted - set(product.attributes):
            lost.append((doc.metadata.get("doc_id"), sorted(wanted - set(product.attributes))))
    assert not lost
    helmet = next(d for d in docs if d.metadata.get("doc_id") == "HL-1135")
    assert Product.from_record(dict(helmet.metadata), helmet.page_content).attributes.get("MIPS") == "yes"
