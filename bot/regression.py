"""Answer regression checks: saved cases + a built-in question set, run against the live index.

A **regression case** is a question with what a good answer must show: the id of the
source it must cite (``expected_source``) and key facts it must contain (``key_facts``,
matched case-insensitively, whitespace-normalised), or ``expect_abstain`` for questions
Kefu must decline. Staff save them from any turn in the console (typically after a 👎);
they live in the ``regression_cases`` table.

The **built-in set** (:mod:`bot.regression_set`) is derived from the index itself: one
alternative phrasing per FAQ entry must cite it, and out-of-scope questions must be declined.

Each run goes through a private :class:`bot.service.ChatService` that shares the live
models and index but writes to an in-memory session store, so evaluation never shows up
in conversations or analytics. Runs are stored (``evaluation_runs``) and each is diffed
against the previous one: a case that passed before and fails now is a **regression**.

CLI (non-zero exit on a regression, so CI can gate a re-index or model change)::

    python -m bot.regression [--json OUT] [--baseline OLD.json] [--no-builtin] [--limit N] [--strict]

Example::

    >>> check(Expectation("How long is delivery?", expected_source="faq/shipping.md#how-long"), reply)  # doctest: +SKIP
    (True, [])
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from desk.schema import upgrade as create_tables
from desk.tables import EvaluationRun, RegressionCase
from bot.regression_set import OUT_OF_SCOPE, Expectation, builtin_expectations, check  # noqa: F401 - public here too


@dataclass
class Result:
    key: str
    question: str
    passed: bool
    reasons: list[str]
    reply: str
    cited: list[str]
    mode: str
    seconds: float
    change: str = ""  # "" | "new" | "regressed" | "fixed"


def ensure_tables(store) -> None:
    create_tables(store.engine)


# -- cases ------------------------------------------------------------------------------------
def save_case(
    store,
    question: str,
    expected_source: str = "",
    key_facts: list[str] | None = None,
    expect_abstain: bool = False,
    *,
    user_id: str | None = None,
    session_id: str | None = None,
    turn_id: int | None = None,
    note: str = "",
    by: str = "",
) -> int:
    """Store a regression case; returns its id. A case must expect something."""
    question = (question or "").strip()
    facts = [f.strip() for f in (key_facts or []) if f and f.strip()]
    if not question:
        raise ValueError("a regression case needs a question")
    if not (expected_source.strip() or facts or expect_abstain):
        raise ValueError("a regression case needs an expected source, key facts, or expect_abstain")
    ensure_tables(store)

    def op(db) -> int:
        case = RegressionCase(
            question=question, expected_source=expected_source.strip(), key_facts=facts, expect_abstain=expect_abstain,
            user_id=user_id, session_id=session_id, turn_id=turn_id, note=note, created_by=by,
        )
        db.add(case)
        db.flush()
        return case.id

    return store.run(op)


def question_for_turn(store, session_id: str, turn_id: int) -> str:
    """The shopper message an assistant turn answered (the user turn just before it)."""
    turns = store.turns(session_id)
    for i, turn in enumerate(turns):
        if turn.id == turn_id:
            if turn.role == "user":
                return turn.text
            for prev in reversed(turns[:i]):
                if prev.role == "user":
                    return prev.text
    raise KeyError(turn_id)


def list_cases(store) -> list[dict]:
    ensure_tables(store)

    def op(db) -> list[dict]:
        rows = db.scalars(select(RegressionCase).order_by(RegressionCase.id)).all()
        return [
            {
                "id": c.id, "question": c.question, "expected_source": c.expected_source, "key_facts": list(c.key_facts or []),
                "expect_abstain": c.expect_abstain, "user_id": c.user_id, "session_id": c.session_id, "turn_id": c.turn_id,
                "created_by": c.created_by, "created_at": c.created_at.isoformat(timespec="seconds"),
            }
            for c in rows
        ]

    return store.run(op)


def delete_case(store, case_id: int) -> None:
    ensure_tables(store)

    def op(db) -> None:
        case = db.get(RegressionCase, case_id)
        if case is None:
            raise KeyError(case_id)
        db.delete(case)

    store.run(op)


def saved_expectations(store) -> list[Expectation]:
    return [
        Expectation(
            key=f"case:{c['id']}", question=c["question"], expected_source=c["expected_source"],
            key_facts=c["key_facts"], expect_abstain=c["expect_abstain"], user_id=c["user_id"],
        )
        for c in list_cases(store)
    ]


def isolated_service(service):
    """A ChatService sharing ``service``'s models and index, with a throwaway session store."""
    from bot.service import ChatService
    from desk.sessions import SessionStore

    return ChatService(
        service.settings, llm=service.llm, embedder=service.embedder, knowledge=service.knowledge,
        sentiment=service.sentiment, recommender=service.recommender, sessions=SessionStore("sqlite://"),
    )


