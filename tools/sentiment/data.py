"""The labelled sentiment files: where they live, how to read them, and which adapter
was trained without which file (cross-fitting).

Data: the UCI ``amazon_cells`` and ``imdb`` files and GLUE ``sst2_dev.tsv`` train the English
adapters; ``yelp_labelled.txt`` is held out (never trained or tuned on);
``online_shopping_10_cats.zip`` (Chinese) is split once, 80% train / 20% held-out test, with a
fixed seed.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from bot.sentiment.base import MODELS_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGLISH_FILES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "sst2": "sst2_dev.tsv",
}
HELD_OUT = "yelp_labelled.txt"
CHINESE_FILE = "online_shopping_10_cats.zip"
CROSSFIT_DIR = MODELS_DIR / "crossfit"
ADAPTER_STEMS = {"minilm": "sentiment_en", "smollm2": "sentiment_en_smollm2"}
SPLIT_SEED = 20240607
TEST_FRACTION = 0.2


def datasets_dir(override: str | Path | None = None) -> Path:
    """``override``, else ``$KEFU_DATASETS_DIR``, else ``<repo>/../shared/datasets``."""
    if override:
        return Path(override)
    env = os.environ.get("KEFU_DATASETS_DIR")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "datasets").resolve()


def crossfit_path(excluded: str, kind: str = "minilm") -> Path:
    """The ``kind`` (minilm | smollm2) adapter trained without ``excluded`` (amazon | imdb | sst2)."""
    return CROSSFIT_DIR / f"{ADAPTER_STEMS[kind]}_no-{excluded}.safetensors"


def read_labelled(path: Path, text_col: int = 0, label_col: int = 1) -> tuple[list[str], np.ndarray]:
    """``(texts, labels)`` from a tsv/csv file; header optional; labels 1 positive / 0 negative.

    The delimiter is a tab if the first line has one, else a comma. Raises ``ValueError``
    with a one-line message on anything unreadable.
    """
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text") from exc
    first = raw.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    # split on \n only: str.splitlines() would also break at U+0085 etc. inside sentences
    lines = [line.rstrip("\r") for line in raw.split("\n")]
    rows = list(csv.reader(lines, delimiter=delimiter,
                           quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL))
    texts, labels = [], []
    for n, row in enumerate(rows, 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if max(text_col, label_col) >= len(row):
            raise ValueError(f"{path}:{n}: expected at least {max(text_col, label_col) + 1} columns")
        label = row[label_col].strip()
        if label not in ("0", "1"):
            if n == 1 and not texts:  # header line
                continue
            raise ValueError(f"{path}:{n}: label {label!r} is not 0 or 1")
        texts.append(row[text_col].strip())
        labels.append(int(label))
    if not texts:
        raise ValueError(f"{path}: no labelled rows")
    return texts, np.asarray(labels, dtype=np.int64)


def load_english(root: Path, names: list[str]) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{name: (texts, labels)}`` for the named English training files."""
    folder = root / "sentiment"
    out = {}
    for name in names:
        if name not in ENGLISH_FILES:
            raise ValueError(f"unknown or held-out dataset {name!r}")
        out[name] = read_labelled(folder / ENGLISH_FILES[name])
    return out


def load_online_shopping(path: Path) -> tuple[list[str], np.ndarray]:
    """Deduplicated ``(reviews, labels)`` from ``online_shopping_10_cats.zip`` (or its csv)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".csv"))
            text = zf.read(name).decode("utf-8-sig")
    else:
        text = path.read_text(encoding="utf-8-sig")
    seen: set[str] = set()
    texts, labels = [], []
    for row in csv.DictReader(io.StringIO(text)):
        review = (row.get("review") or "").strip().lstrip("\ufeff")
        if not review or review in seen or row.get("label") not in ("0", "1"):
            continue
        seen.add(review)
        texts.append(review)
        labels.append(int(row["label"]))
    return texts, np.asarray(labels, dtype=np.int64)


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out test indices) for ``n`` deduplicated reviews; fixed seed."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    cut = n - int(round(n * TEST_FRACTION))
    return np.sort(order[:cut]), np.sort(order[cut:])
