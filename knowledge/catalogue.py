"""Product catalogues (CSV/JSON) from any store's export → one record per product.

Which column is which is :mod:`knowledge.columns`' business (``--columns``, a mapping file,
common export headers). Every column that is no product field is an extra fact, stated in
the record as ``Label: value.`` and kept in the metadata under its header name, except
per-review and personal columns (``user_*``, ``review_*``: one shopper's review is no fact
about the product) and links (``*_link``, ``*_url``, images: in the metadata only, not in
the text the embedder reads).

Prices keep their currency (:mod:`knowledge.prices`): a ``currency`` column if present,
else the symbol in the cell, else the store's ``KEFU_CURRENCY``. The record carries
``price`` (amount), ``currency`` (ISO code) and, where given, ``list_price``, ``brand``,
``rating`` (0–5), ``rating_count``, ``category`` (top level of an ``A|B|C`` path),
``subcategory`` (its last level) and ``category_path``. A repeated product id whose title
matches the first row is the same product (exports with one review per row): the first
row wins. Columns, mapping and currency are described for store owners in
``knowledge/DATA.md``.

    >>> p = {"title": "Cable", "price": 399.0, "currency": "INR", "list_price": 1099.0, "discount": "64%",
    ...      "rating_text": "4.2", "rating_count": 24269}
    >>> print(product_text(p))
    Cable
    Price: ₹399 (list price ₹1,099, 64% off).
    Rating: 4.2 out of 5 (24,269 ratings).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.columns import FIELDS, CatalogueError, ColumnMap, Layout, mapping_for, mapping_path, normalise, resolve
from knowledge.prices import PriceError, currency_code, format_price, parse_amount, parse_price

_PATH_SEP = re.compile(r"\s*(?:\||>)\s*")
# Metadata keys an extra column must not overwrite.
_RESERVED = set(FIELDS) | {"doc_id", "product_id", "kind", "lang", "source", "path", "file_hash", "n_records",
                           "variant", "category_path"}


@dataclass
class CatalogueOptions:
    """How catalogues of one ingestion run are read: explicit columns and the store's currency."""

    columns: ColumnMap = field(default_factory=ColumnMap)
    currency: str = "USD"

    def key(self, path: Path) -> bytes:
        """What besides the file's bytes determines its records (for the ingestion hash)."""
        if path.suffix.lower() not in (".csv", ".json"):
            return b""
        spec = {"fields": sorted(self.columns.fields.items()), "ignore": sorted(self.columns.ignore),
                "currency": self.currency.upper()}
        mapping = mapping_path(path)
        try:
            extra = mapping.read_bytes() if mapping else b""
        except OSError:
            extra = b"unreadable"  # the loader reports it
        return b"\0catalogue\0" + json.dumps(spec).encode() + b"\0" + extra


def _cell(row: dict, column: str | None) -> str:
    if column is None or row.get(column) is None:
        return ""
    value = row[column]
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value).strip()


def _rating(text: str) -> tuple[str, float | None]:
    """The rating as written and as a number, when it is one on a 0–5 scale."""
    try:
        value = float(text)
    except ValueError:
        return "", None
    return (text, value) if 0 <= value <= 5 else ("", None)


def _count(text: str) -> int | None:
    try:
        value = parse_amount(text)
    except PriceError:
        return None
    return int(value) if value >= 0 and value.is_integer() else None


def _money(row: dict, column: str | None, currency: str, what: str, pid: str) -> tuple[float | None, str]:
    try:
        amount, code = parse_price(row.get(column) if column else None, currency)
    except PriceError as exc:
        raise CatalogueError(f"product {pid}: {what} {_cell(row, column)!r} is not a number") from exc
    if amount is not None and amount < 0:
        raise CatalogueError(f"product {pid}: {what} {_cell(row, column)!r} is negative")
    return amount, code


