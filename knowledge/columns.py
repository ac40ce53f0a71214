"""Which column of a catalogue export holds which product field.

Three sources, strongest first: the ``--columns FIELD=COLUMN,…`` option of
``python -m knowledge.ingest`` (:func:`parse_columns`); a mapping file beside the
catalogue (:func:`mapping_for`: ``<name>.columns.yaml``, else ``catalogue.columns.yaml``,
holding ``field: column`` lines and ``ignore: [column, …]``); and the common export
headers in :data:`FIELDS`, matched case- and punctuation-blind (:func:`normalise`).
:func:`resolve` combines them for one header.

    >>> resolve(["product_id", "Product Name", "discounted_price", "actual_price"], ColumnMap()).fields
    {'id': 'product_id', 'title': 'Product Name', 'price': 'discounted_price', 'list_price': 'actual_price'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Canonical field -> headers recognised for it (normalised: lower case, "_" between words),
# in order of preference when an export has several.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "product_id", "item_id", "sku", "asin", "product_code"),
    "title": ("title", "name", "product_name", "product_title", "item_name"),
    "brand": ("brand", "brand_name", "manufacturer", "vendor"),
    "category": ("category", "categories", "product_category", "category_path", "product_type"),
    "subcategory": ("subcategory", "sub_category"),
    "price": ("price", "sale_price", "discounted_price", "selling_price", "current_price", "final_price",
              "offer_price"),
    "list_price": ("list_price", "actual_price", "original_price", "regular_price", "mrp", "msrp", "rrp",
                   "compare_at_price"),
    "discount": ("discount", "discount_percentage", "discount_percent"),
    "currency": ("currency", "currency_code", "price_currency"),
    "stock": ("stock", "inventory", "quantity", "qty", "stock_quantity", "inventory_quantity"),
    "rating": ("rating", "average_rating", "avg_rating", "stars"),
    "rating_count": ("rating_count", "ratings_count", "num_ratings", "number_of_ratings", "review_count",
                     "reviews_count", "num_reviews"),
    "description": ("description", "about_product", "about", "product_description", "summary"),
    "attributes": ("attributes", "specs", "specifications"),
    "updated_at": ("updated_at", "last_modified"),
}
_UNSTATED = re.compile(r"^(user|review|reviewer)(_|$)")
_LINK = re.compile(r"(^|_)(link|url|image|img|thumbnail)(s?)(_|$)")


class CatalogueError(Exception):
    """The catalogue or its column mapping is unusable; the message is one line."""


def normalise(header: str) -> str:
    """``"Product Name"`` → ``"product_name"``: the form aliases and mappings are matched in."""
    return re.sub(r"[^0-9a-z]+", "_", str(header).strip().lower()).strip("_")


@dataclass
class ColumnMap:
    """Explicit column choices: canonical field → column, and columns never to state."""

    fields: dict[str, str] = field(default_factory=dict)
    ignore: set[str] = field(default_factory=set)

    def over(self, base: ColumnMap) -> ColumnMap:
        """This mapping on top of ``base``: its fields win, ignore lists add up."""
        return ColumnMap({**base.fields, **self.fields}, base.ignore | self.ignore)

    def add(self, name: str, column: str, where: str) -> None:
        name, column = name.strip().lower(), str(column).strip()
        if not column:
            raise CatalogueError(f"{where}: no column given for {name!r}")
        if name == "ignore":
            self.ignore.add(column)
        elif name in FIELDS:
            self.fields[name] = column
        else:
            raise CatalogueError(f"{where}: unknown field {name!r} (fields: {', '.join([*FIELDS, 'ignore'])})")


def parse_columns(text: str) -> ColumnMap:
    """``"price=discounted_price,title=product_name,ignore=user_name"`` → :class:`ColumnMap`."""
    cmap = ColumnMap()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, eq, column = item.partition("=")
        if not eq:
            raise CatalogueError(f"--columns: {item!r} is not FIELD=COLUMN")
        cmap.add(name, column, "--columns")
    return cmap


def mapping_path(path: Path) -> Path | None:
    """The mapping file that applies to the catalogue at ``path``, if any."""
    for name in (f"{path.stem}.columns.yaml", f"{path.stem}.columns.yml", "catalogue.columns.yaml",
                 "catalogue.columns.yml"):
        candidate = path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def mapping_for(path: Path) -> ColumnMap:
    """The column choices of the mapping file beside ``path`` (empty when there is none)."""
    import yaml

    mapping = mapping_path(path)
    if mapping is None:
        return ColumnMap()
    try:
        data = yaml.safe_load(mapping.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{mapping.name}: unreadable ({str(exc).splitlines()[0]})") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{mapping.name}: expected 'field: column' lines")
    cmap = ColumnMap()
    for name, value in data.items():
        for column in value if isinstance(value, list) and str(name).lower() == "ignore" else [value]:
            cmap.add(str(name), "" if column is None else str(column), mapping.name)
    return cmap


@dataclass
class Layout:
    """Which header holds each field, which headers are extra facts, which are links."""

    fields: dict[str, str]
    extras: list[str]
    links: list[str]


def resolve(header: list[str], cmap: ColumnMap) -> Layout:
    """Assign the catalogue's headers to fields; raises :class:`CatalogueError` for a bad mapping."""
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(normalise(h), h)
    fields: dict[str, str] = {}
    for name, column in cmap.fields.items():
        actual = column if column in header else by_norm.get(normalise(column))
        if actual is None:
            raise CatalogueError(f"no column {column!r} for {name} (columns: {', '.join(header)})")
        fields[name] = actual
    ignored = {normalise(c) for c in cmap.ignore}
    taken = set(fields.values())
    for name, aliases in FIELDS.items():
        if name in fields:
            continue
        for alias in aliases:
            if alias in by_norm and alias not in ignored and by_norm[alias] not in taken:
                fields[name] = by_norm[alias]
                taken.add(by_norm[alias])
                break
    for need in ("id", "title"):
        if need not in fields:
            raise CatalogueError(f"catalogue lacks a {need!r} column (found: {', '.join(sorted(header))})")
    rest = [h for h in header if h not in taken and normalise(h) not in ignored and normalise(h)]
    links = [h for h in rest if _LINK.search(normalise(h))]
    extras = [h for h in rest if h not in links and not _UNSTATED.match(normalise(h))]
    return Layout(fields, extras, links)
