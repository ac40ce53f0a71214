"""Incremental ingestion into a real embedded Chroma (fake embedder): add, skip, update, delete, fail, rebuild."""

import subprocess
import sys
import time

import pytest

from knowledge.ingest import discover, ingest, rebuild
from knowledge.store import KnowledgeStore

from .conftest import REPO
from .fixtures.servers import free_port, wait_for_port


def all_ids(store):
    return {r.id for r in store.records()}


def all_metadata(store):
    return {r.id: r.metadata for r in store.records()}


def test_first_run_adds_every_file_and_skips_ignored(shop_dir, knowledge):
    report = ingest(knowledge, [shop_dir], progress=False)
    assert sorted(report.added) == sorted(
        ["products.csv", "faq/orders.md", "returns.md", "about.html", "care.txt", "warranty.pdf"])
    assert not report.failed and not report.updated
    assert not any("interactions" in p for p in knowledge.indexed_paths())
    assert knowledge.count() == report.records_written


def test_second_run_is_all_unchanged_and_writes_nothing(shop_dir, knowledge):
    ingest(knowledge, [shop_dir], progress=False)
    before = all_metadata(knowledge)
    report = ingest(knowledge, [shop_dir], progress=False)
    assert len(report.unchanged) == 6 and not (report.added or report.updated or report.deleted)
    assert report.records_written == 0 and report.records_deleted == 0
    assert all_metadata(knowledge) == before


def test_edited_file_updates_only_its_changed_records(shop_dir, knowledge):
    ingest(knowledge, [shop_dir], progress=False)
    other = {i for i, m in all_metadata(knowledge).items() if not m["path"].endswith("products.csv")}
    csv = shop_dir / "products.csv"
    csv.write_text(csv.read_text().replace("59.99", "49.99"))
    report = ingest(knowledge, [shop_dir], progress=False)
    assert report.updated == ["products.csv"] and len(report.unchanged) == 5
    assert report.records_written == 1 and report.records_deleted == 1  # only the Aurora record
    assert other <= all_ids(knowledge)
    hit = knowledge.search("Aurora Wireless Headphones price", k=1)[0]
    assert hit.doc.metadata["price"] == 49.99 and "49.99" in hit.doc.page_content


def test_deleted_file_records_disappear(shop_dir, knowledge):
    ingest(knowledge, [shop_dir], progress=False)
    (shop_dir / "returns.md").unlink()
    report = ingest(knowledge, [shop_dir], progress=False)
    assert [p.rsplit("/", 1)[-1] for p in report.deleted] == ["returns.md"]
    assert not any(m["source"] == "returns.md" for m in all_metadata(knowledge).values())