def _product(row: dict, layout: Layout, default_currency: str, pid: str) -> dict:
    """The facts of one row, parsed (see the module doc)."""
    col = layout.fields.get
    stated = _cell(row, col("currency"))
    try:
        currency = currency_code(stated, default_currency) if stated else default_currency
    except PriceError as exc:
        raise CatalogueError(f"product {pid}: {exc}") from exc
    price, symbol_currency = _money(row, col("price"), currency, "price", pid)
    list_price, list_currency = _money(row, col("list_price"), currency, "list price", pid)
    if price is None:  # only a list price: that is what the product costs
        price, symbol_currency, list_price = list_price, list_currency, None
    currency = currency if stated else symbol_currency
    stock_text = _cell(row, col("stock"))
    try:
        stock = parse_amount(stock_text) if stock_text else None
    except PriceError as exc:
        raise CatalogueError(f"product {pid}: stock {stock_text!r} is not a number") from exc
    path = [p for p in _PATH_SEP.split(_cell(row, col("category"))) if p]
    if _cell(row, col("subcategory")):
        path.append(_cell(row, col("subcategory")))
    rating_text, rating = _rating(_cell(row, col("rating")))
    return {
        "title": _cell(row, col("title")),
        "brand": _cell(row, col("brand")),
        "category_path": path,
        "price": price,
        "list_price": list_price if list_price is not None and price is not None and list_price > price else None,
        "discount": _cell(row, col("discount")),
        "currency": currency,
        "stock": stock,
        "rating": rating,
        "rating_text": rating_text,
        "rating_count": _count(_cell(row, col("rating_count"))) if rating_text else None,
        "attributes": _cell(row, col("attributes")),
        "description": "\n".join(p.strip() for p in _cell(row, col("description")).split("|") if p.strip()),
        "extras": [(h, _cell(row, h)) for h in layout.extras if _cell(row, h)],
    }


def _price_line(p: dict) -> str:
    line = f"Price: {format_price(p['price'], p['currency'])}"
    notes = []
    if p["list_price"] is not None:
        notes.append(f"list price {format_price(p['list_price'], p['currency'])}")
    number = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%?)", p["discount"])
    if p["discount"] and not (number and float(number.group(1)) == 0):  # "0%" is no discount to state
        notes.append((f"{number.group(1)}%" if number else p["discount"]) + " off")
    return line + (f" ({', '.join(notes)})" if notes else "") + "."


def product_text(p: dict) -> str:
    """The text embedded and shown for one product; every fact the bot may quote is here."""
    lines = [p["title"] + (f" by {p['brand']}" if p.get("brand") else "")]
    if p.get("category_path"):
        lines.append(f"Category: {' > '.join(p['category_path'])}.")
    if p.get("price") is not None:
        lines.append(_price_line(p))
    if p.get("stock") is not None:
        stock = int(p["stock"])
        lines.append(f"In stock: {stock} units." if stock > 0 else "Out of stock.")
    if p.get("rating_text"):
        count = p.get("rating_count")
        ratings = f" ({count:,} rating{'s' if count != 1 else ''})" if count is not None else ""
        lines.append(f"Rating: {p['rating_text']} out of 5{ratings}.")
    if p.get("attributes"):
        lines.append(p["attributes"].rstrip(".") + ".")
    if p.get("description"):
        lines.append(p["description"])
    for header, value in p.get("extras", ()):
        label = normalise(header).replace("_", " ").capitalize() or header
        lines.append(f"{label}: {value.rstrip('.')}.")
    return "\n".join(lines)


