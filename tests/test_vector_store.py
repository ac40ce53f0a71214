"""The VectorStore contract, run against embedded Chroma and a real Chroma server (``chroma run`` on 127.0.0.1).

Plus what only the embedded store has to survive: another process writing the same
folder while this one reads (``python -m knowledge.ingest`` while the server runs).
"""

import subprocess
import sys
import textwrap
import uuid

import pytest
from langchain_core.documents import Document

import knowledge.store as store_module
from knowledge.embedder import make_embedder
from knowledge.ingest import ingest
from knowledge.store import Record, StoreStatus, VectorStore, make_store

from .conftest import REPO
from .test_chroma_server import chroma_server  # noqa: F401 - the module-scoped `chroma run` fixture

TEXTS = {
    "a": ("How do I cancel an order?", {"doc_id": "faq#cancel", "kind": "faq", "variant": "question", "lang": "en", "path": "/s/faq.md"}),
    "b": ("Cancel within 60 minutes from Account > Orders.", {"doc_id": "faq#cancel", "kind": "faq", "variant": "entry", "lang": "en", "path": "/s/faq.md"}),
    "c": ("Aurora Wireless Headphones. Price: 59.99", {"doc_id": "P-1", "kind": "product", "lang": "en", "path": "/s/products.csv", "title": "Aurora"}),
    "d": ("怎样申请退款", {"doc_id": "faq#refund-zh", "kind": "faq", "variant": "question", "lang": "zh", "path": "/s/faq-zh.md"}),
}


@pytest.fixture(params=["embedded", "server"])
def store(request, settings) -> VectorStore:
    if request.param == "server":
        port = request.getfixturevalue("chroma_server")
        settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port,
                                               "collection": f"contract-{uuid.uuid4().hex[:8]}"})
    return make_store(settings, make_embedder("fake"))


def fill(store) -> None:
    ids = list(TEXTS)
    docs = [Document(page_content=t, metadata=dict(m)) for t, m in TEXTS.values()]
    store.add(ids, docs, store.embedder.embed_documents([d.page_content for d in docs]))


def test_an_empty_store_answers_empty_and_reports_it(store):
    assert store.count() == 0
    assert store.search("anything", k=3) == [] and store.records() == [] and store.records(ids=["x"]) == []
    assert store.status() == StoreStatus(True, 0, "empty") and not store.status().ok
    assert store.heartbeat()


