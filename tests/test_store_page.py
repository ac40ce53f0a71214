"""``examples/store.html`` shows only products of the demo catalogue, at their catalogue prices."""

from __future__ import annotations

import csv
import html
import re

from settings import DEMO_DATA_DIR

from .test_web import REPO_ROOT

PRODUCT = re.compile(r'<div class="product" data-item="([^"]+)">.*?<h3>(.*?)</h3><p>\$([0-9.]+)', re.S)


def test_store_page_products_are_in_the_catalogue():
    with open(DEMO_DATA_DIR / "products.csv", newline="", encoding="utf-8") as f:
        catalogue = {row["id"]: row for row in csv.DictReader(f)}
    page = (REPO_ROOT / "examples" / "store.html").read_text(encoding="utf-8")
    shown = PRODUCT.findall(page)
    assert shown and len(shown) == page.count('class="product"'), "every product card needs data-item, <h3> and a $price"
    for item_id, title, price in shown:
        row = catalogue.get(item_id)
        assert row is not None, f"{item_id} is not in the catalogue"
        assert html.unescape(title) == row["title"], (item_id, title, row["title"])
        assert float(price) == float(row["price"]), (item_id, price, row["price"])