def run_expectations(service, expectations: list[Expectation], progress=None) -> list[Result]:
    """Ask every question in a fresh session of an isolated service; check each reply."""
    private = isolated_service(service)
    results = []
    for n, exp in enumerate(expectations):
        t0 = time.perf_counter()
        try:
            answer = private.turn(exp.question, user_id=exp.user_id)
            reply = answer.to_api() | {"mode": answer.mode}
            passed, reasons = check(exp, reply)
        except Exception as exc:  # noqa: BLE001 - a crash is a failed case, not a failed run
            reply, passed, reasons = {"reply": "", "sources": [], "abstained": False}, False, [f"error: {exc}"]
        results.append(
            Result(
                key=exp.key, question=exp.question, passed=passed, reasons=reasons, reply=reply.get("reply", ""),
                cited=[s["id"] for s in reply.get("sources", [])], mode=str(reply.get("mode", "")),
                seconds=round(time.perf_counter() - t0, 3),
            )
        )
        if progress:
            progress(n + 1, len(expectations))
    return results


def diff(results: list[Result], previous: list[dict] | None) -> dict:
    """Mark each result new / regressed / fixed against ``previous`` results; list removed keys."""
    before = {r["key"]: bool(r["passed"]) for r in (previous or [])}
    for r in results:
        if r.key not in before:
            r.change = "new" if previous is not None else ""
        elif before[r.key] and not r.passed:
            r.change = "regressed"
        elif not before[r.key] and r.passed:
            r.change = "fixed"
    keys = {r.key for r in results}
    return {
        "regressed": [r.key for r in results if r.change == "regressed"],
        "fixed": [r.key for r in results if r.change == "fixed"],
        "new": [r.key for r in results if r.change == "new"],
        "removed": sorted(k for k in before if k not in keys),
    }


def last_run(store) -> dict | None:
    ensure_tables(store)

    def op(db) -> dict | None:
        run = db.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(1)).first()
        if run is None:
            return None
        return {"id": run.id, "at": run.created_at.isoformat(timespec="seconds"), "results": list(run.results or [])}

    return store.run(op)


def save_run(store, results: list[Result]) -> int:
    ensure_tables(store)

    def op(db) -> int:
        run = EvaluationRun(
            passed=sum(r.passed for r in results), failed=sum(not r.passed for r in results),
            results=[asdict(r) for r in results],
        )
        db.add(run)
        db.flush()
        return run.id

    return store.run(op)


def evaluate(service, builtin: bool = True, limit: int | None = None, previous: list[dict] | None = None,
             save: bool = True, progress=None) -> dict:
    """Run saved cases (+ the built-in set); diff against ``previous`` (default: the last stored run).

    Returns ``{"summary": {...}, "results": [Result as dict], "changes": {...}}``.
    """
    store = service.sessions
    expectations = saved_expectations(store)
    if builtin:
        expectations += builtin_expectations(service.knowledge, limit)
    if not expectations:
        raise LookupError("nothing to evaluate: no regression cases saved and no FAQ entries in the index")
    if previous is None:
        run = last_run(store)
        previous = run["results"] if run else None
    t0 = time.perf_counter()
    results = run_expectations(service, expectations, progress)
    changes = diff(results, previous)
    run_id = save_run(store, results) if save else None
    passed = sum(r.passed for r in results)
    summary = {
        "run_id": run_id,
        "cases": len(results),
        "passed": passed,
        "failed": len(results) - passed,
        "pass_rate": round(passed / len(results), 4),
        "regressed": len(changes["regressed"]),
        "fixed": len(changes["fixed"]),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return {"summary": summary, "results": [asdict(r) for r in results], "changes": changes}


# -- CLI --------------------------------------------------------------------------------------
def _print_table(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Kefu answer evaluation")
    for col in ("case", "result", "change", "question", "why"):
        table.add_column(col, overflow="fold")
    for r in report["results"]:
        table.add_row(
            r["key"], "[green]pass[/]" if r["passed"] else "[red]FAIL[/]", r["change"],
            r["question"][:60], "; ".join(r["reasons"])[:80],
        )
    console = Console()
    console.print(table)
    s = report["summary"]
    console.print(f"{s['passed']}/{s['cases']} passed, {s['regressed']} regressed, {s['fixed']} fixed in {s['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.regression",
        description="Run saved regression cases and the built-in question set against the current index and model. "
        "Exits 1 when a case that passed in the previous run (or --baseline) fails now.",
    )
    parser.add_argument("--json", metavar="OUT", help="write the report as JSON")
    parser.add_argument("--baseline", metavar="FILE", help="compare against this earlier --json report instead of the last stored run")
    parser.add_argument("--no-builtin", action="store_true", help="only the saved regression cases")
    parser.add_argument("--limit", type=int, help="at most N built-in questions")
    parser.add_argument("--strict", action="store_true", help="also exit 1 when any case fails")
    parser.add_argument("--no-save", action="store_true", help="do not store this run in the database")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    previous = None
    if args.baseline:
        try:
            previous = json.loads(Path(args.baseline).read_text(encoding="utf-8"))["results"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"error: cannot read baseline {args.baseline}: {exc}", file=sys.stderr)
            return 2

    from settings import load_settings_or_exit
    from bot.service import ChatService

    settings = load_settings_or_exit()
    service = ChatService(settings)
    try:
        report = evaluate(service, builtin=not args.no_builtin, limit=args.limit, previous=previous, save=not args.no_save)
    except LookupError as exc:
        print(f"error: {exc} (index your store with `python -m knowledge.ingest PATH`)", file=sys.stderr)
        return 2
    _print_table(report)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    s = report["summary"]
    if s["regressed"] or (args.strict and s["failed"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
