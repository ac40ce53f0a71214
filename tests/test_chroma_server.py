"""Ingestion and retrieval against a real Chroma server (`chroma run` on 127.0.0.1)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from knowledge.embedder import make_embedder
from knowledge.ingest import ingest
from knowledge.store import KnowledgeStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield port
    proc.terminate()
    proc.wait(10)


def test_ingest_and_search_on_a_chroma_server(chroma_server, settings, shop_dir):
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    store = KnowledgeStore(remote, make_embedder("fake"))
    assert store.heartbeat()
    first = ingest(store, [shop_dir], progress=False)
    assert len(first.added) == 6 and not first.failed
    assert not (remote.data_dir / "chroma").exists()  # nothing embedded locally
    second = ingest(KnowledgeStore(remote, make_embedder("fake")), [shop_dir], progress=False)
    assert len(second.unchanged) == 6 and second.records_written == 0
    hits = store.search("How do I cancel an order?", k=3)
    assert hits[0].doc.metadata["intent"] == "cancel_order"
    (shop_dir / "returns.md").unlink()
    third = ingest(store, [shop_dir], progress=False)
    assert len(third.deleted) == 1


def test_unreachable_server_reports_unhealthy(settings):
    remote = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": free_port()})
    store = KnowledgeStore(remote, make_embedder("fake"))
    assert store.heartbeat() is False
