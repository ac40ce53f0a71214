"""Answers on a store nobody on the team wrote (issue 15, held-out round): the general causes of
the held-out failures, each on hand-made rows — shopper wordings of a fact, the name a shopper
used, the brand and the model number guarding the product, variants and cheaper alternatives,
spec text with bracketed headers, small talk, staff guidelines, policy amounts, complaints."""

from __future__ import annotations

from bot.answers import agent_text, passages, smalltalk
from bot.answers.engine import Focus, product_answer, retrieval_query
from bot.answers.facts import asks_cheaper, compose, facets, not_found
from bot.answers.features import feature_answer
from bot.answers.products import Product, ProductFinder, fits_focus, short_title, spoken_name

INR = {"currency": "INR"}
PURIFIER = Product("B0811VCGL5", "Mi Air Purifier 3 with True HEPA Filter, removes air pollutants, smoke, odor, bacteria "
                   "& viruses with 99.97% efficiency, coverage area up to 484 sq. ft., Wi-Fi & Voice control - Alexa/GA "
                   "(white)", price=9970, list_price=12999, rating=4.3, rating_count=4049, subcategory="HEPAAirPurifiers",
                   text="Mi Air Purifier 3\nEffective coverage area upto 484 sqft;Power: 38 watts", **INR)
COWAY = Product("B08GJ57MKL", "Coway Professional Air Purifier for Home, Longest Filter Life 8500 Hrs, Green True HEPA "
                "Filter", price=14400, subcategory="HEPAAirPurifiers", **INR)
WATCH = Product("B09YV463SW", "Fire-Boltt Ninja 3 Smartwatch Full Touch 1.69 \" & 60 Sports Modes with IP68, Sp02 "
                "Tracking, Over 100 Cloud based watch faces ( Silver )", price=1499, list_price=9999,
                subcategory="SmartWatches",
                text="Fire-Boltt Ninja 3\nFire-Boltt is India' No 1 Wearable Watch Brand.【60 workout modes】- This "
                     "smartwatch consists of 60 sports mode to track.【POWERFUL BATTERY】 - About 7 days battery life"
                     "|Band Color: Silver; Included Components: 1 Smartwatch, 1 Manual, 1 Magnetic Charger", **INR)
WATCH_CALL = Product("B09RKFBCV7", "Fire-Boltt Ninja Calling 1.69\" Bluetooth Calling Smart Watch, Dial Pad, Speaker",
                     price=1999, subcategory="SmartWatches", **INR)
CHEAP_WATCH = Product("B0B53QFZPY", "PTron Force X10 Bluetooth Calling Smartwatch", price=1299,
                      subcategory="SmartWatches", **INR)
PTRON_CABLE = Product("B08Y1TFSP6", "pTron Solero TB301 3A Type-C Data and Fast Charging Cable", price=149,
                      subcategory="USBCables", **INR)
Z6_6GB = Product("B07WGPKMP5", "iQOO Z6 44W by vivo (Raven Black, 6GB RAM, 128GB Storage) | 6.44\" FHD+ AMOLED Display",
                 price=15499, **INR)
Z6_4GB = Product("B07WDKLRM4", "iQOO Z6 44W by vivo (Lumina Blue, 4GB RAM, 128GB Storage) | 6.44\" FHD+ AMOLED Display",
                 price=13999, **INR)
DURACELL = Product("B08Y57TPDM", "Duracell CR2016 3V Lithium Coin Battery, 5 pcs", price=116, **INR)
DURACELL_AA = Product("B014SZO90Y", "Duracell Ultra Alkaline AA Battery, 8 Pcs", price=266, **INR)
PANASONIC = Product("B01", "Panasonic CR-2032/5BE Lithium Coin Battery - Pack of 5", price=225, **INR)
PANASONIC_AA = Product("B02", "Panasonic Alkaline AA Battery, 4 Pcs", price=120, **INR)
STAND = Product("B08LHTJTBB", "Dyazo 6 Angles Adjustable Aluminum Ergonomic Foldable Portable Tabletop Laptop/Desktop "
                "Riser Stand Holder Compatible for MacBook, HP, Dell, Lenovo & All Other Notebook (Silver)", price=599,
                list_price=1999, text="Dyazo stand\nLaptop stand fully foldable, light weight at 260gm only", **INR)
VACUUM = Product("B07Z51CGGH", "Eureka Forbes Wet & Dry Ultimo 1400 Watts Multipurpose Vacuum Cleaner", price=5499,
                 text="Eureka Forbes Ultimo\nLarge capacity of 20 litres storage so you need not empty the dust tank often",
                 **INR)
