"""Answer composition: finding the named product, stating its facts, policy sentences, small talk,
off-topic requests and follow-ups — pure functions over hand-made catalogue rows."""

from __future__ import annotations

import pytest

from bot.answers import followup, passages, smalltalk
from knowledge.prices import format_price
from bot.answers.facts import compose, compose_family, facets, not_found
from bot.answers.products import Product, ProductFinder, tokens

CATALOGUE = [
    Product("HL-1001", "PlayStation 5 Console - Disc Edition", "Sony", price=499.99, stock=1, rating=4.8,
            attributes={"platform": "PS5", "storage": "1 TB SSD", "color": "white", "includes": "DualSense controller"}),
    Product("HL-1002", "PlayStation 5 Console - Digital Edition", "Sony", price=449.99, stock=4,
            attributes={"platform": "PS5", "storage": "1 TB SSD", "disc drive": "no"}),
    Product("HL-1012", "Redline RW-300 Racing Wheel and Pedals", "Redline", price=249.99, stock=9),
    Product("HL-1013", "Redline RW-100 Starter Racing Wheel", "Redline", price=99.99, stock=0),
    Product("HL-1033", "Chronicles of Ember (PS5)", "Emberlight", price=69.99, stock=20,
            attributes={"platform": "PS5", "players": "1", "genre": "action RPG"}),
    Product("HL-1034", "Chronicles of Ember (PS4)", "Emberlight", price=49.99, stock=2,
            attributes={"platform": "PS4", "players": "1", "genre": "action RPG"}),
    Product("HL-1035", "Chronicles of Ember (PC)", "Emberlight", price=59.99, stock=7,
            attributes={"platform": "PC", "players": "1", "genre": "action RPG"}),
    Product("IN-1", "Bajaj Majesty DX-11 1000-Watt Dry Iron", "Bajaj", price=599, currency="INR", rating=4.2,
            rating_count=24269),
    Product("IN-2", "Bajaj DX-2 600W Dry Iron", "Bajaj", price=399, currency="INR", rating=4.0),
    Product("IN-3", "HP v222w 64GB USB 2.0 Pen Drive (Silver)", "HP", price=449, currency="INR"),
    Product("IN-4", "Gamenight Classic Board Game Collection", "Gamenight", price=29.99, stock=5),
]


@pytest.fixture(scope="module")
def finder():
    return ProductFinder(CATALOGUE)


@pytest.mark.parametrize("question, expected", [
    ("How much is the PS5 Disc Edition?", "HL-1001"),
    ("Is the PlayStation 5 digital edition in stock?", "HL-1002"),
    ("How much is the RW-300?", "HL-1012"),
    ("Price of the Bajaj Majesty DX-11?", "IN-1"),
    ("how much does the bajaj dx-2 cost", "IN-2"),
    ("Is Chronicles of Ember (PS4) in stock?", "HL-1034"),
])
def test_the_named_product_is_found(finder, question, expected):
    assert finder.find(question).product.id == expected


@pytest.mark.parametrize("question, missing", [
    ("How much does the HP v236w USB 2.0 64GB Pen Drive cost?", "V236W"),
    ("Do you have the Redline RW-500 wheel?", "RW500"),
    ("Price of the Bajaj DX-7?", "DX7"),
])
def test_a_model_code_we_do_not_carry_is_never_resolved_to_a_neighbour(finder, question, missing):
    found = finder.find(question)
    assert found.product is None and found.missing == missing
    assert found.alternatives  # the closest products are offered instead
    reply = not_found(found.missing, found.alternatives)
    assert reply.startswith(f"Sorry, I couldn't find the {missing}")


@pytest.mark.parametrize("question", [
    "Can I return an opened game?", "How long does standard shipping take?", "What is the capital of Australia?",
])
def test_questions_that_name_no_product_resolve_to_none(finder, question):
    found = finder.find(question)
    assert found.product is None and not found.missing


def test_a_title_on_several_platforms_asked_without_one_lists_them(finder):
    found = finder.find("Tell me about Chronicles of Ember")
    assert {p.id for p in found.family} == {"HL-1033", "HL-1034", "HL-1035"}
    assert compose_family(found.family, set()) == "Chronicles of Ember comes for PC ($59.99), PS4 ($49.99) and PS5 ($69.99)."
    assert compose_family(found.family, {"specs"}, attributes=["players"]) == "Chronicles of Ember is for 1 players (PC, PS4 and PS5)."


def test_facts_are_stated_in_a_sentence_in_the_store_currency():
    ps5, wheel, iron = CATALOGUE[0], CATALOGUE[3], CATALOGUE[7]
    assert compose(ps5, {"price"}) == "The PlayStation 5 Console - Disc Edition is $499.99, and we have 1 left."
    assert compose(wheel, {"stock"}) == "Sorry, the Redline RW-100 Starter Racing Wheel is out of stock right now."
    assert compose(iron, {"rating"}) == "The Bajaj Majesty DX-11 1000-Watt Dry Iron is rated 4.2 out of 5 from 24,269 ratings."
    assert compose(iron, {"price"}) == "The Bajaj Majesty DX-11 1000-Watt Dry Iron is ₹599."
    assert compose(ps5, {"specs"}) == ("The PlayStation 5 Console - Disc Edition is for PS5, has 1 TB SSD of storage, "
                                       "comes in white and comes with DualSense controller.")
    assert compose(ps5, {"price"}, "zh") == "PlayStation 5 Console - Disc Edition 售价 $499.99，目前有货（仅剩 1 件）。"


