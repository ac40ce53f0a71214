"""Any store's catalogue: export headers, --columns and mapping files, prices with their currency, facts."""

import csv
import io
import json

import pytest

from knowledge.catalogue import CatalogueOptions, columns_option, read_products
from knowledge.columns import CatalogueError, ColumnMap, parse_columns, resolve
from knowledge.ingest import ingest, main
from knowledge.loaders import LoadError, load_file
from knowledge.prices import PriceError, format_price, parse_amount, parse_price

from .conftest import REPO

# Written for these tests in the shape of an Indian Amazon export: one review per row (so a
# product repeats), prices in rupees, a pipe-separated category path, reviewer columns, links.
AMAZON_HEADER = ("product_id,product_name,category,discounted_price,actual_price,discount_percentage,rating,"
                 "rating_count,about_product,user_id,user_name,review_id,review_title,review_content,img_link,"
                 "product_link")
CABLE = ["B0TEST0001", "Kestrel Braided USB-C Cable 1.5 m", "Computers&Accessories|Cables|USBCables", "₹399",
         "₹1,099", "64%", "4.2", "24,269", "Nylon braided cable.|Charges at up to 60 W."]
AMAZON_ROWS = [
    CABLE + ["U1", "Asha", "R1", "Sturdy", "Works well", "https://img.example/1.jpg", "https://shop.example/p/1"],
    CABLE[:7] + ["24,270", CABLE[8], "U2", "Ravi", "R2", "Good", "Fine so far", "https://img.example/1.jpg",
                 "https://shop.example/p/1"],
    ["B0TEST0002", "Monsoon 1.7 L Electric Kettle", "Home&Kitchen|Kitchen&HomeAppliances|Kettles", "₹1,299.00",
     "₹2,495", "48%", "3.9", "812", "Stainless steel kettle with auto shut-off.", "U3", "Meera", "R3",
     "Boils fast", "Nice", "https://img.example/2.jpg", "https://shop.example/p/2"],
    ["B0TEST0003", "Tarang Wireless Earbuds", "Electronics|Headphones", "₹176.63", "₹176.63", "0%", "|", "",
     "Bluetooth 5.3 earbuds.", "U4", "Dev", "R4", "Ok", "Average", "https://img.example/3.jpg",
     "https://shop.example/p/3"],
]