TAP = Product("B0TAP", "Swiffer Instant Electric Water Heater Faucet Tap", price=1299, **INR)
ALL = [PURIFIER, COWAY, WATCH, WATCH_CALL, CHEAP_WATCH, PTRON_CABLE, Z6_6GB, Z6_4GB, DURACELL, DURACELL_AA,
       PANASONIC, PANASONIC_AA, STAND, VACUUM, TAP]


class _Rec:
    def __init__(self, p: Product):
        self.id, self.text, self.metadata = p.id, p.text, {"doc_id": p.id, "title": p.title}


class _Catalogue:
    def __init__(self, products):
        self.finder = ProductFinder(products)
        self.records = {p.id: _Rec(p) for p in products}

    def current(self):
        return self.finder, self.records


CAT = _Catalogue(ALL)


def ask(*turns: str) -> str:
    focus, text = Focus(), ""
    for t in turns:
        ans, focus = product_answer(CAT, t, "en", focus)
        text = ans.text if ans else ""
    return text


def test_shopper_wordings_of_a_fact():
    assert "price" in facets("What do you charge for the iQOO Z6 44W with 6GB RAM?")
    assert "price" not in facets("How much does the Dyazo laptop stand weigh?")
    assert "rating" not in facets("What's the pressure rating of the geyser?")
    assert "rating" in facets("What do reviewers give the mixer out of 5?") and "rating" in facets("Is it rated well?")
    assert facets("What percentage off is the Lenovo 600 mouse?") == {"discount"}
    assert facets("Who makes the Force X10 smartwatch?") == {"brand"}
    assert "specs" in facets("How many sports modes does it have?") and "specs" not in facets("How many ratings?")


def test_the_product_is_named_by_its_name_not_its_feature_list():
    # The Mi's long title lists features; the shopper says its name, which the Coway does not carry.
    assert ProductFinder(ALL).find("What's the price of the Mi Air Purifier 3?").product is PURIFIER
    assert ask("What's the price of the Mi Air Purifier 3?").startswith("The Mi Air Purifier 3 is ₹9,970")


def test_the_brand_named_guards_the_product():
    found = ProductFinder(ALL).find("How much is a pack of Duracell CR2032 batteries?")
    assert found.product is None and found.missing == "Duracell CR2032" and PANASONIC in found.alternatives
    reply = ask("How much is a pack of Duracell CR2032 batteries?")
    assert reply.startswith("Sorry, I couldn't find the Duracell CR2032") and "₹" not in reply


def test_another_number_after_the_name_is_another_model():
    found = ProductFinder(ALL).find("How much is the Fire-Boltt Ninja 2?")
    assert found.product is None and found.missing == "Ninja 2"


def test_not_found_lists_each_alternative_once_by_a_short_name():
    reply = not_found("Z7", [Z6_6GB, Z6_4GB, Z6_6GB])
    assert reply.count("iQOO Z6 44W by vivo") == 1 and "₹" not in reply


def test_the_name_is_said_as_the_shopper_said_it():
    assert spoken_name(STAND, "How much is the Dyazo laptop stand?") == "Dyazo Laptop Stand"
    assert spoken_name(WATCH, "Is the Fire-Boltt Ninja 3 waterproof?") == "Fire-Boltt Ninja 3"  # not "… waterproof"
    assert short_title("Philips HL7756/00 Mixer Grinder, 750W, 3 Jars (Black)") == "Philips HL7756/00 Mixer Grinder"
    assert short_title("Chronicles of Ember (PS4)") == "Chronicles of Ember (PS4)"  # a short title keeps its platform
    assert short_title("MI 108 cm (43 inches) 5A Series Full HD Smart Android LED TV L43M7-EAIN (Black)") != "MI 108 cm"


def test_brand_and_discount_are_answered_first():
    assert compose(CHEAP_WATCH, {"brand"}, question="Who makes the Force X10 smartwatch?").endswith("is made by PTron.")
    off = compose(STAND, {"discount"}, question="What percentage off is the Dyazo laptop stand?")
    assert off == "The Dyazo Laptop Stand is 70% off: ₹599 instead of ₹1,999."
    mrp = compose(PURIFIER, {"discount"}, question="What's the MRP of the Mi Air Purifier 3?")
    assert mrp.startswith("The Mi Air Purifier 3's list price (MRP) is ₹12,999; we sell it for ₹9,970")


def test_bracketed_headers_and_what_is_in_the_box():
    assert feature_answer("How many sports modes does the Fire-Boltt Ninja 3 have?", WATCH) == \
        "The Fire-Boltt Ninja 3 has 60 sports modes."
    assert "【" not in feature_answer("What's the battery life of the Fire-Boltt Ninja 3?", WATCH)
    box = feature_answer("What comes in the box with the Fire-Boltt Ninja 3?", WATCH)
    assert box.lower().startswith("the fire-boltt ninja 3 comes with 1 smartwatch, 1 manual, 1 magnetic charger")
    assert "260gm" in feature_answer("How much does the Dyazo laptop stand weigh?", STAND)


