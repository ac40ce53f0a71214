"""Answer regression checks: case storage, the pass/fail rule, diffs, a full run, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot import regression as evaluate
from bot.regression import Expectation, Result, check, diff

from .test_web import REPO_ROOT, make_service, write_shop


@pytest.fixture
def service(settings, tmp_path):
    return make_service(settings, write_shop(tmp_path / "shop"))


def result(key, passed):
    return Result(key=key, question="q", passed=passed, reasons=[], reply="", cited=[], mode="", seconds=0.0)


@pytest.mark.parametrize(
    "exp, reply, passed",
    [
        (Expectation("k", "q", expected_source="a#b"), {"reply": "x", "abstained": False, "sources": [{"id": "a#b"}]}, True),
        (Expectation("k", "q", expected_source="a#b"), {"reply": "x", "abstained": False, "sources": [{"id": "a#c"}]}, False),
        (Expectation("k", "q", key_facts=["60 Minutes", "free"]), {"reply": "Free within 60\nminutes.", "abstained": False, "sources": []}, True),
        (Expectation("k", "q", key_facts=["30 days"]), {"reply": "Within 14 days.", "abstained": False, "sources": []}, False),
        (Expectation("k", "q", expect_abstain=True), {"reply": "I don't know", "abstained": True, "sources": []}, True),
        (Expectation("k", "q", expect_abstain=True), {"reply": "Sure!", "abstained": False, "sources": []}, False),
        (Expectation("k", "q", key_facts=["退货"]), {"reply": "30天内可以退货。", "abstained": False, "sources": []}, True),
    ],
)
def test_check(exp, reply, passed):
    assert check(exp, reply)[0] is passed


def test_diff_marks_regressions_fixes_new_and_removed():
    previous = [{"key": "a", "passed": True}, {"key": "b", "passed": False}, {"key": "c", "passed": True}, {"key": "gone", "passed": True}]
    now = [result("a", False), result("b", True), result("c", True), result("fresh", True)]
    changes = diff(now, previous)
    assert changes == {"regressed": ["a"], "fixed": ["b"], "new": ["fresh"], "removed": ["gone"]}
    assert [r.change for r in now] == ["regressed", "fixed", "", "new"]
    assert diff([result("a", False)], None)["regressed"] == []  # no earlier run: nothing can regress


def test_cases_need_a_question_and_an_expectation(service):
    store = service.sessions
    with pytest.raises(ValueError):
        evaluate.save_case(store, "  ", "a#b")
    with pytest.raises(ValueError):
        evaluate.save_case(store, "How?", "", ["  "])
    case_id = evaluate.save_case(store, "How?", "", ["60 minutes", ""], by="ann")
    assert evaluate.list_cases(store)[0] | {"created_at": None} == {
        "id": case_id, "question": "How?", "expected_source": "", "key_facts": ["60 minutes"], "expect_abstain": False,
        "user_id": None, "session_id": None, "turn_id": None, "created_by": "ann", "created_at": None,
    }
    evaluate.delete_case(store, case_id)
    assert evaluate.list_cases(store) == []
    with pytest.raises(KeyError):
        evaluate.delete_case(store, case_id)


def test_question_for_turn_is_the_message_the_turn_answered(service):
    reply = service.turn("How do I cancel an order?")
    assert evaluate.question_for_turn(service.sessions, reply.session_id, reply.turn_id) == "How do I cancel an order?"
    with pytest.raises(KeyError):
        evaluate.question_for_turn(service.sessions, reply.session_id, 10_000)


def test_builtin_set_asks_an_alternative_phrasing_of_every_faq_entry(service):
    exps = evaluate.builtin_expectations(service.knowledge)
    faq = [e for e in exps if not e.expect_abstain]
    assert {e.expected_source for e in faq} == {"faq/orders.md#how-do-i-cancel-an-order", "faq/orders.md#how-long-does-standard-delivery-take"}
    # an alternative phrasing, never the entry's own heading (which would trivially match itself)
    assert not {e.question for e in faq} & {"How do I cancel an order?", "How long does standard delivery take?"}
    assert sum(e.expect_abstain for e in exps) == len(evaluate.OUT_OF_SCOPE)


def test_run_detects_a_regression_and_never_touches_the_live_conversations(service, monkeypatch):
    store = service.sessions
    evaluate.save_case(store, "How do I cancel an order?", "faq/orders.md#how-do-i-cancel-an-order", ["60 minutes"])
    evaluate.save_case(store, "What is the return window?", "", ["30 days"])
    first = evaluate.evaluate(service)
    by_key = {r["key"]: r for r in first["results"]}
    assert by_key["case:1"]["passed"], by_key["case:1"]
    assert first["summary"]["regressed"] == 0 and first["summary"]["run_id"] == 1
    assert store.list_sessions() == []  # evaluation sessions live in a throwaway store

    # A "model change" that breaks the cancellation answer: the next run flags exactly that case.
    monkeypatch.setattr(evaluate, "check", lambda exp, reply: (False, ["broken"]) if exp.key == "case:1" else check(exp, reply))
    second = evaluate.evaluate(service)
    assert second["changes"]["regressed"] == ["case:1"] and second["summary"]["regressed"] == 1
    assert evaluate.last_run(store)["id"] == 2


def test_nothing_to_evaluate_is_an_error(settings):
    with pytest.raises(LookupError):
        evaluate.evaluate(make_service(settings))


def run_cli(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "bot.regression", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.mark.slow
def test_cli(tmp_path):
    from settings import Settings
    from knowledge.embedder import make_embedder
    from knowledge.ingest import ingest
    from knowledge.store import KnowledgeStore

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", embedder="fake", collection="test")
    ingest(KnowledgeStore(settings, make_embedder("fake")), [write_shop(tmp_path / "shop")], progress=False)
    env = os.environ | {"KEFU_DATA_DIR": str(tmp_path / "data"), "KEFU_LLM": "fake", "KEFU_EMBEDDER": "fake",
                        "KEFU_SENTIMENT_MODEL": "fake", "KEFU_COLLECTION": "test", "PYTHONPATH": str(REPO_ROOT)}
    assert run_cli(["--help"], env, tmp_path).returncode == 0
    bad = run_cli(["--limit", "0"], env, tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
    assert run_cli(["--baseline", str(tmp_path / "missing.json")], env, tmp_path).returncode == 2

    out = tmp_path / "report.json"
    ok = run_cli(["--json", str(out)], env, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(out.read_text())
    assert report["summary"]["cases"] == len(report["results"]) >= 3
    # A baseline in which every case passed: whatever fails now is a regression → exit 1.
    failing = [r for r in report["results"] if not r["passed"]]
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"results": [r | {"passed": True} for r in report["results"]]}))
    again = run_cli(["--baseline", str(baseline), "--no-save"], env, tmp_path)
    assert again.returncode == (1 if failing else 0), again.stdout
    # --strict fails on any failing case
    assert run_cli(["--strict", "--no-save"], env, tmp_path).returncode == (1 if failing else 0)