def csv_text(header: str, rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def amazon(tmp_path):
    path = tmp_path / "amazon.csv"
    path.write_text(csv_text(AMAZON_HEADER, AMAZON_ROWS), encoding="utf-8")
    return path


def by_id(docs):
    return {d.metadata["doc_id"]: d for d in docs}


# --------------------------------------------------------------------------- prices


@pytest.mark.parametrize(
    "cell, amount, code",
    [
        ("₹1,099", 1099.0, "INR"),
        ("₹1,099.00", 1099.0, "INR"),
        ("₹1,39,900", 139900.0, "INR"),
        ("Rs. 399", 399.0, "INR"),
        ("¥2,980", 2980.0, "JPY"),
        ("€19,99", 19.99, "EUR"),
        ("1.299,50 €", 1299.5, "EUR"),
        ("£5", 5.0, "GBP"),
        ("$19.99", 19.99, "USD"),
        ("US$1,250.00", 1250.0, "USD"),
        ("CA$12", 12.0, "CAD"),
        ("EUR 19.99", 19.99, "EUR"),
        ("19.99 chf", 19.99, "CHF"),
        ("19.99", 19.99, "USD"),
        ("1,234", 1234.0, "USD"),
        ("2.980", 2980.0, "USD"),
        (12, 12.0, "USD"),
        (4.5, 4.5, "USD"),
    ],
)
def test_parse_price_keeps_the_currency(cell, amount, code):
    assert parse_price(cell) == (amount, code)


def test_bare_amounts_take_the_store_currency_and_shared_symbols_follow_it():
    assert parse_price("1099", "INR") == (1099.0, "INR")
    assert parse_price("$5", "CAD") == (5.0, "CAD") and parse_price("$5", "INR") == (5.0, "USD")
    assert parse_price("¥5", "CNY") == (5.0, "CNY") and parse_price("¥5") == (5.0, "JPY")
    assert parse_price("", "EUR") == (None, "EUR")


@pytest.mark.parametrize("cell", ["cheap", "19.99.99", "1,234.567", "12,3456", "TBD", "₹399 - ₹499"])
def test_unreadable_prices_raise(cell):
    with pytest.raises(PriceError, match="not a number"):
        parse_price(cell)


def test_decimal_mark_rule():
    # one or two digits after the last separator: decimals; exactly three: thousands
    assert parse_amount("19,9") == 19.9 and parse_amount("19.99") == 19.99
    assert parse_amount("1,099") == 1099 and parse_amount("1.099") == 1099
    assert parse_amount("1 299,99") == 1299.99 and parse_amount("1.234.567,5") == 1234567.5


@pytest.mark.parametrize(
    "amount, code, text",
    [
        (499.99, "USD", "$499.99"), (50, "USD", "$50.00"), (1099, "INR", "₹1,099"), (176.63, "INR", "₹176.63"),
        (2980, "JPY", "¥2,980"), (2980.4, "JPY", "¥2,980"), (19.99, "EUR", "€19.99"), (19.9, "eur", "€19.90"),
        (5, "GBP", "£5.00"), (12, "CNY", "¥12"), (19.99, "CHF", "19.99 CHF"), (None, "USD", ""),
    ],
)
def test_format_price(amount, code, text):
    assert format_price(amount, code) == text


# --------------------------------------------------------------------------- export headers


def test_amazon_export_maps_without_any_option(amazon):
    docs = load_file(amazon, source="amazon.csv", updated_at="2026-01-01")
    assert [d.metadata["doc_id"] for d in docs] == ["B0TEST0001", "B0TEST0002", "B0TEST0003"]  # repeat merged
    cable = by_id(docs)["B0TEST0001"]
    assert cable.metadata | {
        "title": "Kestrel Braided USB-C Cable 1.5 m", "price": 399.0, "list_price": 1099.0, "currency": "INR",
        "rating": 4.2, "rating_count": 24269, "category": "Computers&Accessories", "subcategory": "USBCables",
        "category_path": "Computers&Accessories > Cables > USBCables", "product_link": "https://shop.example/p/1",
    } == cable.metadata
    assert cable.page_content.splitlines()[:4] == [
        "Kestrel Braided USB-C Cable 1.5 m",
        "Category: Computers&Accessories > Cables > USBCables.",
        "Price: ₹399 (list price ₹1,099, 64% off).",
        "Rating: 4.2 out of 5 (24,269 ratings).",
    ]
    assert "Nylon braided cable.\nCharges at up to 60 W." in cable.page_content
    for private in ("Asha", "Sturdy", "Works well", "U1", "https://"):
        assert private not in cable.page_content
    assert not any(k.startswith(("user", "review")) for k in cable.metadata)


def test_odd_cells_are_left_out_not_invented(amazon):
    docs = by_id(load_file(amazon, source="amazon.csv"))
    kettle, buds = docs["B0TEST0002"], docs["B0TEST0003"]
    assert kettle.metadata["price"] == 1299.0
    assert "Price: ₹1,299 (list price ₹2,495, 48% off)." in kettle.page_content
    assert "Rating: 3.9 out of 5 (812 ratings)." in kettle.page_content
    # rating "|" is no rating; list price equal to the price is no discount
    assert "rating" not in buds.metadata and "Rating" not in buds.page_content
    assert "list_price" not in buds.metadata and "Price: ₹176.63." in buds.page_content


def test_headers_match_case_and_punctuation_blind():
    layout = resolve(["Product ID", "Product-Name", "Sale Price", "MRP", "Brand", "Color"], ColumnMap())
    assert layout.fields == {"id": "Product ID", "title": "Product-Name", "brand": "Brand",
                             "price": "Sale Price", "list_price": "MRP"}
    assert layout.extras == ["Color"]


def test_extra_columns_and_brand_become_facts(tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text('sku,name,brand,price,colour,warranty_months\nS1,Desk Lamp,Lumo,"€24,99",black,24\n')
    (doc,) = load_file(path, source="shop.csv")
    assert doc.page_content == "Desk Lamp by Lumo\nPrice: €24.99.\nColour: black.\nWarranty months: 24."
    assert doc.metadata | {"brand": "Lumo", "colour": "black", "warranty_months": "24", "currency": "EUR",
                           "price": 24.99} == doc.metadata


def test_currency_column_wins_then_symbol_then_store_setting(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([
        {"id": "A", "title": "Tea", "price": "12.50", "currency": "gbp"},
        {"id": "B", "title": "Rice", "price": "¥980"},
        {"id": "C", "title": "Salt", "price": 40},
        {"id": "D", "title": "Mug", "price": "$8", "currency": "CAD"},
    ]))
    docs = by_id(load_file(path, source="mixed.json", catalogue=CatalogueOptions(currency="inr")))
    assert {k: (d.metadata["price"], d.metadata["currency"]) for k, d in docs.items()} == {
        "A": (12.5, "GBP"), "B": (980.0, "JPY"), "C": (40.0, "INR"), "D": (8.0, "CAD")}
    assert "Price: ₹40." in docs["C"].page_content and "Price: CA$8.00." in docs["D"].page_content


def test_conflicting_repeat_and_bad_currency_are_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("product_id,product_name,price\nX,Kettle,₹5\nX,Toaster,₹6\n")
    with pytest.raises(LoadError, match="duplicate product id X"):
        load_file(path, source="bad.csv")
    path.write_text("id,title,price,currency\n1,A,5,rupees\n")
    with pytest.raises(LoadError, match="unknown currency 'rupees'"):
        load_file(path, source="bad.csv")


# --------------------------------------------------------------------------- explicit mapping


def test_parse_columns_good_and_bad():
    cmap = parse_columns("price=actual_price, title=product_name,ignore=about_product")
    assert cmap.fields == {"price": "actual_price", "title": "product_name"} and cmap.ignore == {"about_product"}
    with pytest.raises(CatalogueError, match="unknown field 'prize'"):
        parse_columns("prize=actual_price")
    with pytest.raises(CatalogueError, match="not FIELD=COLUMN"):
        parse_columns("price")


def test_explicit_mapping_overrides_recognised_headers(amazon):
    options = CatalogueOptions(parse_columns("price=actual_price,ignore=about_product"))
    cable = by_id(load_file(amazon, source="amazon.csv", catalogue=options))["B0TEST0001"]
    assert cable.metadata["price"] == 1099.0
    assert "Price: ₹1,099 (64% off)." in cable.page_content
    assert "Discounted price: ₹399." in cable.page_content  # the column no field took stays a fact
    assert "Nylon" not in cable.page_content


def test_mapping_file_beside_the_catalogue(amazon):
    def cable(**kw):
        return by_id(load_file(amazon, source="amazon.csv", **kw))["B0TEST0001"]

    (amazon.parent / "catalogue.columns.yaml").write_text("price: actual_price\nignore: [rating]\n")
    assert cable().metadata["price"] == 1099.0 and "Rating" not in cable().page_content
    # the file's own mapping wins over the folder's, and --columns over both
    (amazon.parent / "amazon.columns.yaml").write_text("price: discounted_price\n")
    assert cable().metadata["price"] == 399.0 and "Rating: 4.2" in cable().page_content
    assert cable(catalogue=CatalogueOptions(parse_columns("price=actual_price"))).metadata["price"] == 1099.0
    (amazon.parent / "amazon.columns.yaml").write_text("title: no_such_column\n")
    with pytest.raises(LoadError, match="no column 'no_such_column' for title"):
        load_file(amazon, source="amazon.csv")
    (amazon.parent / "amazon.columns.yaml").write_text("colour: product_name\n")
    with pytest.raises(LoadError, match="amazon.columns.yaml: unknown field 'colour'"):
        load_file(amazon, source="amazon.csv")


def test_columns_option_checks_every_catalogue(amazon, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# x\ny")
    assert columns_option(["price=actual_price", "title=product_name"], [amazon, notes]).fields == {
        "price": "actual_price", "title": "product_name"}
    with pytest.raises(CatalogueError, match="amazon.csv has no column 'discounted_prise' for price") as err:
        columns_option(["price=discounted_prise"], [amazon])
    assert "\n" not in str(err.value)


@pytest.fixture
def cli(settings, monkeypatch):
    monkeypatch.setattr("settings.get_settings", lambda: settings)
    return settings


def test_cli_bad_columns_exit_2_and_write_nothing(amazon, cli, capsys):
    for value in ("price=discounted_prise", "prize=discounted_price", "price", "ignore=user_nmae"):
        assert main([str(amazon), "--quiet", "--columns", value]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: --columns") and err.count("\n") == 1
    assert not cli.data_dir.exists()  # no store was even opened


def test_cli_good_columns_index_the_mapped_fields(tmp_path, cli, capsys):
    path = tmp_path / "odd.csv"
    path.write_text("code,label,cost\nK1,Clay Teapot,\"¥2,980\"\n")
    assert main([str(path), "--quiet", "--columns", "id=code,title=label", "--columns", "price=cost"]) == 0
    assert "added 1" in capsys.readouterr().out
    from knowledge.embedder import make_embedder
    from knowledge.store import make_store

    (record,) = make_store(cli, make_embedder("fake")).records()
    assert record.metadata | {"doc_id": "K1", "price": 2980.0, "currency": "JPY"} == record.metadata
    assert record.text == "Clay Teapot\nPrice: ¥2,980."


def test_mapping_and_currency_are_part_of_the_file_hash(amazon, knowledge):
    assert ingest(knowledge, [amazon], progress=False).added == ["amazon.csv"]
    assert ingest(knowledge, [amazon], progress=False).unchanged == ["amazon.csv"]
    report = ingest(knowledge, [amazon], progress=False, columns=parse_columns("price=actual_price"))
    assert report.updated == ["amazon.csv"] and report.records_written == 3
    (amazon.parent / "amazon.columns.yaml").write_text("price: actual_price\n")
    assert ingest(knowledge, [amazon], progress=False).updated == ["amazon.csv"]


def test_store_currency_setting_reaches_the_records(tmp_path, settings):
    from knowledge.embedder import make_embedder
    from knowledge.store import make_store

    path = tmp_path / "plain.csv"
    path.write_text("id,title,price\nP1,Scarf,19.99\n")
    store = make_store(settings.model_copy(update={"currency": "EUR"}), make_embedder("fake"))
    ingest(store, [path], progress=False)
    (record,) = store.records()
    assert record.metadata["currency"] == "EUR" and "Price: €19.99." in record.text


# --------------------------------------------------------------------------- the demo store


def legacy_text(row: dict) -> str:
    """How records were written before currencies existed; the demo store must read the same."""
    lines = [row["title"] + (f" by {row['brand']}" if row["brand"] else "")]
    lines.append("Category: " + " > ".join(x for x in (row["category"], row["subcategory"]) if x) + ".")
    lines.append(f"Price: ${float(row['price']):.2f}.")
    stock = int(row["stock"])
    lines.append(f"In stock: {stock} units." if stock > 0 else "Out of stock.")
    lines.append(f"Rating: {row['rating']} out of 5.")
    lines += [row["attributes"].rstrip(".") + ".", row["description"]]
    return "\n".join(lines)


def test_demo_store_records_are_unchanged():
    path = REPO / "knowledge" / "data" / "products.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    docs = load_file(path, source="products.csv", updated_at="t")
    assert [d.metadata["doc_id"] for d in docs] == [r["id"] for r in rows]
    assert [d.page_content for d in docs] == [legacy_text(r) for r in rows]
    first = docs[0].metadata
    assert first | {"kind": "product", "currency": "USD", "price": float(rows[0]["price"]), "brand": rows[0]["brand"],
                    "stock": int(rows[0]["stock"]), "category": rows[0]["category"]} == first


def test_read_products_gives_the_recommender_the_same_mapping(amazon):
    rows = {r["id"]: r for r in read_products(amazon, CatalogueOptions(currency="INR"))}
    assert list(rows) == ["B0TEST0001", "B0TEST0002", "B0TEST0003"]
    assert rows["B0TEST0002"] | {"title": "Monsoon 1.7 L Electric Kettle", "price": 1299.0, "currency": "INR",
                                 "category": "Home&Kitchen", "subcategory": "Kettles",
                                 "description": "Stainless steel kettle with auto shut-off."} == rows["B0TEST0002"]
