"""Scale-out on existing engines: PostgreSQL (KEFU_DB_URL), a Chroma server (KEFU_CHROMA_HOST),
an OpenAI-compatible LLM server (KEFU_LLM=openai:MODEL), and two app replicas on two ports
sharing them — a conversation started on one continues on the other.

Every engine is a real process started here on 127.0.0.1: PostgreSQL from Debian's
``postgresql`` package (initdb + pg_ctl, as the ``postgres`` user when run as root; see
``tests/fixtures/postgres.py``), ``chroma run``, llama-cpp-python's server on the bundled
GGUF when installed (else ``tests/fixtures/openai_server.py``, which speaks the same
protocol), and each replica as ``uvicorn app:create_app --factory`` configured only by
KEFU_* variables. A missing engine skips the test with a message.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAQ_MD, POLICY_MD, PRODUCTS_CSV
from tests.fixtures.postgres import postgres  # noqa: F401 - a fixture
from tests.fixtures.servers import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        pytest.skip("the chroma CLI is not installed")
    port = free_port()
    proc = subprocess.Popen([str(exe), "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_for_port(port, 90, proc):
        proc.kill()
        pytest.fail("chroma server did not start")
    yield port
    proc.kill()
    proc.wait(10)


@pytest.fixture(scope="module")
def llm_server():
    """llama-cpp-python's OpenAI-compatible server on the bundled GGUF if installed, else the test server."""
    port = free_port()
    if importlib.util.find_spec("llama_cpp") and importlib.util.find_spec("sse_starlette"):
        from bot.llm.hf import bundled_gguf_path

        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf_path()), "--host", "127.0.0.1",
               "--port", str(port), "--model_alias", "local-model", "--n_ctx", "2048"]
        kind = "llama.cpp"
    else:
        cmd = [sys.executable, str(REPO / "tests" / "fixtures" / "openai_server.py"), "--port", str(port)]
        kind = "protocol stand-in"
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_for_port(port, 120, proc):
        proc.kill()
        pytest.fail(f"the {kind} LLM server did not start")
    yield f"http://127.0.0.1:{port}/v1", kind
    proc.kill()
    proc.wait(10)


def kefu_env(tmp: Path, db_url: str, chroma_port: int, llm_url: str) -> dict:
    shop = tmp / "shop"
    (shop / "faq").mkdir(parents=True, exist_ok=True)
    (shop / "faq" / "orders.md").write_text(FAQ_MD)
    (shop / "returns.md").write_text(POLICY_MD)
    (tmp / "products.csv").write_text(PRODUCTS_CSV)
    (tmp / "interactions.csv").write_text("user_id,item_id,timestamp\nu1,P-1,1\nu1,P-3,2\nu2,P-1,1\nu2,P-2,3\n")
    return dict(
        os.environ,
        PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        KEFU_DATA_DIR=str(tmp / "data"), KEFU_DB_URL=db_url, KEFU_CHROMA_HOST="127.0.0.1",
        KEFU_CHROMA_PORT=str(chroma_port), KEFU_COLLECTION="scaleout", KEFU_LLM="openai:local-model",
        KEFU_LLM_BASE_URL=llm_url, KEFU_LLM_TIMEOUT="30", KEFU_EMBEDDER="fake", KEFU_SENTIMENT_MODEL="fake",
        KEFU_RECOMMENDER_MODEL="popularity", KEFU_PRODUCTS_PATH=str(tmp / "products.csv"),
        KEFU_INTERACTIONS_PATH=str(tmp / "interactions.csv"), KEFU_STAFF_USERS="ann:pw", KEFU_FAQ_DIRECT_ABOVE="1.01",
        KEFU_ANSWER_STYLE="generate",  # every answer goes through the shared LLM server
        KEFU_ABSTAIN_BELOW="0.2",
    )


def start_replica(env: dict, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
    )


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"replica exited: {log.read_text()[-1500:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"replica {url} not healthy: {log.read_text()[-1500:]}")


def test_two_replicas_share_postgres_chroma_and_the_llm_server(postgres, chroma, llm_server, tmp_path):
    import httpx

    llm_url, kind = llm_server
    env = kefu_env(tmp_path, postgres, chroma, llm_url)
    ingest = subprocess.run([sys.executable, "-m", "knowledge.ingest", str(tmp_path / "shop"), "--quiet"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert ingest.returncode == 0, ingest.stderr
    assert "added 2" in ingest.stdout
    assert not (tmp_path / "data" / "chroma").exists()  # the index lives on the Chroma server

    ports = [free_port(), free_port()]
    procs = [start_replica(env, p, tmp_path / f"replica{i}.log") for i, p in enumerate(ports)]
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url, proc, i in zip(urls, procs, range(2)):
            wait_healthy(url, proc, tmp_path / f"replica{i}.log")
        a, b = (httpx.Client(base_url=u, timeout=60) for u in urls)
        first = a.post("/api/chat", json={"message": "Which items cannot be returned?", "user_id": "u9"}).json()
        sid = first["session_id"]
        assert first["sources"] and not first["abstained"] and "[1]" in first["reply"], first
        # The same conversation continues on the other replica: it sees the first turn.
        second = b.post("/api/chat", json={"message": "And what is the return window?", "session_id": sid}).json()
        assert second["session_id"] == sid
        stored_b = b.get(f"/api/sessions/{sid}/messages").json()["messages"]
        stored_a = a.get(f"/api/sessions/{sid}/messages").json()["messages"]
        assert stored_a == stored_b and [m["role"] for m in stored_a] == ["user", "assistant"] * 2
        assert stored_a[0]["text"] == "Which items cannot be returned?" and stored_a[1]["text"] == first["reply"]
        stats = httpx.get(llm_url.rsplit("/v1", 1)[0] + "/stats", timeout=5)
        if kind == "protocol stand-in":  # replica B gave the model the turn written by replica A
            assert "Which items cannot be returned?" in str(stats.json()["last_messages"]), (first, second, stats.json())
        # A handoff asked for on one replica is in the staff queue of the other.
        handoff = a.post("/api/chat", json={"message": "I want to talk to a human", "session_id": sid}).json()
        assert handoff["handoff"]["state"] == "waiting_for_human"
        queue = b.get("/api/handoffs", auth=("ann", "pw")).json()["handoffs"]
        assert any(c.get("session_id") == sid for c in queue)
        # Events written through one replica shape recommendations served by the other.
        assert a.post("/api/events", json={"user_id": "u9", "item_id": "P-2", "type": "purchase"}).status_code == 200
        recs = b.get("/api/recommend", params={"user_id": "u9", "k": 3}).json()["items"]
        assert recs and all(r["item_id"] != "P-2" for r in recs)
        if kind == "protocol stand-in":
            assert stats.json()["completions"] >= 2  # both replicas called the shared LLM server
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