def test_unreadable_file_is_reported_and_others_indexed(shop_dir, knowledge):
    (shop_dir / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    report = ingest(knowledge, [shop_dir], progress=False)
    assert [p.rsplit("/", 1)[-1] for p, _ in report.failed] == ["broken.pdf"]
    assert len(report.added) == 6


def test_interrupted_file_is_completed_on_next_run(shop_dir, knowledge):
    ingest(knowledge, [shop_dir], progress=False)
    ids = sorted(knowledge.records_for(str((shop_dir / "returns.md").resolve())))
    knowledge.delete(ids[:1])  # as if killed between writing and finishing this file
    report = ingest(knowledge, [shop_dir], progress=False)
    assert report.updated == ["returns.md"]
    assert sorted(knowledge.records_for(str((shop_dir / "returns.md").resolve()))) == ids


def test_rebuild_swaps_in_a_complete_index(shop_dir, knowledge, settings):
    ingest(knowledge, [shop_dir], progress=False)
    n = knowledge.count()
    report = rebuild(settings, knowledge.embedder, [shop_dir], progress=False)
    assert len(report.added) == 6
    fresh = KnowledgeStore(settings, knowledge.embedder)
    assert fresh.count() == n


def test_rebuild_with_a_failure_keeps_the_live_index(shop_dir, knowledge, settings):
    ingest(knowledge, [shop_dir], progress=False)
    n = knowledge.count()
    (shop_dir / "broken.json").write_text("{nope")
    report = rebuild(settings, knowledge.embedder, [shop_dir], progress=False)
    assert report.failed
    assert KnowledgeStore(settings, knowledge.embedder).count() == n


def test_discover_honours_kefuignore_and_hidden(shop_dir):
    (shop_dir / ".hidden").mkdir()
    (shop_dir / ".hidden" / "x.md").write_text("# x\ny")
    files, roots = discover([shop_dir])
    names = {src for _, src in files}
    assert "interactions.csv" not in names and ".hidden/x.md" not in names and roots == [shop_dir.resolve()]


def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "knowledge.ingest", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def cli_env(settings, monkeypatch):
    import os

    env = dict(os.environ, KEFU_DATA_DIR=str(settings.data_dir), KEFU_EMBEDDER="fake", KEFU_COLLECTION="cli")
    return env


def test_cli_counts_and_exit_codes(shop_dir, cli_env):
    first = run_cli(str(shop_dir), "--quiet", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "added 6, updated 0, unchanged 0, deleted 0, failed 0" in first.stdout
    second = run_cli(str(shop_dir), "--quiet", env=cli_env)
    assert "added 0, updated 0, unchanged 6, deleted 0, failed 0" in second.stdout
    (shop_dir / "bad.csv").write_text("id,price\n1,2\n")
    third = run_cli(str(shop_dir), "--quiet", env=cli_env)
    assert third.returncode == 1 and "failed:" in third.stderr and "bad.csv" in third.stderr


def test_cli_bad_path_is_one_line_error(cli_env, tmp_path):
    res = run_cli(str(tmp_path / "nope"), env=cli_env)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "no such file" in res.stderr
    assert run_cli("--help", env=cli_env).returncode == 0


KAYAK = "# Rentals\n\n## Can I rent a kayak?\n\nYes: kayak rental costs 25 dollars per day at our Lakeside store.\n"


@pytest.fixture
def running_server(shop_dir, cli_env, tmp_path):
    """``python app.py`` on 127.0.0.1 over the tiny shop's index (fake models); yields its URL."""
    import httpx

    assert run_cli(str(shop_dir), "--quiet", env=cli_env).returncode == 0
    port = free_port()
    env = dict(cli_env, KEFU_LLM="fake", KEFU_SENTIMENT_MODEL="fake", KEFU_HOST="127.0.0.1", KEFU_PORT=str(port),
               HF_HUB_OFFLINE="1")
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, 180, proc), (tmp_path / "server.log").read_text()[-2000:]
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while httpx.get(f"{url}/healthz", timeout=10).status_code != 200:
            assert time.time() < deadline, "server never became healthy"
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


@pytest.mark.slow
def test_ingest_while_serving_answers_from_the_new_document(running_server, cli_env, tmp_path):
    import httpx

    def ask(question: str) -> dict:
        return httpx.post(f"{running_server}/api/chat", json={"message": question}, timeout=60).json()

    assert not ask("How do I cancel an order?")["abstained"]
    new = tmp_path / "new"
    new.mkdir()
    (new / "rentals.md").write_text(KAYAK)
    assert run_cli(str(new), "--quiet", env=cli_env).returncode == 0  # another process writes the index
    reply = ask("Can I rent a kayak?")
    assert not reply["abstained"] and "25 dollars" in reply["reply"]
    assert any("kayak" in s["id"] for s in reply["sources"])
    assert not ask("How do I cancel an order?")["abstained"]
    (new / "rentals.md").write_text(KAYAK.replace("25 dollars", "31 dollars"))  # same records, new text
    assert run_cli(str(new), "--quiet", env=cli_env).returncode == 0
    assert "31 dollars" in ask("Can I rent a kayak?")["reply"]
    assert httpx.get(f"{running_server}/healthz", timeout=10).status_code == 200