def _metadata(p: dict, row: dict, layout: Layout, pid: str) -> dict:
    path = p["category_path"]
    meta = {
        "doc_id": pid,
        "product_id": pid,
        "title": p["title"],
        "kind": "product",
        "lang": "en",
        "category": path[0] if path else "",
        "currency": p["currency"],
    }
    optional = {
        "subcategory": path[-1] if len(path) > 1 else None,
        "category_path": " > ".join(path) if len(path) > 1 else None,
        "brand": p["brand"] or None,
        "price": p["price"],
        "list_price": p["list_price"],
        "stock": None if p["stock"] is None else int(p["stock"]),
        "rating": p["rating"],
        "rating_count": p["rating_count"],
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    for header in [h for h, _ in p["extras"]] + [h for h in layout.links if _cell(row, h)]:
        key = normalise(header)
        meta[f"extra_{key}" if key in _RESERVED else key] = _cell(row, header)
    return meta


def _products(rows: list[dict], options: CatalogueOptions, columns: ColumnMap) -> list[tuple[dict, dict]]:
    """``(facts, metadata)`` per product of ``rows``, repeats of a product skipped."""
    if not rows:
        raise CatalogueError("catalogue has no products")
    header = list(dict.fromkeys(k for r in rows for k in r if k is not None))
    layout = resolve(header, columns)
    out, first_title = [], {}
    for n, row in enumerate(rows, start=2):
        pid, title = _cell(row, layout.fields["id"]), _cell(row, layout.fields["title"])
        if not pid or not title:
            raise CatalogueError(f"row {n}: product without id or title")
        if pid in first_title:
            if first_title[pid] == title:
                continue  # the same product again (one row per review): the first row wins
            raise CatalogueError(f"row {n}: duplicate product id {pid}")
        first_title[pid] = title
        product = _product(row, layout, options.currency.upper(), pid)
        meta = _metadata(product, row, layout, pid)
        meta["updated_at"] = _cell(row, layout.fields.get("updated_at"))
        out.append((product, meta))
    return out


def product_records(rows: list[dict], source: str, updated_at: str, options: CatalogueOptions, columns: ColumnMap):
    """One ``Document`` per product of ``rows`` (header = keys of the rows)."""
    from langchain_core.documents import Document

    docs = []
    for product, meta in _products(rows, options, columns):
        meta = {**meta, "source": source, "updated_at": meta["updated_at"] or updated_at}
        docs.append(Document(page_content=product_text(product), metadata=meta))
    return docs


def read_products(path: Path, options: CatalogueOptions | None = None) -> list[dict]:
    """The products of a catalogue file as plain dicts, mapped exactly as ingestion maps them.

    For code that reads the catalogue itself (the recommender): the record metadata plus
    ``id``, ``description`` and ``attributes``. Raises :class:`CatalogueError`.
    """
    options = options or CatalogueOptions()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path.name}: unreadable ({exc})") from exc
    columns = options.columns.over(mapping_for(path))
    return [
        {**meta, "id": meta["product_id"], "description": p["description"], "attributes": p["attributes"]}
        for p, meta in _products(rows_of(text, path.suffix.lower()), options, columns)
    ]


def rows_of(text: str, suffix: str) -> list[dict]:
    """The rows of a CSV or JSON catalogue text."""
    if suffix == ".csv":
        try:
            return list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:
            raise CatalogueError(f"bad CSV: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"bad JSON: {exc.msg} at line {exc.lineno}") from exc
    rows = data.get("products") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CatalogueError('JSON catalogue must be a list of products or {"products": [...]}')
    return rows


def load_catalogue(path: Path, text: str, source: str, updated_at: str, options: CatalogueOptions | None = None):
    """Records of the catalogue at ``path`` (its text already read), mapping file included."""
    options = options or CatalogueOptions()
    columns = options.columns.over(mapping_for(path))
    return product_records(rows_of(text, path.suffix.lower()), source, updated_at, options, columns)


def columns_option(values: list[str], files: list[Path]) -> ColumnMap:
    """The ``--columns`` values, checked against every catalogue among ``files``.

    Raises :class:`CatalogueError` (one line) for a malformed value, an unknown field, or a
    column some catalogue lacks: ingestion then stops before anything is written.
    """
    from knowledge.columns import parse_columns

    cli = ColumnMap()
    for value in values:
        cli = parse_columns(value).over(cli)
    for path in files:
        problem = check_columns(path, cli) if path.suffix.lower() in (".csv", ".json") else None
        if problem:
            raise CatalogueError(problem)
    return cli


def check_columns(path: Path, cli: ColumnMap) -> str | None:
    """Why the ``--columns`` choices do not fit the catalogue at ``path``; None when they do."""
    named = [*cli.fields.items(), *(("ignore", column) for column in sorted(cli.ignore))]
    if not named:
        return None
    try:
        rows = rows_of(path.read_text(encoding="utf-8-sig"), path.suffix.lower())
    except (CatalogueError, OSError, UnicodeDecodeError):
        return None  # the loader reports an unreadable file on its own
    header = list(dict.fromkeys(k for r in rows for k in r if k is not None))
    if not header:
        return None
    by_norm = {normalise(h) for h in header}
    for name, column in named:
        if column not in header and normalise(column) not in by_norm:
            return f"--columns: {path.name} has no column {column!r} for {name} (columns: {', '.join(header)})"
    return None
