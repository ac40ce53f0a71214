"""Leftovers of issue 15: no made-up yes/no verdict on a complaint, a verdict read from the answering
clause only, and a request for a person that is never read as a happy message (fakes, fast)."""

import numpy as np
import pytest

from bot.answers import complaints, passages
from bot.sentiment.base import SentimentModel, asks_for_person, without_warmth

DAMAGED_UNITS = [
    "Report it within 7 days of delivery in Account > Orders > Report a problem, with a photo.",
    "We send a free replacement or give a full refund including shipping; for large items you may not need "
    "to send the damaged one back.",
]


@pytest.mark.parametrize("message, kind", [
    ("My headphones arrived broken and this is unacceptable!", "damaged"),
    ("the console I got is damaged", "damaged"),
    ("wrong item arrived", "wrong"),
    ("my order is late, this is ridiculous", "late"),
])
def test_a_complaint_is_read_as_its_kind_and_its_policy_question_asks_no_yes_or_no(message, kind):
    assert complaints.complaint_kind(message) == kind
    query = complaints.complaint_query(message)
    assert not passages.is_yes_no(query), query
    for units in (DAMAGED_UNITS, DAMAGED_UNITS[::-1]):
        reply = passages.compose(query, units)
        assert not reply.startswith(("Yes", "No")), reply


@pytest.mark.parametrize("unit", [
    "We send a free replacement; you do not need to send the item back.",
    "We send a free replacement. Large items do not need to be sent back.",
])
def test_the_verdict_is_read_from_the_answering_clause_only(unit):
    assert passages._main_clause(unit) == unit.split(";")[0].split(". ")[0] + ("." if ". " in unit else "")
    assert passages.verdict("Can I get a replacement?", unit) != "no"


def test_a_no_in_the_answering_clause_still_decides_and_abbreviations_do_not_cut_it():
    assert passages.verdict("Can I return a download code?", "Download codes cannot be returned; gift cards can.") == "no"
    assert passages._main_clause("Items (e.g. games) can be returned. Codes cannot.") == "Items (e.g. games) can be returned."


def test_a_statement_gets_no_verdict():
    assert passages.verdict("My order is late.", "Orders are not shipped on weekends.") is None
    assert passages.compose("Wrong item arrived", ["We do not charge for the exchange."]) == \
        "We do not charge for the exchange."


class ConstantSentiment(SentimentModel):
    def __init__(self, row):
        self.row = np.asarray(row, dtype=float)

    def predict_proba(self, texts):
        return np.tile(self.row, (len(texts), 1))


@pytest.mark.parametrize("message", ["I want to talk to a person", "can I speak to a human", "转人工",
                                     "I'd like to talk to someone, please"])
def test_a_request_for_a_person_is_never_positive(message):
    assert asks_for_person(message)
    mood = ConstantSentiment([0.05, 0.2, 0.75]).score(message)
    assert mood.label == "neutral" and mood.polarity <= 0


def test_a_request_for_a_person_keeps_its_anger_and_other_messages_keep_their_warmth():
    angry = ConstantSentiment([0.8, 0.1, 0.1]).score("this bot is useless, get me a human")
    assert angry.label == "negative" and angry.polarity == pytest.approx(-0.8)
    happy = ConstantSentiment([0.05, 0.2, 0.75]).score("I love this headset")
    assert happy.label == "positive" and happy.polarity == pytest.approx(0.7)
    assert np.allclose(without_warmth(np.array([0.2, 0.3, 0.5])), [0.2, 0.8, 0.0])
    assert not asks_for_person("is this a real leather wallet?")


def test_a_warm_request_for_a_person_still_hands_off_and_staff_see_no_positive_mood(settings, shop_dir, knowledge):
    from bot.llm import FakeLLM
    from bot.service import ChatService
    from knowledge.ingest import ingest

    from .fakes import FakeRecommender

    ingest(knowledge, [shop_dir], progress=False)
    service = ChatService(settings, llm=FakeLLM(), knowledge=knowledge, embedder=knowledge.embedder,
                          recommender=FakeRecommender(), sentiment=ConstantSentiment([0.05, 0.2, 0.75]))
    reply = service.turn("can I speak to a human, please")
    assert reply.handoff["state"] == "waiting_for_human"
    assert reply.sentiment["label"] != "positive"
    (case,) = service.desk.queue()
    timeline = case.packet["sentiment_timeline"]
    assert timeline and all(t["label"] != "positive" and t["polarity"] <= 0 for t in timeline)
    assert case.packet["reason"] == "human_request"


def test_no_yes_where_the_question_and_the_unit_each_name_their_own_case():
    unit = "You can cancel an order free of charge while its status is Processing."
    assert passages.verdict("Can I cancel my order after it shipped?", unit) is None
    assert passages.verdict("Can I cancel my order?", "You can cancel your order if it has not been shipped yet.") == "yes"
