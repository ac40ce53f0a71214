"""Cite-or-abstain checks: facts must appear in sources, sentences must be close to one."""

import pytest

from bot.grounding import GroundingChecker, facts, split_sentences, strip_citations
from knowledge.embedder import HashEmbedder

SOURCES = [
    "Returns > Return window\nMost items can be returned within 30 days of delivery for a full refund.",
    "Aurora Wireless Headphones by Lumo\nPrice: $59.99.\nIn stock: 12 units.",
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Returns within 30 days; express costs $9.99.", {"30", "9.99"}),
        ("It costs $1,299.00 now", {"1299"}),
        ("Open 8:30 to 17:00", {"8:30", "17:00"}),
        ("no numbers here", set()),
    ],
)
def test_facts(text, expected):
    assert facts(text) == expected


def test_split_sentences_and_citations():
    assert split_sentences("A b. C d! E f? 好的。谢谢") == ["A b.", "C d!", "E f?", "好的。", "谢谢"]
    assert strip_citations("Within 30 days [1] [2].") == "Within 30 days."


@pytest.fixture
def checker():
    return GroundingChecker(HashEmbedder(), support_min=0.5)


def test_supported_sentence_is_kept_and_cited_to_its_source(checker):
    (r,) = checker.check("Most items can be returned within 30 days of delivery [1].", SOURCES)
    assert r.supported and r.source == 0 and r.text == "Most items can be returned within 30 days of delivery."


def test_invented_number_is_dropped_even_when_similar(checker):
    (r,) = checker.check("Most items can be returned within 60 days of delivery.", SOURCES)
    assert not r.supported and "60" in r.reason


def test_invented_price_is_dropped(checker):
    (r,) = checker.check("Aurora Wireless Headphones by Lumo cost $19.99.", SOURCES)
    assert not r.supported and "19.99" in r.reason


def test_unrelated_sentence_is_dropped(checker):
    (r,) = checker.check("Our CEO loves sailing on weekends.", SOURCES)
    assert not r.supported


def test_fluent_sentence_with_words_not_in_sources_is_dropped(checker):
    (r,) = checker.check("Most items deemed unsuitable by manufacturer standards can be returned without penalty.", SOURCES)
    assert not r.supported and "words" in r.reason


def test_low_similarity_is_dropped(tmp_path):
    strict = GroundingChecker(HashEmbedder(), support_min=0.99, lexical_min=0.0)
    (r,) = strict.check("Items returned within delivery.", SOURCES)
    assert not r.supported and r.reason.startswith("similarity")


def test_dont_know_sentence_is_not_an_answer(checker):
    (r,) = checker.check("I don't know the return window.", SOURCES)
    assert not r.supported


def test_echoed_heading_fragment_is_not_an_answer(checker):
    (r,) = checker.check("Aurora Wireless Headphones [2]", SOURCES)
    assert not r.supported and "fragment" in r.reason
    (full,) = checker.check("Aurora Wireless Headphones by Lumo are in stock [2].", SOURCES)
    assert "fragment" not in full.reason


def test_empty_inputs(checker):
    assert checker.check("", SOURCES) == [] and checker.check("x y z", []) == []


def test_best_sentences_are_in_document_order(checker):
    text = "Shipping is fast. Returns are free within 30 days. Gift cards never expire."
    assert checker.best_sentences("are returns free", text, n=1) == ["Returns are free within 30 days."]
