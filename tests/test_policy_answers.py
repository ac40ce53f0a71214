"""Policy and FAQ answers: the unit that answers the question asked, from the right heading or list item.

Small hand-written policy documents; no models (the Answerer tests use the fakes' embedder)."""

from __future__ import annotations

import pytest

from bot.answers import agent_text, passages
from bot.answers.sections import _join
from knowledge.store import Source

TIERS = """Returns are accepted in the original packaging.

Return windows by membership:

- Guest members: 30 days to return an item.
- Bronze members: 90 days to return an item.
- Silver members: 6 months to return an item.
- Gold members: unlimited returns.
"""

SHIPPING = """Shipping times vary depending on the destination. Standard shipping usually takes 3-5 business days, while express shipping can take 1-2 business days."""

SECTIONED = """# Returns

## Guests

Guests have 30 days to return an item.

## Bronze members

Bronze members have 90 days to return an item.
"""

FAQ_ENTRY = """Opened games can be returned only when they are faulty. Opened consoles carry a 15% restocking fee. Final sale items are non-returnable."""


@pytest.mark.parametrize("question, expected", [
    ("I'm a bronze member, how long do I have to return an item?", "Bronze members: 90 days to return an item."),
    ("How long do guests have to return something?", "Guest members: 30 days to return an item."),
    ("What's the return window for silver members?", "Silver members: 6 months to return an item."),
    ("As a gold member, is there a limit on returns?", "Gold members: unlimited returns."),
])
def test_a_list_item_is_never_answered_from_its_neighbour(question, expected):
    assert passages.select(question, TIERS, n=1) == [expected]


def test_the_question_names_one_kind_of_the_labelled_items():
    pool = passages.parse(TIERS)
    asked = passages.qualifiers("I'm a bronze member, how long do I have?", pool)
    assert asked == {"member": passages.stems("bronze")}


def test_a_fact_under_one_heading_is_answered_from_that_heading():
    pool = passages.parse(SECTIONED)
    assert [u.context for u in pool] == ["Returns Guests", "Returns Bronze members"]
    choice = passages.choose("How long do bronze members have to return an item?", pool)
    assert choice.texts == ["Bronze members have 90 days to return an item."]


def test_two_questions_about_one_entry_get_two_answers():
    a = passages.select("Can I return an opened game?", FAQ_ENTRY, n=1)
    b = passages.select("Is there a restocking fee on an opened console?", FAQ_ENTRY, n=1)
    assert a == ["Opened games can be returned only when they are faulty."]
    assert b == ["Opened consoles carry a 15% restocking fee."]


@pytest.mark.parametrize("question, unit, reply", [
    ("Can I return a final sale item?", "Final sale items are non-returnable.", "No, final sale items are non-returnable."),
    ("Can I cancel my order?", "You can cancel your order if it has not been shipped yet.",
     "Yes, you can cancel your order if it has not been shipped yet."),
    ("Do you offer gift wrapping?", "Yes, we offer gift wrapping for a fee.", "Yes, we offer gift wrapping for a fee."),
    ("Can I use two promo codes?", "Usually, only one promo code can be applied per order.",
     "Usually, only one promo code can be applied per order."),  # undecided: no yes or no is made up
    ("How long does shipping take?", "Shipping takes 3-5 days.", "Shipping takes 3-5 days."),
])
def test_yes_or_no_comes_first_where_the_unit_decides_it(question, unit, reply):
    assert passages.compose(question, [unit]) == reply


def test_and_express_gets_only_the_express_clause():
    # "And express?" after "How long does standard shipping take?" is rewritten to the question below
    # (bot.answers.followup.elliptical); the answer is the express side of the sentence only.
    assert passages.select("How long does express shipping take?", SHIPPING) == ["Express shipping can take 1-2 business days."]
    assert passages.select("How long does standard shipping take?", SHIPPING) == ["Standard shipping usually takes 3-5 business days."]
    whole = passages.select("How long does shipping take?", SHIPPING, n=1)
    assert whole == ["Standard shipping usually takes 3-5 business days, while express shipping can take 1-2 business days."]


def test_a_negative_answer_keeps_the_alternative_that_follows_it():
    body = "We do not offer reservations for out-of-stock products. However, you can sign up for notifications. Gift cards never expire."
    assert passages.select("Can you reserve an out of stock item for me?", body) == [
        "We do not offer reservations for out-of-stock products.", "However, you can sign up for notifications."]


def test_a_list_item_is_scoped_by_the_sentence_it_hangs_from():
    body = "How would you like to send your return?\n\n- Options include: by mail, in store, or a drop-off center.\n\nRefunds take 5 days."
    (item,) = [u for u in passages.parse(body) if u.text.startswith("Options")]
    assert item.lead == "How would you like to send your return?"
    assert "return" in item.context_words


STAFF = """Confirm their order can be returned, by checking their membership level.

- Gold members: > Gold members get unlimited returns
- Silver members: > Ask for the purchase date, return possible within the last 6 months
- Enter the member level and then click the [Membership Privileges] option

If the customer has been waiting for a week or longer, let them know that you will ship a new order.

Standard shipping is $8.00, so enter '8' into the box
"""


def test_staff_guidelines_are_said_to_the_shopper():
    texts = [u.text for u in passages.parse(STAFF)]
    assert texts == [
        "Gold members get unlimited returns.",
        "Silver members: return possible within the last 6 months.",
        "If you have been waiting for a week or longer, we will ship a new order.",
        "Standard shipping is $8.00.",
    ]


