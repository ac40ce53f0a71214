"""Loaders and chunking: every file kind, metadata, and clear errors for bad files."""

import json

import pytest

from knowledge.chunking import chunk_markdown, chunk_plain
from knowledge.lang import detect_lang
from knowledge.loaders import LoadError, html_to_markdown, load_file


def test_catalogue_csv_one_record_per_product(shop_dir):
    docs = load_file(shop_dir / "products.csv", source="products.csv", updated_at="2026-01-01")
    assert [d.metadata["doc_id"] for d in docs] == ["P-1", "P-2", "P-3"]
    aurora = docs[0]
    assert aurora.metadata | {"price": 59.99, "currency": "USD", "stock": 12, "kind": "product",
                              "category": "Electronics"} == aurora.metadata
    for key in ("title", "source", "updated_at", "price", "currency", "stock", "category"):
        assert key in aurora.metadata
    assert "Price: $59.99." in aurora.page_content
    assert "In stock: 12 units." in aurora.page_content
    assert "Out of stock." in docs[1].page_content
    assert "platform: PS4" in docs[1].page_content


def test_catalogue_json(tmp_path):
    path = tmp_path / "cat.json"
    path.write_text(json.dumps({"products": [{"id": "J1", "name": "Mug", "price": "$4.50", "stock": 3}]}))
    (doc,) = load_file(path, source="cat.json")
    assert doc.metadata["title"] == "Mug" and doc.metadata["price"] == 4.5 and doc.metadata["currency"] == "USD"
    assert "Price: $4.50." in doc.page_content


@pytest.mark.parametrize(
    "content, message",
    [
        ("sku,name\n", "no products"),
        ("id,price\n1,2\n", "'title'"),
        ("id,title,price\n1,A,cheap\n", "not a number"),
        ("id,title\n1,A\n1,B\n", "duplicate product id"),
    ],
)
def test_bad_catalogues_raise_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(LoadError, match=message) as err:
        load_file(path, source="bad.csv")
    assert "\n" not in str(err.value)


def test_faq_entries_carry_intent_and_phrasings(shop_dir):
    docs = load_file(shop_dir / "faq" / "orders.md", source="faq/orders.md")
    entries = [d for d in docs if d.metadata["variant"] == "entry"]
    assert [e.metadata["intent"] for e in entries] == ["cancel_order", "delivery_period"]
    cancel = [d for d in docs if d.metadata["intent"] == "cancel_order"]
    assert {d.page_content for d in cancel if d.metadata["variant"] == "question"} == {
        "How do I cancel an order?", "cancel my purchase", "stop my order before it ships"}
    assert all(d.metadata["answer"].startswith("You can cancel an order for free") for d in cancel)
    assert all("<!--" not in d.metadata["answer"] for d in docs)


def sections(docs):
    return [d for d in docs if d.metadata.get("variant") != "heading"]


def test_markdown_chunks_follow_headings(shop_dir):
    all_docs = load_file(shop_dir / "returns.md", source="returns.md")
    docs = sections(all_docs)
    headings = [d for d in all_docs if d.metadata.get("variant") == "heading"]
    assert [h.page_content for h in headings] == ["Returns > Return window", "Returns > Non-returnable items"]
    assert headings[0].metadata["body"] == docs[0].page_content
    assert headings[0].metadata["doc_id"] == docs[0].metadata["doc_id"]
    assert [d.metadata["section"] for d in docs] == ["Returns > Return window", "Returns > Non-returnable items"]
    assert docs[0].page_content.startswith("Returns > Return window\n")
    assert docs[0].metadata["doc_id"] == "returns.md#return-window"
    assert docs[0].metadata["title"] == "Returns policy" and docs[0].metadata["kind"] == "policy"


def test_long_sections_are_split_without_crossing_headings():
    body = "# A\n" + "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(8)) + "\n# B\nshort"
    docs = sections(chunk_markdown(body, "x.md", {}, ""))
    assert len(docs) > 2
    assert all(len(d.page_content) < 1100 for d in docs)
    assert docs[-1].page_content == "B\nshort"
    assert len({d.metadata["doc_id"] for d in docs}) == len(docs)


def test_html_drops_scripts_and_keeps_headings(shop_dir):
    title, text = html_to_markdown((shop_dir / "about.html").read_text())
    assert title == "About Harbor Lane"
    assert "var x" not in text and "# About us" in text
    docs = load_file(shop_dir / "about.html", source="about.html")
    assert any("1-800-555-0199" in d.page_content for d in docs)
    assert docs[0].metadata["kind"] == "page"


def test_text_and_pdf(shop_dir):
    txt = sections(load_file(shop_dir / "care.txt", source="care.txt"))
    assert [d.metadata["section"] for d in txt] == ["Cleaning", "Storage"]
    pdf = sections(load_file(shop_dir / "warranty.pdf", source="warranty.pdf"))
    assert "two year warranty" in pdf[0].page_content and pdf[0].metadata["page"] == 1


def test_plain_chunker_without_headings():
    docs = chunk_plain("just one line of text", "a.txt", {}, "")
    assert len(docs) == 1 and docs[0].metadata["section"] == ""


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("broken.pdf", b"%PDF-1.4 not really", "PDF"),
        ("latin1.md", "caf\xe9".encode("latin-1"), "UTF-8"),
        ("empty.md", b"---\ntitle: x\n---\n", "empty"),
        ("bad.json", b"{not json", "bad JSON"),
        ("faq.md", b"---\nkind: faq\n---\nno entries here\n", "no '## question' entries"),
        ("x.docx", b"PK", "unsupported"),
    ],
)
def test_unreadable_files_raise_load_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=message):
        load_file(path, source=name)


@pytest.mark.parametrize("text, lang", [("我的订单在哪里？", "zh"), ("Where is my order?", "en"), ("", "en"), ("🙂👍", "en")])
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang
