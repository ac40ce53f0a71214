"""Concurrent shoppers against one server over HTTP: errors, cross-talk, latency.

``python -m benchmarks.load [--json OUT] [--sessions 50] [--turns 2] [--model fake|bundled|bundled-wait60|threads|both|all] [--reps 3]``

For each model, a server (``app.create_app``, the demo store indexed with the bundled
embedder, the given LLM) is started in a subprocess on 127.0.0.1; then ``--sessions``
shoppers chat at once over ``POST /api/chat`` (asyncio + httpx), ``--turns`` questions
each, drawn from a mix of FAQ, policy and product questions (offset per session, so
neighbours ask different things at the same moment).

Checked per shopper:

- 0 errors: every request answers 200;
- no cross-talk: every reply carries the shopper's own ``session_id``; its top cited
  source is the one the same question gets when asked alone (a calibration pass before
  the load); and the stored history (``GET /api/sessions/{id}/messages``) is exactly the
  shopper's own questions and the replies it received, in order.

Reported: p50/p95/max turn latency, overall and for the turns that need no generation
(curated FAQ answers, abstentions: ``fast_p95_s``) — these must not wait behind the
model's generations (requests run in a thread pool; generation is serialised) — and
``extractive_when_busy``: turns answered from the best source, cited, with a note, because
the local model was busy for longer than ``KEFU_LLM_QUEUE_WAIT`` (default 10 s). The
baseline ``bundled-wait60`` is the same server with a 60 s wait (the old behaviour, when the
queue wait was the stall timeout); ``all`` (the default) runs fake, bundled and that
baseline and adds their ratio. ``bundled`` is the default chat backend, the GGUF under
llama.cpp in the server process.

``threads`` (also in ``all``): the chat model alone while two other processes keep both cores
busy — Kefu's llama.cpp backend against raw xllamacpp on the same GGUF, with 1 and 2 threads
(:mod:`benchmarks.llamacpp_threads`: decode, prefill, first token) — and the embedder with 1
torch thread against all cores (:mod:`benchmarks.torch_threads`); the idle figures are in
:mod:`benchmarks.latency`. They are why ``KEFU_LLM_THREADS=0`` means one thread for llama.cpp
and for torch on small machines (:mod:`bot.cpu_threads`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, emit, parser

QUESTIONS = [
    "How long does standard shipping take?",
    "Can I return a video game after opening it?",
    "Which payment methods can I use?",
    "Do you have wireless headphones with a long battery life?",
    "How do I cancel an order?",
    "What happens if my parcel arrives damaged?",
    "Do gift cards expire?",
    "Is there a tent for two people in stock?",
    "How do I reset my password?",
    "Do you ship to Canada, and how much does it cost?",
    "What is the capital of Mongolia?",
    "Can I change the address on an order that has shipped?",
]


def serve(port: int, model: str, data_dir: Path) -> int:
    """The server side (run in a subprocess): index the demo store, then serve the app."""
    import logging

    import uvicorn

    from app import create_app
    from benchmarks.common import build_demo_index, quiet_libraries
    from settings import Settings

    quiet_libraries()
    llm = "fake" if model == "fake" else "bundled"
    queue_wait = 60.0 if model == "bundled-wait60" else 10.0
    sentiment = "bundled"
    try:
        from bot.sentiment import make_sentiment_model

        make_sentiment_model(sentiment).score("warm up")
    except Exception as exc:  # noqa: BLE001 - sentiment is not what this benchmark measures
        print(f"note: bundled sentiment model unavailable ({type(exc).__name__}); using 'fake'", file=sys.stderr)
        sentiment = "fake"
    settings = Settings(
        _env_file=None, data_dir=data_dir, llm=llm, embedder="bundled", sentiment_model=sentiment,
        rate_limit_per_minute=10_000, llm_queue_wait=queue_wait,
    )
    models = REPO / "data" / "models"
    if llm == "bundled" and not (data_dir / "models").exists():
        models.mkdir(parents=True, exist_ok=True)
        (data_dir / "models").symlink_to(models, target_is_directory=True)
    build_demo_index(settings)
    app = create_app(settings)
    service = app.state.service if hasattr(app, "state") and hasattr(app.state, "service") else None
    if service is not None:
        service.guard.client_limit = 10**9  # one address (127.0.0.1) carries every shopper here
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    return 0


def start_server(model: str, data_dir: Path, timeout: float = 600.0) -> tuple[subprocess.Popen, str]:
    import httpx

    from tests.fixtures.servers import free_port

    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.load", "--serve", str(port), "--model", model, "--data-dir", str(data_dir)],
        cwd=REPO, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the {model} server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the {model} server did not become healthy in {timeout:.0f} s")


def top_source(reply: dict) -> str:
    return reply["sources"][0]["id"] if reply.get("sources") else f"<{'abstain' if reply.get('abstained') else 'none'}>"


async def calibrate(url: str, questions: list[str]) -> tuple[dict[str, str], set[str]]:
    """Each question asked alone (fresh session): its expected top source; and the questions
    answered without generation (under 0.5 s alone)."""
    import httpx

    expected, fast = {}, set()
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        for q in questions:
            t0 = time.perf_counter()
            r = await client.post("/api/chat", json={"message": q})
            r.raise_for_status()
            expected[q] = top_source(r.json())
            if time.perf_counter() - t0 < 0.5:
                fast.add(q)
    return expected, fast


async def shopper(client, n: int, turns: int, expected: dict[str, str], fast_questions: set[str], run: str) -> dict:
    from bot.prompts import DEGRADED_NOTE

    sid = f"load-{run}-{n:03d}"
    asked, got, latencies, fast, errors, crosstalk = [], [], [], [], [], []
    degraded = 0
    for t in range(turns):
        q = QUESTIONS[(n + t * 5) % len(QUESTIONS)]
        t0 = time.perf_counter()
        try:
            r = await client.post("/api/chat", json={"message": q, "session_id": sid, "user_id": f"shopper-{n}"})
        except Exception as exc:  # noqa: BLE001 - counted, reported
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        dt = time.perf_counter() - t0
        if r.status_code != 200:
            errors.append(f"{r.status_code}: {r.text[:120]}")
            continue
        body = r.json()
        latencies.append(dt)
        if body["session_id"] != sid or top_source(body) != expected.get(q):
            crosstalk.append(f"turn {t}: {q!r} -> session {body['session_id']}, source {top_source(body)} (alone: {expected.get(q)})")
        if q in fast_questions:
            fast.append(dt)
        degraded += body["reply"].startswith(DEGRADED_NOTE["en"])
        asked.append(q)
        if not (body["intent"] == "handoff" and body["handoff"]["state"] != "bot" and not body["sources"]):
            got.append(body["reply"])  # a message to a waiting/human case gets a note that is not stored as a turn
    try:
        history = (await client.get(f"/api/sessions/{sid}/messages")).json().get("messages", [])
    except Exception as exc:  # noqa: BLE001 - counted, reported
        errors.append(f"history: {type(exc).__name__}")
        history = []
    users = [m["text"] for m in history if m["role"] == "user"]
    bots = [m["text"] for m in history if m["role"] == "assistant"]
    if users != asked or bots != got:
        crosstalk.append(f"stored history differs: {len(users)} questions, {len(bots)} replies stored")
    return {"latencies": latencies, "fast": fast, "errors": errors, "crosstalk": crosstalk, "degraded": degraded}


async def load(url: str, sessions: int, turns: int, expected: dict[str, str], fast_questions: set[str], run: str) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=sessions + 10, max_keepalive_connections=sessions + 10)
    async with httpx.AsyncClient(base_url=url, timeout=900, limits=limits) as client:
        t0 = time.perf_counter()
        results = await asyncio.gather(*(shopper(client, n, turns, expected, fast_questions, run) for n in range(sessions)))
        wall = time.perf_counter() - t0
    lat = np.array([x for r in results for x in r["latencies"]] or [np.nan])
    fast = np.array([x for r in results for x in r["fast"]] or [np.nan])
    errors = [e for r in results for e in r["errors"]]
    crosstalk = [c for r in results for c in r["crosstalk"]]
    for line in (errors + crosstalk)[:10]:
        print("  !", line, file=sys.stderr)
    return {
        "sessions": sessions,
        "turns": sessions * turns,
        "errors": len(errors),
        "crosstalk": len(crosstalk),
        "p50_s": round(float(np.nanpercentile(lat, 50)), 4),
        "p95_s": round(float(np.nanpercentile(lat, 95)), 4),
        "max_s": round(float(np.nanmax(lat)), 4),
        "fast_turns": int(np.isfinite(fast).sum()),
        "extractive_when_busy": sum(r["degraded"] for r in results),
        "fast_p50_s": round(float(np.nanpercentile(fast, 50)), 4) if np.isfinite(fast).any() else float("nan"),
        "fast_p95_s": round(float(np.nanpercentile(fast, 95)), 4) if np.isfinite(fast).any() else float("nan"),
        "wall_s": round(wall, 2),
        "turns_per_s": round(sessions * turns / wall, 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = parser("load", "Concurrent chat sessions over HTTP against one server: errors, cross-talk, p50/p95.")
    p.add_argument("--sessions", type=int, default=50, help="concurrent shoppers (default 50)")
    p.add_argument("--turns", type=int, default=2, help="questions per shopper (default 2)")
    p.add_argument("--model", choices=["fake", "bundled", "bundled-wait60", "threads", "both", "all"], default="all",
                   help="LLM behind the server: both = fake + bundled; all = both + bundled-wait60 + threads "
                        "(default); threads = the model alone with the cores busy, 1 vs 2 threads")
    p.add_argument("--reps", type=int, default=3, help="repetitions per thread count in the threads run (default 3)")
    p.add_argument("--serve", type=int, help=argparse_suppress())
    p.add_argument("--data-dir", type=Path, help=argparse_suppress())
    args = p.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.model, args.data_dir)
    if args.sessions < 1 or args.turns < 1 or args.reps < 1:
        p.error("--sessions, --turns and --reps must be >= 1")
    import tempfile

    results = {}
    runs = {"both": ["fake", "bundled"], "all": ["fake", "bundled", "bundled-wait60", "threads"]}
    for model in runs.get(args.model, [args.model]):
        if model == "threads":
            from benchmarks.llamacpp_threads import thread_rows
            from bot.llm.llamacpp import auto_threads

            from benchmarks.torch_threads import torch_rows

            print("the chat model and the embedder alone, 2 processes keeping the cores busy ...", file=sys.stderr)
            results.update(thread_rows(busy=2, threads=tuple(sorted({1, 2, auto_threads()})), reps=args.reps))
            results.update(torch_rows(busy=2))
            continue
        data_dir = Path(tempfile.mkdtemp(prefix=f"kefu-load-{model}-"))
        print(f"starting the {model} server ...", file=sys.stderr)
        proc, url = start_server(model, data_dir)
        try:
            expected, fast = asyncio.run(calibrate(url, QUESTIONS))
            print(f"{args.sessions} shoppers x {args.turns} turns against the {model} server ...", file=sys.stderr)
            results[model] = asyncio.run(load(url, args.sessions, args.turns, expected, fast, model))
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    if {"bundled", "bundled-wait60"} <= set(results):
        results["bundled/bundled-wait60"] = {
            k: results["bundled"][k] / results["bundled-wait60"][k] for k in ("p95_s", "max_s", "wall_s")}
    emit(results, args.json, f"Load: {args.sessions} concurrent sessions x {args.turns} turns over HTTP")
    bad = sum(r.get("errors", 0) + r.get("crosstalk", 0) for r in results.values())
    return 1 if bad else 0


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