def test_text_for_shoppers_is_not_rewritten():
    assert not agent_text.addressed_to_staff("Please contact our customer support team with your order details.")
    body = "To leave a review, click on the 'Write a Review' button."
    assert passages.units(body) == [body]


@pytest.mark.parametrize("unit, said", [
    ("The customer wants to upgrade to overnight shipping.", None),  # the situation, told to the agent
    ("Email Address", None),  # a form field
    ("Bronze and Guest members cannot get an extension > For these, apologize that you cannot do anything for them.",
     "Bronze and Guest members cannot get an extension."),
    ("Guest, Bronze or Silver members: > Ask them if they can charge $20 to the credit card on their account",
     "Guest, Bronze or Silver members: we can charge $20 to the credit card on your account."),
])
def test_procedure_is_dropped_and_statements_kept(unit, said):
    assert agent_text.for_shopper(unit) == said


def test_the_parts_of_a_section_join_without_their_overlap():
    joined = _join(["Returns\nFirst paragraph.\n\nSecond paragraph here with enough words.",
                    "Returns\nSecond paragraph here with enough words.\n\nThird paragraph."], "Returns")
    assert joined == "Returns\nFirst paragraph.\n\nSecond paragraph here with enough words.\n\nThird paragraph."


class _Embedder:
    """Bag-of-words vectors: enough for the answerer's unit cosine, no model."""

    def encode(self, texts):
        import numpy as np

        vocab = {}
        rows = []
        for t in texts:
            row = np.zeros(512, dtype="float32")
            for w in passages.stems(t):
                row[vocab.setdefault(w, hash(w) % 512)] += 1.0
            rows.append(row / (np.linalg.norm(row) or 1.0))
        return np.stack(rows)


def _answerer():
    from bot.rag import Answerer
    from settings import Settings

    return Answerer(Settings(_env_file=None, answer_style="extractive"), llm=None, embedder=_Embedder())


# The demo store's delivery FAQ: kinds named in bold, the verb left out after the first one.
DELIVERY_TIMES = ("After dispatch, **Standard** delivery takes 3–5 business days, **Express** 1–2 business days and "
                  "**Next-Day** one business day in the contiguous US; Alaska and Hawaii take 6–10 business days.")
DELIVERY_OPTIONS = ("Harbor Lane offers three delivery speeds in the US: **Standard** (3–5 business days, $5.99), "
                    "**Express** (1–2 business days, $14.99) and **Next-Day** (next business day, $24.99).")


def test_one_kind_of_a_bold_list_answers_a_question_about_that_kind():
    assert passages.select("How long does express shipping take?", DELIVERY_TIMES) == [
        "Express delivery takes 1–2 business days after dispatch."]
    assert passages.select("How much is express shipping?", DELIVERY_OPTIONS) == ["Express delivery: 1–2 business days, $14.99."]
    assert passages.compose("Do you offer express delivery?", ["Express delivery: 1–2 business days, $14.99."]).startswith("Yes")
    whole = passages.select("How long does delivery take?", DELIVERY_TIMES, n=1)[0]
    assert whole.startswith("After dispatch, Standard delivery takes 3–5 business days, Express")


def test_a_yes_no_entry_answers_yes_before_its_conditions():
    trade = Source("faq#trade", "Do you take trade-ins for games and consoles?",
                   "Yes, through **Harbor Lane Trade-In**: get a quote online and ship it free. Games must include their "
                   "case and disc, and consoles must be factory reset with all accounts removed.", 0.8, "faq")
    final = list(_answerer().answer("Can I trade in my old console?", [trade], []))[-1][1]
    assert final.text.startswith("Yes, through Harbor Lane Trade-In")


def test_a_product_record_is_answered_as_a_sentence_not_a_field():
    record = Source("HL-1010", "Switch Pro Controller", "Switch Pro Controller by Nintendo. Price: $69.99. In stock: 6 units.",
                    0.8, "product", metadata={"doc_id": "HL-1010", "title": "Switch Pro Controller", "price": 69.99,
                                              "stock": 6, "brand": "Nintendo"})
    final = list(_answerer().answer("What does the Switch Pro Controller cost?", [record], []))[-1][1]
    assert "Switch Pro Controller" in final.text and "$69.99" in final.text and not final.text.startswith("Price:")


def test_the_answer_comes_from_whichever_retrieved_source_holds_it():
    heading = Source("g#shipping", "Guidelines", "Shipping Issue\nShipping Issue: check or update a shipment.", 0.60,
                     "policy", metadata={"section": "Shipping Issue", "part": 0})
    faq = Source("faq#shipping", "How long does shipping take?", SHIPPING, 0.58, "faq")
    events = list(_answerer().answer("How long does express shipping take?", [heading, faq], []))
    final = events[-1][1]
    assert final.text == "Express shipping can take 1-2 business days. [1]"
    assert final.sources == [faq]


def test_a_unit_about_the_very_kind_asked_rescues_a_weak_retrieval_score():
    answerer = _answerer()
    low = answerer.settings.abstain_below - 0.03
    src = Source("g#returns", "Guidelines", "Returns\n" + TIERS, low, "policy", metadata={"section": "Returns", "part": 0})
    assert not answerer.should_abstain("What's the return window for silver members?", [src])
    assert answerer.should_abstain("Who won the world cup in 2018?", [src])
