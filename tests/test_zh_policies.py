"""The Chinese policy documents (knowledge/data/policies/zh) are translations of the English ones:
each names its original, has the same sections in the same order, and states the same figures in
each section (a translation may word things differently, never change a number)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.loaders import load_file, split_front_matter

DATA = Path(__file__).resolve().parents[1] / "knowledge" / "data"
ZH = sorted((DATA / "policies" / "zh").glob("*.md"))
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH = re.compile(r"\b(january|february|march|april|june|july|august|september|october|november|december)\b")


def figures(text: str) -> set[str]:
    """The numbers a text states (English month names as their numbers: "November 1" → 11, 1)."""
    text = _MONTH.sub(lambda m: f" {_MONTHS.index(m.group(1)) + 1} ", text.lower())
    return set(re.findall(r"\d+(?:\.\d+)?", text.replace(",", "")))


def sections(path: Path, source: str) -> list[tuple[str, str]]:
    """``(heading path, body)`` per section, in order (a long section's parts joined)."""
    out: dict[str, str] = {}
    for doc in load_file(path, source):
        if doc.metadata.get("variant") == "heading":
            continue
        _, _, body = doc.page_content.partition("\n")
        key = doc.metadata["section"]
        out[key] = out.get(key, "") + body
    return list(out.items())


def original(path: Path) -> str:
    front, _ = split_front_matter(path.read_text(encoding="utf-8"))
    return str(front.get("translation_of", ""))


def test_every_english_policy_has_a_chinese_version():
    english = {p.name for p in (DATA / "policies").glob("*.md")}
    assert english and {p.name for p in ZH} == english
    assert {original(p) for p in ZH} == {f"policies/{name}" for name in english}


@pytest.mark.parametrize("path", ZH, ids=lambda p: p.name)
def test_a_chinese_policy_is_chinese_and_names_its_original(path):
    docs = load_file(path, f"policies/zh/{path.name}")
    assert docs and {d.metadata["lang"] for d in docs} == {"zh"}
    assert {d.metadata["kind"] for d in docs} == {"policy"}
    assert {d.metadata["translation_of"] for d in docs} == {original(path)}
    assert (DATA / original(path)).is_file()


@pytest.mark.parametrize("path", ZH, ids=lambda p: p.name)
def test_a_chinese_policy_has_the_original_sections_and_figures(path):
    zh = sections(path, f"policies/zh/{path.name}")
    en = sections(DATA / original(path), original(path))
    assert [h.count(" > ") for h, _ in zh] == [h.count(" > ") for h, _ in en]
    for (en_heading, en_body), (zh_heading, zh_body) in zip(en, zh):
        assert figures(zh_body) == figures(en_body), f"{en_heading} / {zh_heading}"


def test_the_figures_reader_reads_months_and_amounts():
    assert figures("Items bought between November 1 and December 24 cost $1,049.99") == {"11", "1", "12", "24", "1049.99"}
    assert figures("You may return it in 30 days") == {"30"}
