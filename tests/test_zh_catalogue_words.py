"""Chinese shoppers' words for the whole demo catalogue: every product (its title, kind and
attributes) can be named in Chinese, and the English words :func:`lexical_query` adds for a
Chinese kind of product are words of that product. Unit tests over the catalogue file and the
term table (no model loaded)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.answers.crosslingual import TERMS, lexical_query
from bot.answers.offtopic import zh_off_topic
from bot.answers.products import tokens

CATALOGUE = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "products.csv"


def _rows() -> list[dict]:
    with CATALOGUE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _words(row: dict) -> set[str]:
    """A product's own words: its title, its kind (subcategory) and its attributes ("R-value: 4.2")."""
    return set(tokens(f"{row['title']} {row['subcategory']} {row.get('attributes', '')}"))


_ENGLISH = {term: set(tokens(english)) for term, english in TERMS.items()}


def _english(term: str) -> set[str]:
    return _ENGLISH[term]


def test_every_product_of_the_demo_catalogue_has_a_chinese_word():
    unnamed = [row["title"] for row in _rows()
               if not any(_english(term) <= _words(row) for term in TERMS)]
    assert not unnamed, f"no Chinese shop term names: {unnamed}"


def test_every_kind_of_product_has_a_chinese_word_for_its_title():
    """Past the video games and books (named by their Latin titles, found by genre or format),
    each product's title carries the English words of some Chinese term."""
    unnamed = [row["title"] for row in _rows() if row["category"] not in ("Video Games", "Books")
               and not any(_english(term) <= set(tokens(row["title"])) for term in TERMS)]
    assert not unnamed, f"no Chinese shop term names the title of: {unnamed}"


@pytest.mark.parametrize("question, product", [
    ("匹克球拍套装多少钱", "HL-1134"), ("扫地机器人有货吗", "HL-1109"), ("弹力带套装里一共几根带子", "HL-1131"),
    ("自充气睡垫的R值是多少", "HL-1121"), ("防水登山靴现在卖多少", "HL-1147"), ("无线吸尘器续航多久", "HL-1108"),
    ("珐琅铸铁锅多大", "HL-1096"), ("鹅颈壶能控温吗", "HL-1103"), ("双人帐篷多重", "HL-1115"),
    ("露营炉有几个炉头", "HL-1125"), ("拉力带多少钱", "HL-1131"), ("面包服有什么颜色", "HL-1138"),
    ("打底裤有口袋吗", "HL-1144"), ("针织帽是什么材质", "HL-1151"), ("编织数据线多长", "HL-1080"),
    ("可视门铃需要订阅吗", "HL-1082"), ("氮化镓充电器多少瓦", "HL-1076"), ("儿童睡袋适合几岁", "HL-1120"),
    ("变装箱有几件", "HL-1192"), ("彩虹叠叠乐适合几岁", "HL-1183"), ("胡子修剪器防水吗", "HL-1176"),
    ("負離子吹風機多少瓦", "HL-1173"), ("有线手柄线多长", "HL-1009"), ("翻新机保修多久", "HL-1003"),
    ("編織數據線多長", "HL-1080"), ("琺瑯鑄鐵鍋多大", "HL-1096"), ("叉盒多少钱", "HL-1006"),
])
def test_a_chinese_kind_of_product_adds_that_products_english_words(question, product):
    row = next(r for r in _rows() if r["id"] == product)
    added = set(tokens(lexical_query(question))) - set(tokens(question))
    assert added and added <= _words(row) | set(tokens(row["brand"])), (added, row["title"])
    assert not zh_off_topic(question)


def test_the_r_value_is_read_in_either_case():
    assert "r-value" in lexical_query("睡垫R值多少") and "r-value" in lexical_query("睡垫r值多少")