def test_facets_of_a_question():
    assert facets("How much is it, and is it in stock?") == {"price", "stock"}
    assert facets("What's its rating?") == {"rating"}
    assert facets("PS5 光驱版多少钱？") == {"price"}
    assert facets("Tell me about it") == set()


@pytest.mark.parametrize("amount, currency, text", [
    (499.99, "USD", "$499.99"), (1099, "INR", "₹1,099"), (1099.5, "INR", "₹1,099.50"), (2980, "JPY", "¥2,980"),
    (19.9, "EUR", "€19.90"), (5, "GBP", "£5.00"), (12, "CHF", "12.00 CHF"),
])
def test_prices_keep_their_currency(amount, currency, text):
    assert format_price(amount, currency) == text


def test_tokens_fold_model_codes_and_units():
    assert tokens("Bajaj Majesty DX-11, 64 GB") == ["bajaj", "majesty", "dx11", "64gb"]


POLICY = """Guest members have 30 days to return an item.
- Bronze members: 90 days to return an item.
- Gold members: 120 days to return an item.

| Plan | Price | Benefits |
| --- | --- | --- |
| Standard | free | free shipping on orders of $49+ |
| Gold | $59 a year | free Express shipping on every order |

Opened games can be returned only when they are faulty. Opened consoles carry a **15% restocking fee**."""


@pytest.mark.parametrize("question, first", [
    ("I'm a bronze member, how long do I have to return an item?", "Bronze members: 90 days to return an item."),
    ("How long do guests have to return something?", "Guest members have 30 days to return an item."),
    ("How much is the Gold plan?", "Gold plan — Price: $59 a year; Benefits: free Express shipping on every order."),
    ("Can I return an opened game?", "Opened games can be returned only when they are faulty."),
    ("Is there a restocking fee on an opened console?", "Opened consoles carry a 15% restocking fee."),
])
def test_the_unit_that_answers_comes_first(question, first):
    assert passages.select(question, POLICY)[0] == first


def test_two_questions_about_one_entry_get_different_answers():
    a = passages.select("Can I return an opened game?", POLICY, n=1)
    b = passages.select("Is there a restocking fee on an opened console?", POLICY, n=1)
    assert a != b


def test_markdown_is_stripped_from_what_the_shopper_reads():
    assert passages.strip_markdown("Click **Save** in [Account](/a) `now`") == "Click Save in Account now"


@pytest.mark.parametrize("message, kind", [
    ("thanks, that helps!", "thanks"), ("great, bye", "goodbye"), ("Thank you so much!", "thanks"),
    ("ok cool", "ok"), ("谢谢，再见", "goodbye"), ("perfect, that's all", "ok"),
    ("Where is my order?", None), ("ok, and how long does shipping take?", None), ("thanks but it arrived broken", None),
])
def test_small_talk(message, kind):
    assert smalltalk.small_talk(message) == kind


@pytest.mark.parametrize("message, declined", [
    ("What's the weather in Paris today?", True), ("Who won the 2018 World Cup?", True),
    ("What is the capital of Australia?", True), ("Write me a poem about the sea.", True), ("今天天气怎么样？", True),
    ("Do you ship to Australia?", False), ("How much is Pitchside Soccer 25?", False), ("Where is my order?", False),
    # another retailer's price is not ours to give; comparing with ours is a shop question
    ("How much is the PS5 on Amazon?", True), ("京东上iPhone 16多少钱", True), ("淘宝上这款耳机卖多少", True),
    ("Do you price match Amazon?", False), ("你们比京东便宜吗？", False), ("Is it cheaper than at Best Buy?", False),
])
def test_off_topic_requests(message, declined):
    assert smalltalk.off_topic(message) is declined


@pytest.mark.parametrize("message, previous, rewritten", [
    ("And express?", "How long does standard shipping take?", "How long does express shipping take?"),
    ("what about next-day?", "How much is express shipping?", "How much is next-day shipping?"),
    ("and for gold members?", "Do bronze members get free returns?", "Do gold members get free returns?"),
    ("and with PayPal?", "Can I pay by credit card?", "Can I pay by PayPal?"),
    ("How long does standard shipping take?", "Do you sell tents?", None),
])
def test_elliptical_follow_ups_swap_the_word_of_the_same_kind(message, previous, rewritten):
    assert followup.elliptical(message, previous) == rewritten


def test_platform_follow_ups_and_anaphora():
    assert followup.wanted_platform("And is there a PC version?") == "PC"
    assert followup.wanted_platform("有Switch版吗？") == "Switch"
    assert followup.wanted_platform("How much is it?") is None
    assert followup.refers_back("And how much does it cost?")
    assert followup.refers_back("那它多少钱？")
    assert not followup.refers_back("How long does standard shipping take?")


def test_variant_of_the_focused_title(finder):
    ember_ps4 = CATALOGUE[5]
    assert finder.variant(ember_ps4, "PC").id == "HL-1035"
    assert finder.variant(ember_ps4, "Switch") is None
