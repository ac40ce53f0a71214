"""The Chinese FAQ covers the topics the English FAQ answers, with the same figures."""

import re
from pathlib import Path

import pytest

from knowledge.loaders import load_file

FAQ = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "faq"


def entries(name: str) -> dict[str, str]:
    """intent → answer of one FAQ file (the entry records only)."""
    docs = load_file(FAQ / name, f"faq/{name}")
    return {d.metadata["intent"]: d.metadata["answer"] for d in docs if d.metadata["variant"] == "entry"}


def english() -> dict[str, str]:
    out = {}
    for path in FAQ.glob("*.md"):
        if path.name != "zh.md":
            out.update(entries(path.name))
    return out


# intent → figures the Chinese answer must state as the English one does
FIGURES = {
    "damaged_item": ["7", "1"],
    "missing_package": ["48", "30", "3"],
    "delete_account": ["14", "7"],
    "international_shipping": ["38", "5–12", "19.99"],
    "payment_issue": ["1–5", "4"],
    "privacy_data": ["48", "30"],
}


@pytest.mark.parametrize("intent, figures", sorted(FIGURES.items()))
def test_chinese_entry_states_the_english_figures(intent, figures):
    zh, en = entries("zh.md"), english()
    assert intent in zh and intent in en
    zh_numbers = set(re.findall(r"\d+(?:[.–]\d+)?", zh[intent]))
    en_numbers = set(re.findall(r"\d+(?:[.–]\d+)?", en[intent]))
    for figure in figures:
        assert figure in en_numbers, f"{figure} is not in the English answer any more"
        assert figure in zh_numbers, f"{intent}: the Chinese answer lacks {figure}"
    assert re.search(r"[\u4e00-\u9fff]", zh[intent])


def test_every_chinese_entry_has_phrasings_and_an_english_intent():
    docs = load_file(FAQ / "zh.md", "faq/zh.md")
    en = english()
    intents = {d.metadata["intent"] for d in docs}
    assert intents <= set(en) | {""}
    for intent in FIGURES:
        assert sum(d.metadata["intent"] == intent and d.metadata["variant"] == "question" for d in docs) >= 8
