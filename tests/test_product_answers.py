"""Product answers (issues 15 and 12): feature answers from a product's own text, follow-ups on
the focused product, Chinese questions about an English catalogue, the catalogue reusing the
index's vectors. Unit tests use hand-made rows and fakes; the last ones (slow) use the real
bundled embedders over the demo catalogue."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bot.answers import engine, followup
from bot.answers.catalogue import CatalogueIndex
from bot.answers.crosslingual import lexical_query, relative
from bot.answers.engine import Focus, product_answer
from bot.answers.features import clauses, feature_answer
from bot.answers.products import Product, ProductFinder, short_title, spoken_name
from knowledge.store import Record

from .conftest import REPO

ROCKERZ_450 = Product(
    "B07PR1CL3S",
    "boAt Rockerz 450 Bluetooth On Ear Headphones with Mic, Upto 15 Hours Playback, 40MM Drivers, Padded Ear "
    "Cushions, Integrated Controls and Dual Modes(Luscious Black)", "boAt", price=1499, currency="INR",
    text="boAt Rockerz 450 Bluetooth On Ear Headphones\nPrice: ₹1,499.\nPlayback- It provides a massive battery "
         "backup of upto 15 hours for a superior playback time. Charging Time : 3 Hours|Drivers- Its 40mm dynamic "
         "drivers help pump out immersive HD audio all day long.|1 year warranty from the date of purchase")
ROCKERZ_400 = Product(
    "B01", "boAt Rockerz 400 Bluetooth On Ear Headphones With Mic With Upto 8 Hours Playback (Grey/Blue)",
    "boAt", price=1299, currency="INR",
    text="boAt Rockerz 400\nPlayback- Up to 8 hours of playback on a single charge.|Drivers- 40mm drivers.")
FAN = Product(
    "B08Y5QJXSR", "atomberg Renesa 1200mm BLDC Motor with Remote 3 Blade Energy Saving Ceiling Fan (Matt Black)",
    "atomberg", price=3199, currency="INR",
    text="atomberg Renesa\nSUPER ENERGY EFFICIENT BLDC MOTOR: Consumes only 28W(at speed 5). Save up to Rs 1500 "
         "every year on your electricity bill.|SMART REMOTE: 3 smart features - Boost mode, timer and sleep mode.")
KETTLE = Product(
    "B083GKDRKR", "Havells Aqua Plus 1.2 litre Double Wall Kettle / 304 Stainless Steel Inner Body / Cool touch "
    "outer body / 2 Year warranty (Black, 1500 Watt)", "Havells", price=1149, currency="INR",
    text="Havells Aqua Plus\nAuto shut off function|304 stainless steel interior with no plastic")
SPEAKER = Product(
    "B07B88KQZ8", "JBL Go 2, Wireless Portable Bluetooth Speaker with Mic, JBL Signature Sound, Vibrant Color "
    "Options with IPX7 Waterproof & AUX (Blue)", "JBL", price=1799, currency="INR",
    text="JBL Go 2\n5 Hours of Playtime under optimum audio settings|IPX7 Waterproof design, Battery Type "
         "Lithium-ion polymer (3.7V, 730mAh)")
MOUSE = Product(
    "B01HJI0FS2", "Dell MS116 1000Dpi USB Wired Optical Mouse, Led Tracking, Scrolling Wheel, Plug and Play.",
    "Dell", price=279, currency="INR",
    text="Dell MS116\nMovement Detection: Optical, Resolution : 1000dpi;Cable Length : 1.8 meter")

DEMO = [
    Product("HL-1001", "PlayStation 5 Console - Disc Edition", "Sony", price=499.99, stock=1,
            attributes={"platform": "PS5", "storage": "1 TB SSD", "includes": "DualSense controller"},
            text="PlayStation 5 Console - Disc Edition by Sony\nPlays PS5 and most PS4 games."),
    Product("HL-1002", "PlayStation 5 Console - Digital Edition", "Sony", price=449.99, stock=4,
            attributes={"platform": "PS5", "storage": "1 TB SSD", "disc drive": "no"}),
    Product("HL-1004", "Nintendo Switch OLED Model", "Nintendo", price=349.99, stock=36, attributes={"platform": "Switch"}),
    Product("HL-1010", "Switch Pro Controller", "Nintendo", price=69.99, stock=20, attributes={"platform": "Switch"}),
    Product("HL-1034", "Chronicles of Ember (PS4)", "Northwind", price=49.99, stock=2,
            attributes={"platform": "PS4", "players": "1"}),
    Product("HL-1035", "Chronicles of Ember (PC)", "Northwind", price=59.99, stock=7,
            attributes={"platform": "PC", "players": "1"}),
    Product("HL-1029", "Turbo Karts Party (Switch)", "Pixel Harbor", price=39.99, stock=9,
            attributes={"platform": "Switch", "players": "1-8"}),
    Product("HL-1030", "Turbo Karts Party (PS4)", "Pixel Harbor", price=19.99, stock=3,
            attributes={"platform": "PS4", "players": "1-4"}),
]


# --------------------------------------------------------------------------- feature answers
@pytest.mark.parametrize("question, product, says", [
    ("How long does the battery last on the boAt Rockerz 450?", ROCKERZ_450, "15 hours"),
    ("What size are the drivers in the Rockerz 450?", ROCKERZ_450, "40mm drivers"),
    ("How much power does the atomberg Renesa use?", FAN, "consumes only 28W"),
    ("How many litres does the Havells Aqua Plus kettle hold?", KETTLE, "holds 1.2 litre"),
    ("What's the DPI of the Dell MS116?", MOUSE, "1000dpi"),
])
def test_a_feature_is_answered_by_the_clause_of_the_products_own_text(question, product, says):
    reply = feature_answer(question, product)
    assert says.lower() in reply.lower()
    first = reply.split(". ")[0]
    assert says.lower() in first.lower()  # the first sentence carries the answer
    assert "|" not in reply and "- It" not in reply and reply.endswith(".")


def test_the_sentence_names_the_product_as_the_shopper_did_and_reads_naturally():
    assert feature_answer("How much power does the atomberg Renesa use?", FAN) == \
        "The atomberg Renesa consumes only 28W (at speed 5)."
    assert feature_answer("How long does the battery last on the boAt Rockerz 450?", ROCKERZ_450).startswith(
        "The boAt Rockerz 450 ")


def test_a_yes_no_feature_question_says_yes_only_when_the_text_has_the_feature():
    assert feature_answer("Is the JBL Go 2 waterproof?", SPEAKER).startswith("Yes — ")
    assert "IPX7" in feature_answer("Is the JBL Go 2 waterproof?", SPEAKER)
    assert not feature_answer("Does the JBL Go 2 have a radio tuner?", SPEAKER).startswith("Yes")


def test_a_feature_the_text_does_not_hold_gets_no_sentence():
    assert feature_answer("What colour is the case of the atomberg Renesa?", FAN) == ""


def test_only_the_products_own_text_is_read():
    # Both products have playback hours; each answer states its own.
    assert "15" in feature_answer("How long does the battery last on the boAt Rockerz 450?", ROCKERZ_450)
    reply = feature_answer("How long does the battery last on the boAt Rockerz 400?", ROCKERZ_400)
    assert "8 hours" in reply.lower() and "15" not in reply


def test_clauses_split_titles_bars_sentences_and_headers():
    bodies = [c.body for c in clauses(ROCKERZ_450)]
    assert "Upto 15 Hours Playback" in bodies and "40MM Drivers" in bodies
    assert "Its 40mm dynamic drivers help pump out immersive HD audio all day long" in bodies
    headers = {c.header for c in clauses(MOUSE)}
    assert {"Resolution", "Cable Length"} <= headers


def test_names_of_long_export_titles():
    assert short_title(ROCKERZ_450.title) == "boAt Rockerz 450 Bluetooth On Ear Headphones with Mic"
    assert short_title("Redmi 10A (Charcoal Black, 4GB RAM, 64GB Storage) | 2 Ghz Octa Core Helio G25") == "Redmi 10A"
    assert spoken_name(ROCKERZ_450, "What size are the drivers in the Rockerz 450?") == "boAt Rockerz 450"
    assert spoken_name(DEMO[0], "How much is the PS5?") == "PlayStation 5 Console - Disc Edition"  # short titles stay


# --------------------------------------------------------------------------- finding the product
@pytest.fixture(scope="module")
def foreign():
    return ProductFinder([ROCKERZ_450, ROCKERZ_400, FAN, KETTLE, SPEAKER, MOUSE])


@pytest.mark.parametrize("question, expected", [
    ("How long does the battery last on the boAt Rockerz 450?", "B07PR1CL3S"),
    ("How many litres does the Havells Aqua Plus kettle hold?", "B083GKDRKR"),
    ("What's the output power of the atomberg Renesa?", "B08Y5QJXSR"),
])
def test_feature_words_do_not_count_against_the_named_product(foreign, question, expected):
    assert foreign.find(question).product.id == expected


def test_a_question_made_of_feature_words_names_no_product(foreign):
    found = foreign.find("what's its capacity?")
    assert found.product is None and not found.missing


@pytest.fixture(scope="module")
def demo():
    return ProductFinder(DEMO)


@pytest.mark.parametrize("question, missing", [
    ("How much is the iPhone 16?", "iPhone 16"), ("Do you sell the Google Pixel 9?", "Google Pixel 9"),
    ("Do you have the Bose QuietComfort 45?", "Bose QuietComfort 45"),
])
def test_a_product_name_we_do_not_carry_is_said_to_be_missing(foreign, question, missing):
    # never another product's facts, and no unrelated "closest" products without a dense match
    found = foreign.find(question)
    assert found.product is None and found.missing == missing and not found.alternatives


@pytest.mark.parametrize("question", ["Is the Rockerz 450 in stock?", "Do you have Black Friday 2026 deals?",
                                      "How much is shipping for 2 items?"])
def test_names_we_carry_and_calendar_words_are_not_missing(foreign, question):
    assert not foreign.find(question).missing


def test_a_second_platform_code_does_not_veto_the_named_console(demo):
    assert demo.find("Does the PS5 Disc Edition play PS4 games?").product.id == "HL-1001"


def test_an_accessory_is_not_the_product_a_question_names_by_what_it_fits(demo):
    assert demo.find("Nintendo Switch price?").product.id == "HL-1004"
    assert demo.find("Nintendo Switch Pro Controller price?").product.id == "HL-1010"


# --------------------------------------------------------------------------- the catalogue
class FakeStore:
    """The two reads the catalogue does (records with vectors, revision) over hand-made records."""

    def __init__(self, products, embedder=None, vectors=True):
        self.embedder = embedder
        self.rev = 1
        self.recs = []
        for p in products:
            meta = {"doc_id": p.id, "product_id": p.id, "title": p.title, "kind": "product", "brand": p.brand,
                    "price": p.price, "currency": p.currency}
            if p.stock is not None:
                meta["stock"] = p.stock
            attrs = "; ".join(f"{k}: {v}" for k, v in p.attributes.items())
            text = "\n".join(x for x in [p.title, attrs + "." if attrs else "", *p.text.splitlines()[1:]] if x)
            vec = embedder.embed_query(p.title) if (embedder is not None and vectors) else None
            self.recs.append(Record(p.id, text, meta, vec))

    def revision(self):
        return self.rev

    def records(self, ids=None, where=None, embeddings=False):
        return [Record(r.id, r.text, r.metadata, r.embedding if embeddings else None) for r in self.recs]


class CountingEmbedder:
    """A deterministic bag-of-words embedder that counts what it embeds."""

    def __init__(self, dim=64):
        from knowledge.embedder import HashEmbedder

        self.inner = HashEmbedder(dim)
        self.documents = 0
        self.queries = 0

    def embed_documents(self, texts):
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        self.queries += 1
        return self.inner.embed_query(text)


def test_the_finder_reuses_the_index_vectors_and_embeds_only_the_question():
    emb = CountingEmbedder()
    catalogue = CatalogueIndex(FakeStore(DEMO, emb), cross_lingual=None)
    emb.queries = 0
    assert catalogue.finder().find("How much is the PS5 Disc Edition?").product.id == "HL-1001"
    assert emb.documents == 0 and emb.queries == 1


def test_without_stored_vectors_the_titles_are_embedded_once():
    emb = CountingEmbedder()
    catalogue = CatalogueIndex(FakeStore(DEMO, emb, vectors=False), cross_lingual=None)
    finder = catalogue.finder()
    finder.find("How much is the PS5 Disc Edition?")
    finder.find("Is the Switch OLED in stock?")
    assert emb.documents == len(DEMO)


class CrossLingual(CountingEmbedder):
    """A stand-in for the multilingual model: Chinese shop terms land on their English words."""

    def _en(self, text):
        return lexical_query(text)

    def embed_documents(self, texts):
        return super().embed_documents([self._en(t) for t in texts])

    def embed_query(self, text):
        return super().embed_query(self._en(text))


def test_cross_lingual_title_vectors_are_built_once_per_index_revision():
    cross = CrossLingual()
    store = FakeStore(DEMO, CountingEmbedder())
    catalogue = CatalogueIndex(store, cross_lingual=cross)
    assert catalogue.dense_for("How much is it?", "en") is None  # English: the finder's own embedder
    first = catalogue.dense_for("PS5 光驱版多少钱？", "zh")
    catalogue.dense_for("任天堂Switch的价格", "zh")
    assert cross.documents == len(DEMO) and len(first) == len(DEMO)
    store.rev = 2
    catalogue.dense_for("PS5 光驱版多少钱？", "zh")
    assert cross.documents == 2 * len(DEMO)


def test_warming_builds_the_cross_lingual_vectors_before_the_first_question():
    cross = CrossLingual()
    catalogue = CatalogueIndex(FakeStore(DEMO, CountingEmbedder()), cross_lingual=cross)
    catalogue.warm(background=False)
    assert cross.documents == len(DEMO)
    catalogue.dense_for("PS5 光驱版多少钱？", "zh")
    assert cross.documents == len(DEMO)


def test_relative_scores_rank_without_a_threshold():
    r = relative([0.41, 0.45, 0.40, 0.52])
    assert float(r.max()) == 1.0 and float(r.min()) == 0.0 and int(np.argmax(r)) == 3


@pytest.fixture
def catalogue():
    return CatalogueIndex(FakeStore(DEMO, CountingEmbedder()), cross_lingual=CrossLingual())


def ask(catalogue, *messages):
    from knowledge.lang import detect_lang

    focus, replies = Focus(), []
    for m in messages:
        ans, focus = product_answer(catalogue, m, detect_lang(m), focus)
        replies.append(ans.text if ans else None)
    return replies


# --------------------------------------------------------------------------- follow-ups (en)
def test_specs_then_how_much_does_it_cost(catalogue):
    specs, price = ask(catalogue, "Specs of the PS5 Disc Edition?", "And how much does it cost?")
    assert "1 TB SSD" in specs
    assert price.startswith("The PlayStation 5 Console - Disc Edition is $499.99")


def test_is_there_a_pc_version_after_the_ps4_title(catalogue):
    _, pc = ask(catalogue, "Is Chronicles of Ember (PS4) in stock?", "And is there a PC version?")
    assert pc.startswith("Yes") and "(PC)" in pc and "$59.99" in pc


def test_an_elliptical_fact_question_leans_on_the_focus(catalogue):
    _, price = ask(catalogue, "Is the Nintendo Switch OLED Model in stock?", "price?")
    assert "$349.99" in price


def test_and_the_other_product_asks_the_previous_question_again(catalogue):
    _, other = ask(catalogue, "How much is the PS5 Disc Edition?", "and the Digital Edition?")
    assert other.startswith("The PlayStation 5 Console - Digital Edition is $449.99")


def test_a_follow_up_without_a_topic_of_its_own_is_read_with_the_previous_question():
    previous = ["I'm a bronze member and I want to return a shirt"]
    assert followup.resolve_followup("how long do I have?", previous) == f"{previous[0]} how long do I have?"
    assert followup.resolve_followup("Do you sell tents?", previous) == "Do you sell tents?"


def test_a_policy_question_after_a_product_is_left_to_retrieval(catalogue):
    _, policy = ask(catalogue, "How much is the PS5 Disc Edition?", "how do I return it?")
    assert policy is None


# --------------------------------------------------------------------------- Chinese
def test_a_chinese_question_about_an_english_title_gets_a_chinese_sentence(catalogue):
    (reply,) = ask(catalogue, "PS5 光驱版多少钱？")
    assert reply.startswith("PlayStation 5 Console - Disc Edition 售价 $499.99，目前有货")
    (switch,) = ask(catalogue, "任天堂Switch的价格")
    assert "Nintendo Switch OLED Model 售价 $349.99" in switch


def test_chinese_follow_ups(catalogue):
    price, stock, again = ask(catalogue, "PS5 数字版多少钱？", "它有货吗？", "多少钱？")
    assert "Digital Edition 售价 $449.99" in price
    assert "Digital Edition 目前有货" in stock and "$" not in stock
    assert "$449.99" in again
    _, pc = ask(catalogue, "Chronicles of Ember (PS4) 多少钱？", "那PC版呢？")
    assert pc.startswith("有的，Chronicles of Ember (PC) 售价 $59.99")


def test_chinese_attribute_question_about_a_title_on_two_platforms(catalogue):
    (reply,) = ask(catalogue, "Turbo Karts Party 支持几个玩家？")
    assert "玩家人数" in reply and "PS4 版 1-4" in reply and "Switch 版 1-8" in reply


def test_the_store_currency_is_kept_in_chinese():
    rupee = Product("IN-1", "Bajaj Majesty DX-11 1000-Watt Dry Iron", "Bajaj", price=599, currency="INR", stock=40)
    catalogue = CatalogueIndex(FakeStore([rupee], CountingEmbedder()), cross_lingual=CrossLingual())
    (reply,) = ask(catalogue, "Bajaj DX-11 熨斗多少钱？")
    assert "售价 ₹599" in reply


def test_a_chinese_policy_question_is_no_product_question():
    cross = CrossLingual()
    catalogue = CatalogueIndex(FakeStore(DEMO, CountingEmbedder()), cross_lingual=cross)
    assert ask(catalogue, "退货政策是什么？") == [None]
    assert cross.documents == 0  # nothing in it a title could match: the second model is not even asked


def test_chinese_shop_terms_become_catalogue_words():
    assert lexical_query("索尼无线手柄多少钱") == "索尼无线手柄多少钱 sony wireless controller"
    assert lexical_query("退货政策是什么？") == "退货政策是什么？"


# --------------------------------------------------------------------------- one copy of each rule
def test_router_and_answers_share_the_follow_up_and_thanks_rules():
    from bot import router

    assert router.resolve_followup is followup.resolve_followup
    assert router.route("thanks, that helps!") == "thanks"
    assert router.route("thanks, but where is my order?") is None
    assert engine.followup.resolve_followup("and that?", ["Do you ship express?"]) == "Do you ship express? and that?"


# --------------------------------------------------------------------------- real models (slow)
@pytest.fixture(scope="module")
def demo_service(tmp_path_factory):
    from bot.service import ChatService
    from knowledge.embedder import make_embedder
    from knowledge.ingest import ingest
    from knowledge.store import KnowledgeStore
    from settings import Settings

    root = tmp_path_factory.mktemp("kefu-products")
    store_dir = root / "store"
    store_dir.mkdir()
    shutil.copy(REPO / "knowledge" / "data" / "products.csv", store_dir / "products.csv")
    settings = Settings(_env_file=None, data_dir=root / "data", llm="fake", embedder="bundled",
                        sentiment_model="fake", recommend_k=0, products_path=store_dir / "products.csv",
                        interactions_path=REPO / "knowledge" / "data" / "interactions.csv")
    knowledge = KnowledgeStore(settings, make_embedder("bundled"))
    assert not ingest(knowledge, [store_dir], progress=False).failed
    return ChatService(settings, knowledge=knowledge, embedder=knowledge.embedder)


def conversation(service, *messages):
    sid, replies = None, []
    for m in messages:
        reply = service.turn(m, session_id=sid)
        sid = reply.session_id
        replies.append(reply.reply)
    return replies


@pytest.mark.slow
def test_real_models_chinese_price_question(demo_service):
    (reply,) = conversation(demo_service, "PS5 光驱版多少钱？")
    assert reply.startswith("PlayStation 5 Console - Disc Edition 售价 $499.99"), reply
    assert "目前有货" in reply


@pytest.mark.slow
def test_real_models_english_follow_ups(demo_service):
    _, price = conversation(demo_service, "Specs of the PS5 Disc Edition?", "And how much does it cost?")
    assert price.startswith("The PlayStation 5 Console - Disc Edition is $499.99"), price
    _, pc = conversation(demo_service, "Is Chronicles of Ember (PS4) in stock?", "And is there a PC version?")
    assert pc.startswith("Yes") and "Chronicles of Ember (PC)" in pc and "$59.99" in pc, pc


def test_a_reported_defect_goes_to_the_damage_policy_not_the_products_specs(catalogue):
    # a spec word ("screen") in a complaint describes the damage; the product path stays out of it
    report, question = ask(catalogue, "The PS5 Disc Edition you sent me has a cracked screen!",
                           "Does the PS5 Disc Edition come with a controller?")
    assert report is None and question is not None
