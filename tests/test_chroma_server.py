"""Ingestion and retrieval against a real Chroma server (`chroma run` on 127.0.0.1)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.embedder import make_embedder
from knowledge.ingest import ingest
from knowledge.store import make_store

from .fixtures.servers import free_port, wait_for_port


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists() and not shutil.which("chroma"):
        pytest.skip("the chroma CLI is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(exe if exe.exists() else "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    if not wait_for_port(port, 60, proc):
        proc.kill()
        pytest.fail("chroma server did not start")
    yield port
    proc.terminate()
    proc.wait(10)


def test_ingest_and_search_on_a_chroma_server(chroma_server, settings, shop_dir):
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    store = make_store(remote, make_embedder("fake"))
    assert store.heartbeat()
    first = ingest(store, [shop_dir], progress=False)
    assert len(first.added) == 6 and not first.failed
    assert not (remote.data_dir / "chroma").exists()  # nothing embedded locally
    second = ingest(make_store(remote, make_embedder("fake")), [shop_dir], progress=False)
    assert len(second.unchanged) == 6 and second.records_written == 0
    hits = store.search("How do I cancel an order?", k=3)
    assert hits[0].doc.metadata["intent"] == "cancel_order"
    (shop_dir / "returns.md").unlink()
    third = ingest(store, [shop_dir], progress=False)
    assert len(third.deleted) == 1


def test_unreachable_server_reports_unhealthy(settings):
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": free_port()})
    store = make_store(remote, make_embedder("fake"))
    assert store.heartbeat() is False
    status = store.status()
    assert not status.usable and not status.ok and status.detail == "unreachable"
