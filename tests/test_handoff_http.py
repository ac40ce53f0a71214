"""Integration: an angry shopper is handed to a person over real HTTP, across a server restart.

A real app server (uvicorn subprocess on 127.0.0.1) with the bundled sentiment model; a
scripted conversation grows angrier until Kefu hands it off; the server is killed and
restarted; a staff client takes the case, replies and resolves it; the shopper sees the
staff reply and the bot answers their next question again.
"""

import os
import signal
import subprocess
import sys

import httpx
import pytest

from knowledge.embedder import make_embedder
from knowledge.ingest import ingest
from knowledge.store import KnowledgeStore

from .conftest import REPO
from .fixtures.servers import free_port, wait_for_port

pytestmark = pytest.mark.slow

ANGRY = [
    "Hi, my blender order from last week still hasn't arrived.",
    "This is really annoying, the tracking page hasn't changed for days.",
    "This is ridiculous. Terrible service, I am furious and want my money back now!",
    "Worst shop ever. Absolutely useless, I'm disgusted with how you treat customers.",
]
STAFF = ("ann", "s3cret")


@pytest.fixture
def server(settings, shop_dir):
    ingest(KnowledgeStore(settings, make_embedder("fake")), [shop_dir], progress=False)
    env = dict(
        os.environ,
        KEFU_DATA_DIR=str(settings.data_dir),
        KEFU_COLLECTION=settings.collection,
        KEFU_LLM="fake",
        KEFU_EMBEDDER="fake",
        KEFU_SENTIMENT_MODEL="bundled",
        KEFU_STAFF_USERS=f"{STAFF[0]}:{STAFF[1]}",
        HF_HUB_OFFLINE="1",
    )
    procs = []

    def start() -> str:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        assert wait_for_port(port, 120, proc), "server did not start"
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if httpx.get(f"{url}/healthz", timeout=10).status_code == 200:
                return url
            import time

            time.sleep(0.5)
        raise AssertionError("server never became healthy")

    def kill(proc_index: int = -1) -> None:
        proc = procs[proc_index]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    yield start, kill
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)


def test_angry_shopper_reaches_a_person_and_comes_back_to_the_bot(server):
    start, kill = server
    url = start()
    sid, states = None, []
    for message in ANGRY:
        reply = httpx.post(f"{url}/api/chat", json={"message": message, "session_id": sid, "user_id": "u-angry"}, timeout=120)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        sid = body["session_id"]
        states.append(body["handoff"]["state"])
        assert body["sentiment"]["label"] in ("negative", "neutral", "positive")
        if body["handoff"]["state"] == "waiting_for_human":
            break
    assert states[0] == "bot" and states[-1] == "waiting_for_human", states
    assert body["recommendations"] == []  # no upselling to an angry customer

    kill()  # crash the server mid-handoff; everything must be on disk
    url = start()

    waiting = httpx.post(f"{url}/api/chat", json={"message": "Hello?? Anyone there?", "session_id": sid}, timeout=60).json()
    assert waiting["handoff"]["state"] == "waiting_for_human" and "queue" in waiting["reply"]
    assert waiting["sources"] == []

    assert httpx.get(f"{url}/api/handoffs", timeout=30).status_code == 401
    staff = httpx.Client(base_url=url, auth=STAFF, timeout=60)
    (case,) = [c for c in staff.get("/api/handoffs").json()["handoffs"] if c["session_id"] == sid]
    packet = staff.get(f"/api/handoffs/{case['id']}").json()["packet"]
    assert packet["summary"] and len(packet["sentiment_timeline"]) == len(states)
    assert [t["text"] for t in packet["transcript"] if t["role"] == "user"][: len(states)] == ANGRY[: len(states)]
    assert packet["customer"]["user_id"] == "u-angry"

    assert staff.post(f"/api/handoffs/{case['id']}/reply", json={"text": "Too early"}).status_code == 409
    assert staff.post(f"/api/handoffs/{case['id']}/take").json()["state"] == "human"
    assert staff.post(f"/api/handoffs/{case['id']}/reply", json={"text": "Hi, I'm Ann. I've refunded your blender."}).status_code == 200
    messages = httpx.get(f"{url}/api/sessions/{sid}/messages", timeout=30).json()
    assert any(m["role"] == "staff" and "refunded your blender" in m["text"] for m in messages["messages"])
    quiet = httpx.post(f"{url}/api/chat", json={"message": "Thank you Ann!", "session_id": sid}, timeout=60).json()
    assert quiet["handoff"]["state"] == "human" and quiet["reply"] == ""
    assert staff.post(f"/api/handoffs/{case['id']}/resolve").json()["state"] == "resolved"

    back = httpx.post(f"{url}/api/chat", json={"message": "How do I cancel an order?", "session_id": sid}, timeout=60).json()
    assert back["handoff"]["state"] == "bot" and not back["abstained"]
    assert back["sources"][0]["id"] == "faq/orders.md#how-do-i-cancel-an-order"
    again = httpx.post(f"{url}/api/chat", json={"message": "And can I change the address?", "session_id": sid}, timeout=60).json()
    assert again["handoff"]["state"] == "bot"  # no relapse into handoff from the old anger