def test_a_variant_follow_up_and_a_cheaper_one():
    assert ask("How much is the iQOO Z6 44W with 6GB RAM?", "and the 4GB one?") == "The iQOO Z6 44W by vivo is ₹13,999. [1]"
    assert asks_cheaper("is there a cheaper one?") and not asks_cheaper("how cheap is shipping?")
    reply = ask("What's the price of the Fire-Boltt Ninja 3?", "is there a cheaper smartwatch?")
    assert reply.startswith("Yes — the PTron Force X10 Bluetooth Calling Smartwatch at ₹1,299 is cheaper than")
    assert "Ninja Calling" not in reply and "Solero" not in reply  # dearer, or another kind of product
    assert ask("How much is the PTron Force X10?", "anything cheaper?").startswith("The PTron Force X10")  # none


def test_a_follow_up_about_a_feature_of_the_focus_stays_on_it():
    assert fits_focus("what's the tank capacity?", VACUUM) and not fits_focus("what's the tank capacity?", WATCH)
    reply = ask("How much is the Eureka Forbes Ultimo vacuum?", "what's the tank capacity?")
    assert "20 litres" in reply and "Swiffer" not in reply


def test_greetings_and_questions_about_the_assistant_are_small_talk():
    assert smalltalk.small_talk("hi there!") == "hello" and smalltalk.small_talk("hello, is anyone there?") == "hello"
    assert smalltalk.small_talk("how are you today?") == "how" and smalltalk.small_talk("who am I talking to?") == "who"
    assert smalltalk.small_talk("thanks a lot, that's really helpful") == "thanks"
    assert smalltalk.small_talk("hi, how much is the JBL Go 2?") is None
    assert all(set(smalltalk.REPLIES[k]) == {"en", "zh"} for k in ("hello", "how", "who"))


def test_staff_guidelines_listing_questions_say_nothing():
    assert agent_text.for_shopper("The main effort is in figuring out which question the customer is asking: What "
                                  "are all the membership levels?, How long does membership last?") is None


def test_a_how_much_policy_question_gets_the_unit_with_the_amount():
    body = ("Subscription Inquiry: billing and updates of the premium subscription service.\n\n"
            "The standard subscription is $99 a year.")
    assert passages.select("How much is the premium subscription per year?", body, n=1) == \
        ["The standard subscription is $99 a year."]


def test_complaint_naming_a_product_retrieves_the_policy_and_context_carries_over():
    query = retrieval_query("My boAt Airdopes 121v2 order still hasn't arrived and it's been 12 days", "en", Focus(), [])
    assert "Airdopes" not in query and "12 days" in query and "late or lost" in query
    assert "boAt" not in retrieval_query("The Dyazo stand arrived damaged, a hinge is broken", "en", Focus(), [])
    q = retrieval_query("how long do I have to return something?", "en", Focus(), ["I'm a silver member"])
    assert q == "I'm a silver member. how long do I have to return something?"


def test_a_spec_phrase_without_a_verb_is_said_as_a_sentence():
    phone = Product("B08VB34KJ1", "OPPO A74 5G (Fantastic Purple,6GB RAM,128GB Storage) with No Cost EMI/Additional "
                    "Exchange Offers", text="OPPO A74 5G\n5000 mAh lithium polymer battery|Connector type: USB Type C",
                    **INR)
    assert feature_answer("How big is the battery in the OPPO A74 5G?", phone) == \
        "The OPPO A74 5G has 5000 mAh lithium polymer battery."
    geyser = Product("B077BTLQ67", "Orient Electric Aura Neo Instant 3L Water Heater (Geyser), 5-level Safety Shield",
                     text="Orient\nSUITABLE FOR MID AND LOW-RISE BUILDINGS with 6.5 bar pressure rating;", **INR)
    assert feature_answer("What's the pressure rating of the Orient Aura Neo geyser?", geyser) == \
        "The Orient Aura Neo Geyser is suitable for mid and low-rise buildings with 6.5 bar pressure rating."


def test_agent_directives_and_the_customers_situation_are_not_said():
    assert agent_text.for_shopper("Instruct the customer to try entering their credit card information again.") is None
    assert agent_text.for_shopper("The cost of shipping is too high, so the customer wants to get the shipping fee "
                                  "waived or get a refund of the shipment cost.") is None


def test_what_the_store_will_do_follows_the_contact_instruction():
    body = ("If you receive the wrong item in your order, please contact our customer support team immediately. "
            "We will arrange for the correct item to be shipped to you.")
    assert passages.select("I received the wrong item", body, n=1) == [
        "If you receive the wrong item in your order, please contact our customer support team immediately.",
        "We will arrange for the correct item to be shipped to you."]