def test_search_scores_are_cosine_in_0_1_best_first(store):
    fill(store)
    hits = store.search("How do I cancel an order?", k=10)
    assert len(hits) == 4  # k larger than the index: everything, no error
    assert hits[0].doc.page_content == "How do I cancel an order?" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert all(-1e-6 <= h.score <= 1 + 1e-6 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    by_vector = store.search(store.embedder.embed_query("How do I cancel an order?"), k=10)
    assert [(h.doc_id, round(h.score, 6)) for h in by_vector] == [(h.doc_id, round(h.score, 6)) for h in hits]


def test_search_honours_a_metadata_filter(store):
    fill(store)
    hits = store.search("怎样申请退款", k=10, where={"lang": {"$ne": "zh"}})
    assert {h.doc.metadata["lang"] for h in hits} == {"en"} and len(hits) == 3


def test_records_by_id_by_filter_and_with_vectors(store):
    fill(store)
    assert [r.id for r in store.records(ids=["c"])] == ["c"]
    got = store.records(where={"$and": [{"kind": "faq"}, {"variant": "question"}]})
    assert sorted(r.id for r in got) == ["a", "d"] and all(isinstance(r, Record) for r in got)
    (vec,) = store.records(ids=["a"], embeddings=True)
    assert len(vec.embedding) == store.embedder.dimension
    assert sorted(r.id for r in store.records()) == ["a", "b", "c", "d"] and store.records()[0].embedding is None


def test_walking_the_whole_index_pages_through_it(store, monkeypatch):
    monkeypatch.setattr(store_module, "PAGE", 3)
    fill(store)
    assert sorted(r.id for r in store.records()) == ["a", "b", "c", "d"]
    assert store.indexed_paths() == {"/s/faq.md", "/s/products.csv", "/s/faq-zh.md"}


def test_bookkeeping_reads(store):
    fill(store)
    assert sorted(store.records_for("/s/faq.md")) == ["a", "b"]
    sources = store.by_doc_ids(["P-1", "missing", "faq#cancel"])
    assert [s.id for s in sources] == ["P-1", "faq#cancel"] and sources[1].text.startswith("Cancel within")
    assert {"aurora", "cancel", "怎样申请退款"} <= store.vocabulary()


def test_writes_update_delete_and_change_the_revision(store):
    fill(store)
    before = store.revision()
    store.update_metadata(["c"], [dict(TEXTS["c"][1], price=49.99)])
    assert store.records(ids=["c"])[0].metadata["price"] == 49.99
    store.delete(["a", "b"])
    assert store.count() == 2 and store.records_for("/s/faq.md") == {}
    assert store.revision() != before
    assert store.status() == StoreStatus(True, 2, "ok") and store.status().ok


def test_sibling_drop_and_rename_swap_collections(store):
    fill(store)
    staging = store.sibling(f"{store.collection_name}-staging")
    staging.drop()
    assert staging.count() == 0
    fill(staging)
    staging.delete(["d"])
    live_name = store.collection_name
    store.drop()
    assert store.count() == 0
    staging.rename_to(live_name)
    assert make_store(store.settings, store.embedder).count() == 3
    assert store.count() == 3  # the old handle finds the swapped-in collection by name


def test_incremental_ingest_on_either_backend(store, shop_dir):
    first = ingest(store, [shop_dir], progress=False)
    assert len(first.added) == 6 and not first.failed
    assert len(ingest(store, [shop_dir], progress=False).unchanged) == 6
    assert store.search("How do I cancel an order?", k=3)[0].doc.metadata["intent"] == "cancel_order"


# -- embedded only: another process writes the same folder ------------------------------------
WRITER = textwrap.dedent("""
    import sys
    from langchain_core.documents import Document
    from settings import Settings
    from knowledge.embedder import make_embedder
    from knowledge.store import make_store

    settings = Settings(_env_file=None, data_dir=sys.argv[1], embedder="fake", collection="test")
    store = make_store(settings, make_embedder("fake"))
    text = "Kayak rental costs 25 dollars per day."
    store.add(["kayak"], [Document(page_content=text, metadata={"doc_id": "kayak", "lang": "en"})],
              store.embedder.embed_documents([text]))
""")

RAW_WRITER = textwrap.dedent("""
    import sys
    import chromadb
    from knowledge.embedder import make_embedder

    client = chromadb.PersistentClient(path=sys.argv[1] + "/chroma")
    col = client.get_collection("test")
    text = "Canoe rental costs 30 dollars per day."
    col.upsert(ids=["canoe"], documents=[text], metadatas=[{"doc_id": "canoe", "lang": "en"}],
               embeddings=make_embedder("fake").embed_documents([text]))
""")


def write_from_another_process(script: str, settings) -> None:
    res = subprocess.run([sys.executable, "-c", script, str(settings.data_dir)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]


def test_a_write_by_another_process_is_seen_by_a_running_reader(settings):
    reader = make_store(settings, make_embedder("fake"))
    fill(reader)
    assert reader.search("kayak rental", k=1, where={"lang": {"$ne": "zh"}})[0].doc_id != "kayak"
    revision = reader.revision()
    write_from_another_process(WRITER, settings)
    hit = reader.search("kayak rental per day", k=1, where={"lang": {"$ne": "zh"}})[0]
    assert hit.doc_id == "kayak" and reader.count() == 5 and reader.revision() != revision
    assert reader.status().ok


def test_a_write_that_skips_the_marker_is_recovered_by_one_retry(settings, caplog):
    reader = make_store(settings, make_embedder("fake"))
    fill(reader)
    reader.search("warm the in-memory index", k=1, where={"lang": {"$ne": "zh"}})
    write_from_another_process(RAW_WRITER, settings)
    with caplog.at_level("WARNING", logger="kefu.store"):
        hit = reader.search("canoe rental per day", k=1, where={"lang": {"$ne": "zh"}})[0]
    assert hit.doc_id == "canoe"
    assert "retrying once" in caplog.text  # the stale in-memory index failed, the reopened one answered
