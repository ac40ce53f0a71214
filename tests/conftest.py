"""Shared fixtures: settings in a temporary data dir, fakes that subclass the real seams."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("KEFU_DATASETS_DIR", REPO.parent / "shared" / "datasets"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def datasets_dir() -> Path:
    """../shared/datasets, or skip the test with a clear message when it is absent."""
    if not DATASETS.is_dir():
        pytest.skip(f"public datasets not found at {DATASETS} (set KEFU_DATASETS_DIR)")
    return DATASETS


@pytest.fixture
def settings(tmp_path):
    from settings import Settings

    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        llm="fake",
        embedder="fake",
        sentiment_model="fake",
        collection="test",
    )


PRODUCTS_CSV = """id,title,brand,category,subcategory,price,stock,rating,description,attributes
P-1,Aurora Wireless Headphones,Lumo,Electronics,Headphones,59.99,12,4.5,Over-ear headphones with 30 hour battery.,color: black; battery: 30 h
P-2,Turbo Kart Racer,Zoom Games,Video Games,Racing,29.99,0,4.1,Arcade kart racing for the whole family.,platform: PS4; genre: racing
P-3,Trail Dome Tent,Peakline,Outdoor & Sports,Camping,149.00,4,4.7,A two-person tent that pitches in five minutes.,capacity: 2 people; weight: 2.1 kg
"""

FAQ_MD = """---
title: Orders FAQ
kind: faq
lang: en
---

## How do I cancel an order?
<!-- intent: cancel_order -->
<!-- also: cancel my purchase | stop my order before it ships -->

You can cancel an order for free within 60 minutes of placing it from Account > Orders.

## How long does standard delivery take?
<!-- intent: delivery_period -->
<!-- also: when will my package arrive | delivery time -->

Standard delivery takes 3 to 5 business days within the contiguous US.
"""

POLICY_MD = """---
title: Returns policy
kind: policy
---

# Returns

## Return window
Most items can be returned within 30 days of delivery for a full refund.

## Non-returnable items
Opened software and gift cards cannot be returned.
"""

ABOUT_HTML = """<html><head><title>About Harbor Lane</title><script>var x = 1;</script></head>
<body><h1>About us</h1><p>Harbor Lane is an online shop founded in 2015.</p>
<h2>Contact</h2><p>Call us at 1-800-555-0199 from 8am to 8pm.</p></body></html>"""


def minimal_pdf(text: str) -> bytes:
    """A valid one-page PDF whose text layer is ``text`` (for loader tests, no PDF library)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_shop(root: Path) -> Path:
    """Write a tiny store into ``root``: catalogue, FAQ, policy, HTML page, text file and PDF."""
    (root / "faq").mkdir(parents=True)
    (root / "products.csv").write_text(PRODUCTS_CSV)
    (root / "faq" / "orders.md").write_text(FAQ_MD)
    (root / "returns.md").write_text(POLICY_MD)
    (root / "about.html").write_text(ABOUT_HTML)
    (root / "care.txt").write_text("CLEANING\nWipe the headphones with a dry cloth.\n\nSTORAGE\nKeep tents dry before storing them.\n")
    (root / "warranty.pdf").write_bytes(minimal_pdf("All electronics carry a two year warranty."))
    (root / "interactions.csv").write_text("user_id,item_id,timestamp\nu1,P-1,1\n")
    (root / ".kefuignore").write_text("interactions.csv\n")
    return root


@pytest.fixture
def shop_dir(tmp_path) -> Path:
    """A tiny store (see :func:`write_shop`) in a fresh temporary folder."""
    return write_shop(tmp_path / "shop")


@pytest.fixture
def knowledge(settings):
    """An empty embedded Chroma collection with the fake embedder."""
    from knowledge.embedder import make_embedder
    from knowledge.store import KnowledgeStore

    return KnowledgeStore(settings, make_embedder("fake"))
