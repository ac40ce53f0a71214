"""The foreign-store benchmark: its scorer on hand-made replies, its question file, its store."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from benchmarks import foreign_store as fs
from benchmarks.common import DATASETS

CATALOGUE = {
    "B07PR1CL3S": {"product_id": "B07PR1CL3S", "product_name": "boAt Rockerz 450 Bluetooth On Ear Headphones",
                   "discounted_price": "₹1,220", "actual_price": "₹3,990", "discount_percentage": "69%",
                   "rating": "4.1", "rating_count": "1,07,151"},
    "B07B88KQZ8": {"product_id": "B07B88KQZ8", "product_name": "JBL Go 2, Wireless Portable Bluetooth Speaker",
                   "discounted_price": "₹1,999", "actual_price": "₹2,999", "discount_percentage": "33%",
                   "rating": "4.3", "rating_count": "63,899"},
    "B0BBN56J5H": {"product_id": "B0BBN56J5H", "product_name": "Redmi A1 (Black, 2GB RAM, 32GB Storage)",
                   "discounted_price": "₹6,499", "actual_price": "₹8,999", "discount_percentage": "28%",
                   "rating": "4", "rating_count": "7,807"},
}
PRICE = {"id": "p", "kind": "price", "turns": ["How much is the boAt Rockerz 450?"], "product_id": "B07PR1CL3S",
         "fields": ["discounted_price"]}


def api(reply: str, abstained: bool = False) -> dict:
    return {"reply": reply, "abstained": abstained, "sources": [], "intent": "product_question"}


def test_the_right_fact_passes_in_any_spelling_of_the_number():
    for text in ("The boAt Rockerz 450 is ₹1,220, and it's in stock.", "It costs Rs. 1220.", "₹1,220.00 today"):
        r = fs.score_case(PRICE, [api(text)], CATALOGUE)
        assert r["passed"] and not r["false_decline"], text


def test_another_products_fact_fails():
    r = fs.score_case(PRICE, [api("The JBL Go 2 is ₹1,999.")], CATALOGUE)
    assert not r["passed"]
    # the list price is not the price
    assert not fs.score_case(PRICE, [api("Its list price is ₹3,990.")], CATALOGUE)["passed"]


def test_rating_and_count_are_matched_as_numbers_not_substrings():
    case = {"id": "r", "kind": "rating", "turns": ["?"], "product_id": "B07PR1CL3S", "fields": ["rating", "rating_count"]}
    assert fs.score_case(case, [api("Rated 4.1 out of 5 by 107,151 shoppers.")], CATALOGUE)["passed"]
    assert fs.score_case(case, [api("Rated 4.1 out of 5 (1,07,151 ratings).")], CATALOGUE)["passed"]
    assert not fs.score_case(case, [api("Rated 4.14 out of 5 (1,07,151 ratings).")], CATALOGUE)["passed"]
    assert not fs.score_case(case, [api("Rated 4.1 out of 5 (1,07,15 ratings).")], CATALOGUE)["passed"]
    whole = {"id": "w", "kind": "rating", "turns": ["?"], "product_id": "B0BBN56J5H", "fields": ["rating"]}
    assert fs.score_case(whole, [api("The Redmi A1 is rated 4.0 out of 5.")], CATALOGUE)["passed"]
    assert not fs.score_case(whole, [api("The Redmi A1 has 4GB RAM.")], CATALOGUE)["passed"]


def test_variants_listed_for_a_case_each_count():
    case = PRICE | {"product_id": ["B07B88KQZ8", "B07PR1CL3S"]}
    assert fs.score_case(case, [api("That one is ₹1,220.")], CATALOGUE)["passed"]


def test_policy_substrings_with_alternatives():
    case = {"id": "q", "kind": "policy", "turns": ["?"], "expect": ["90 days", ["by mail", "post"]]}
    assert fs.score_case(case, [api("Bronze members can return within 90 DAYS, by mail.")], {})["passed"]
    assert not fs.score_case(case, [api("Bronze members can return within 90 days.")], {})["passed"]


def test_declined_off_topic_passes_and_an_answer_fails():
    case = {"id": "o", "kind": "off_topic", "turns": ["What is the capital of Australia?"]}
    assert fs.score_case(case, [api("I can only help with our shop.", abstained=True)], {})["passed"]
    assert not fs.score_case(case, [api("Canberra.")], {})["passed"]


def test_false_decline_is_counted_for_in_scope_cases():
    r = fs.score_case(PRICE, [api("Sorry, I can only help with questions about our store.", abstained=True)], CATALOGUE)
    assert not r["passed"] and r["false_decline"]
    assert fs.summarise([r])["false_declines"] == 1.0


def test_follow_up_judges_the_last_reply():
    case = {"id": "f", "kind": "follow_up", "turns": ["How much is the boAt Rockerz 450?", "and its rating?"],
            "product_id": "B07PR1CL3S", "fields": ["rating"]}
    first, good, bad = api("It is ₹1,220 and rated 4.1."), api("It is rated 4.1 out of 5."), api("It is ₹1,220.")
    assert fs.score_case(case, [first, good], CATALOGUE)["passed"]
    assert not fs.score_case(case, [first, bad], CATALOGUE)["passed"]


def test_not_carried_must_not_state_the_neighbours_price():
    case = {"id": "n", "kind": "not_carried", "turns": ["How much is the JBL Go 3?"], "absent": "Go 3",
            "neighbour_id": "B07B88KQZ8"}
    safe = fs.score_case(case, [api("Sorry, I couldn't find the JBL Go 3 in our catalogue. We have the JBL Go 2.")],
                         CATALOGUE)
    assert safe["passed"] and safe["said_not_found"]
    leaked = fs.score_case(case, [api("The JBL Go 3 is ₹1,999.")], CATALOGUE)
    assert not leaked["passed"] and leaked["leaked"] and not leaked["said_not_found"]


def test_first_sentence_share():
    late = fs.score_case(PRICE, [api("Great choice! The Rockerz 450 is ₹1,220.")], CATALOGUE)
    early = fs.score_case(PRICE, [api("The boAt Rockerz 450 is ₹1,220. It has 15 hours of playback.")], CATALOGUE)
    assert late["passed"] and not late["first_sentence"] and early["first_sentence"]
    summary = fs.summarise([late, early])
    assert summary["fact_accuracy"] == 1.0 and summary["first_sentence_answers"] == 0.5
    assert summary["median_reply_chars"] == (len(late["reply"]) + len(early["reply"])) / 2
    assert fs.first_sentence("It is ₹1,099.50 today. Yes.") == "It is ₹1,099.50 today."
    assert fs.first_sentence("It costs Rs. 1220. Yes.") == "It costs Rs. 1220."


def test_summary_has_every_figure():
    results = [
        fs.score_case(PRICE, [api("₹1,220.")], CATALOGUE),
        fs.score_case({"id": "o", "kind": "off_topic", "turns": ["?"]}, [api("No.", abstained=True)], {}),
        fs.score_case({"id": "n", "kind": "not_carried", "turns": ["?"], "neighbour_id": "B07B88KQZ8"},
                      [api("₹1,999")], CATALOGUE),
    ]
    s = fs.summarise(results)
    assert s["fact_accuracy"] == 1.0 and s["off_topic_declined"] == 1.0 and s["not_carried_safe"] == 0.0
    assert s["accuracy.price"] == 1.0 and s["accuracy.not_carried"] == 0.0 and s["n_cases"] == 3


def test_spread_takes_every_kind():
    cases = fs.load_cases()
    picked = fs.spread(cases, 14)
    assert len(picked) == 14 and set(Counter(c["kind"] for c in picked)) == set(Counter(c["kind"] for c in cases))
    assert fs.spread(cases, 0) == cases


# --------------------------------------------------------------------------- the question file
MINIMUM = {"price": 35, "rating": 15, "spec": 15, "policy": 25, "follow_up": 10, "off_topic": 10, "not_carried": 8}


def test_questions_file_is_well_formed():
    cases = fs.load_cases()
    counts = Counter(c["kind"] for c in cases)
    assert len(cases) >= 120
    assert all(counts[k] >= n for k, n in MINIMUM.items()), counts
    assert len({c["id"] for c in cases}) == len(cases)
    for c in cases:
        assert c["kind"] in MINIMUM and c["turns"] and all(isinstance(t, str) and t.strip() for t in c["turns"]), c
        assert len(c["turns"]) == 1 or c["kind"] == "follow_up", c
        assert set(c.get("fields", [])) <= set(fs.FIELD_NAMES), c
        if c["kind"] in ("price", "rating"):
            assert fs.case_products(c) and c["fields"], c
        if c["kind"] in ("spec", "policy"):
            assert c["expect"], c
        if c["kind"] == "follow_up":
            assert 2 <= len(c["turns"]) <= 3 and (c.get("fields") or c.get("expect")), c
        if c["kind"] == "not_carried":
            assert c["absent"] and c["neighbour_id"], c
        assert all(len(t) <= 120 for t in c["turns"]), c  # how shoppers ask, not catalogue titles
    rating_counts = [c for c in cases if "rating_count" in c.get("fields", [])]
    assert len(rating_counts) >= 3
    tiers = " ".join(t.lower() for c in cases if c["kind"] in ("policy", "follow_up") for t in c["turns"])
    assert all(tier in tiers for tier in ("bronze", "silver", "gold", "guest"))


def _catalogue_or_skip() -> dict:
    path = DATASETS.joinpath(*fs.CATALOGUE_CSV)
    if not path.is_file():
        pytest.skip(f"{path} not found (public datasets live in ../shared/datasets)")
    return fs.load_catalogue(path)


def _model(name: str) -> re.Pattern:
    """``"DX-9"`` as a whole model number, spelt with or without its separators (not inside ``32HDX900S``)."""
    parts = re.findall(r"[a-z0-9]+", name.lower())
    return re.compile(r"(?<![a-z0-9])" + r"[^a-z0-9]?".join(parts) + r"(?![a-z0-9])")


def test_every_product_in_the_questions_exists_and_not_carried_ones_do_not():
    catalogue = _catalogue_or_skip()
    assert len(catalogue) == 1351
    names = [p["product_name"].lower() for p in catalogue.values()]
    for c in fs.load_cases():
        for pid in fs.case_products(c) + ([c["neighbour_id"]] if c.get("neighbour_id") else []):
            assert pid in catalogue, (c["id"], pid)
        if len(fs.case_products(c)) > 1:  # variants listed together share the facts asked about
            values = {tuple(catalogue[p][f] for f in c.get("fields", [])) for p in fs.case_products(c)}
            assert len(values) == 1, (c["id"], values)
        if c["kind"] == "not_carried":
            assert not any(_model(c["absent"]).search(n) for n in names), c["id"]
            assert _model(c["absent"]).search(" ".join(c["turns"]).lower()), c["id"]


def test_spec_answers_are_in_the_products_text():
    catalogue = _catalogue_or_skip()
    for c in fs.load_cases():
        if c["kind"] != "spec":
            continue
        text = " ".join(catalogue[p]["product_name"] + " " + catalogue[p]["about_product"] for p in fs.case_products(c))
        for need in c["expect"]:
            assert any(a.lower() in text.lower() for a in ([need] if isinstance(need, str) else need)), (c["id"], need)


def test_build_store_writes_catalogue_faq_and_policy(tmp_path):
    catalogue = _catalogue_or_skip()
    store = fs.build_store(tmp_path)
    rows = fs.load_catalogue(store / "products.csv")
    assert list(rows) == list(catalogue) and rows["B07JW9H4J1"]["actual_price"] == "₹1,099"
    header = (store / "products.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(fs.PRODUCT_COLUMNS)
    faq = (store / "faq" / "shop-faq.md").read_text(encoding="utf-8")
    assert faq.startswith("---\ntitle: Shop FAQ\nkind: faq\n") and faq.count("\n## ") == 79
    policy = (store / "policies" / "service-guidelines.md").read_text(encoding="utf-8")
    assert "kind: policy" in policy and "\n# Product Defect\n" in policy and "\n## Return Due to Stain\n" in policy
    bullets = [ln for ln in policy.splitlines() if ln.startswith("- ")]
    assert any("Bronze members" in b and "90 days" in b and "Guest" not in b for b in bullets)
    assert any(b.startswith("- Guest members") and "30 days" in b for b in bullets)


def test_the_store_loads_with_kefus_loaders(tmp_path):
    _catalogue_or_skip()
    from knowledge.loaders import load_file

    store = fs.build_store(tmp_path)
    products = load_file(store / "products.csv", "products.csv")
    assert len(products) == 1351
    wayona = next(d for d in products if d.metadata.get("product_id") == "B07JW9H4J1")
    assert "₹399" in wayona.page_content and wayona.metadata.get("currency") == "INR"
    faq = load_file(store / "faq" / "shop-faq.md", "faq/shop-faq.md")
    assert {d.metadata["kind"] for d in faq} == {"faq"}
    policy = load_file(store / "policies" / "service-guidelines.md", "policies/service-guidelines.md")
    assert any("90 days" in d.page_content for d in policy) and {d.metadata["kind"] for d in policy} == {"policy"}


# --------------------------------------------------------------------------- the held-out set
HELDOUT_MINIMUM = {"price": 15, "rating": 8, "spec": 15, "policy": 15, "follow_up": 10, "off_topic": 10,
                   "not_carried": 8, "small_talk": 5, "complaint": 5}


def test_small_talk_must_be_answered_without_a_price():
    case = {"id": "s", "kind": "small_talk", "turns": ["hi there!"]}
    assert fs.score_case(case, [api("Hello! How can I help you today?")], {})["passed"]
    declined = fs.score_case(case, [api("I can only help with our shop.", abstained=True)], {})
    assert not declined["passed"] and declined["false_decline"]
    assert not fs.score_case(case, [api("Hi! The JBL Go 2 is ₹1,999.")], {})["passed"]
    assert fs.summarise([declined])["false_declines"] == 1.0


def test_complaint_is_a_fact_kind_judged_on_its_policy_words():
    case = {"id": "c", "kind": "complaint", "turns": ["My JBL Go 2 arrived broken"], "product_id": "B07B88KQZ8",
            "expect": [["replacement", "repair"]]}
    assert fs.score_case(case, [api("Sorry! Contact us and we'll arrange a replacement.")], CATALOGUE)["passed"]
    assert not fs.score_case(case, [api("The JBL Go 2 is ₹1,999.")], CATALOGUE)["passed"]
    assert "complaint" in fs.FACT_KINDS


def test_cheaper_than_needs_a_lower_price():
    case = {"id": "f", "kind": "follow_up", "turns": ["How much is the JBL Go 2?", "is there a cheaper one?"],
            "product_id": "B07B88KQZ8", "cheaper_than": "B07B88KQZ8"}
    assert fs.score_case(case, [api("₹1,999"), api("Yes, the boAt Rockerz 450 is ₹1,220.")], CATALOGUE)["passed"]
    assert not fs.score_case(case, [api("₹1,999"), api("The JBL Go 2 is ₹1,999.")], CATALOGUE)["passed"]
    assert not fs.score_case(case, [api("₹1,999"), api("We have many speakers.")], CATALOGUE)["passed"]


def test_load_sets():
    both = fs.load_sets("both")
    assert set(both) == {"main", "heldout"} and both["main"] == fs.load_cases()
    with pytest.raises(ValueError):
        fs.load_sets("everything")


def test_heldout_file_is_well_formed_and_new():
    cases = fs.load_cases(fs.HELDOUT)
    counts = Counter(c["kind"] for c in cases)
    assert len(cases) >= 80 and all(counts[k] >= n for k, n in HELDOUT_MINIMUM.items()), counts
    main = fs.load_cases()
    assert len({c["id"] for c in cases + main}) == len(cases) + len(main)
    old_openings = {c["turns"][0].lower() for c in main}
    old_products = {p for c in main for p in fs.case_products(c) + [c.get("neighbour_id")]}
    for c in cases:
        assert c["kind"] in HELDOUT_MINIMUM and c["turns"] and all(len(t) <= 120 for t in c["turns"]), c
        assert c["turns"][0].lower() not in old_openings, c["id"]  # new phrasings ("and the price?" may recur)
        assert not (set(fs.case_products(c) + [c.get("neighbour_id")]) - {None}) & old_products, c["id"]  # new products
        assert set(c.get("fields", [])) <= set(fs.FIELD_NAMES), c
        if c["kind"] in ("price", "rating"):
            assert fs.case_products(c) and c["fields"], c
        if c["kind"] in ("spec", "policy", "complaint"):
            assert c["expect"], c
        if c["kind"] == "follow_up":
            assert 2 <= len(c["turns"]) <= 3 and (c.get("fields") or c.get("expect") or c.get("cheaper_than")), c
        else:
            assert len(c["turns"]) == 1, c
    tiers = " ".join(t.lower() for c in cases if c["kind"] in ("policy", "follow_up") for t in c["turns"])
    assert all(tier in tiers for tier in ("bronze", "silver", "gold", "guest"))


def test_heldout_products_exist_and_not_carried_ones_do_not():
    catalogue = _catalogue_or_skip()
    names = [p["product_name"].lower() for p in catalogue.values()]
    for c in fs.load_cases(fs.HELDOUT):
        for pid in fs.case_products(c) + [c[k] for k in ("neighbour_id", "cheaper_than") if c.get(k)]:
            assert pid in catalogue, (c["id"], pid)
        if len(fs.case_products(c)) > 1:
            values = {tuple(catalogue[p][f] for f in c.get("fields", [])) for p in fs.case_products(c)}
            assert len(values) == 1, (c["id"], values)
        if c["kind"] == "not_carried":
            assert not any(_model(c["absent"]).search(n) for n in names), c["id"]
            assert _model(c["absent"]).search(" ".join(c["turns"]).lower()), c["id"]
        if c["kind"] == "spec":
            text = " ".join(catalogue[p]["product_name"] + " " + catalogue[p]["about_product"]
                            for p in fs.case_products(c)).lower()
            for need in c["expect"]:
                assert any(a.lower() in text for a in ([need] if isinstance(need, str) else need)), (c["id"], need)
