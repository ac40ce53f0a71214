"""How many of the model's sentences survive the grounding checks, per backend.

``python -m benchmarks.generation [--json OUT] [--backends bundled,transformers] [--limit N] [--verbose]``

Kefu composes most replies from the store's own text and asks the model only where it can add
something (``KEFU_ANSWER_STYLE=auto``); every sentence the model writes is then checked against
the numbered sources as it streams, and only supported ones reach the shopper
(:mod:`bot.grounding`). This benchmark forces the model on every question of a fixed English mix
over the demo store (:data:`QUESTIONS`: policies, products, shipping, payment, accounts) —
retrieval as in a real turn, then :meth:`bot.rag.Answerer.generate` — and reports per backend:

- ``sentence_survival``: generated sentences kept / generated (the issue's figure);
- ``replies_with_kept``: share of questions where at least one sentence was kept (the rest fall
  back to quoting the best source, as a shopper would get);
- ``sentences_per_reply``, ``generate_p50_s``, ``first_token_p50_s``.

Baseline in the same run, per backend: the same questions with the sources of *another* question
of the mix (``wrong sources``) — what the checks keep there is what they fail to catch; the
``right/wrong`` row is the ratio of the two survival shares (the higher, the more the checks
separate grounded sentences from the rest).

Backends: ``bundled`` (the GGUF under llama.cpp, the default), ``transformers`` (the same model
under transformers, fp32), ``openai`` (``KEFU_LLM=openai:MODEL`` and ``KEFU_LLM_BASE_URL``; only when set).
"""

from __future__ import annotations

import re
import sys
import time

import numpy as np

from benchmarks.common import REPO, build_demo_index, emit, fresh_settings, parser, quiet_libraries

# A fixed English mix over the demo store (knowledge/data): what shoppers ask most.
QUESTIONS: list[str] = [
    "Can I return a video game after opening it?",
    "Is there a restocking fee on an opened console?",
    "How much does it cost to ship an order to Canada?",
    "What does Harbor Lane Protect cover?",
    "Which payment methods can I use?",
    "Can I change the address on an order that has shipped?",
    "How do I reset my password?",
    "Do gift cards expire?",
    "How long does a refund take to reach my credit card?",
    "What happens if my parcel arrives damaged?",
    "Do you price match?",
    "How long does standard shipping take?",
    "How fast is express shipping?",
    "Do you ship to PO boxes?",
    "Can I cancel my order?",
    "What if I received the wrong item?",
    "How do I track my order?",
    "Can I pay in instalments?",
    "Is my payment information stored safely?",
    "How do I delete my account?",
    "What is the warranty on consoles?",
    "Can I exchange an item for a different size?",
    "Do you offer gift wrapping?",
    "What should I do if my package is late?",
    "Tell me about the PlayStation 5 Disc Edition.",
    "Do you have wireless headphones with a long battery life?",
    "Is there a tent for two people?",
    "What racing games do you sell for the PS4?",
    "How many players can play Turbo Karts Party?",
    "What comes in the box with the Nintendo Switch OLED?",
]


def make_llm(backend: str, settings):
    """The backend's LLM object, warmed (its load is not part of the figures)."""
    if backend == "bundled":
        from bot.llm.llamacpp import LlamaCppLLM

        llm = LlamaCppLLM("bundled", threads=settings.llm_threads, timeout=settings.llm_timeout,
                          queue_wait=settings.llm_queue_wait)
    elif backend == "transformers":
        from bot.llm.hf import TransformersLLM

        llm = TransformersLLM("bundled", cache_dir=REPO / "data" / "models")
    elif backend == "openai":
        from bot.llm.factory import make_llm as configured

        llm = configured(settings)  # KEFU_LLM=openai:MODEL and KEFU_LLM_BASE_URL
    else:
        raise SystemExit(f"unknown backend {backend!r} (bundled, transformers, openai)")
    if hasattr(llm, "warm"):
        llm.warm()
    return llm


def run_one(answerer, question: str, sources) -> dict:
    """Ask the model on ``sources`` and return what the checks made of its sentences."""
    start = time.perf_counter()
    final = None
    for kind, value in answerer.generate(question, sources, [], "en"):
        if kind == "final":
            final = value
    checks = [c for c in final.checks if "kept" in c]
    return {"generated": len(checks), "kept": sum(bool(c["kept"]) for c in checks), "checks": checks,
            "seconds": time.perf_counter() - start, "mode": str(final.mode), "reply": final.text,
            "first_token": (final.timings or {}).get("first_token")}


def summarise(runs: list[dict]) -> dict[str, float]:
    generated = sum(r["generated"] for r in runs)
    firsts = [r["first_token"] for r in runs if r["first_token"]]
    return {
        "questions": float(len(runs)),
        "sentences_generated": float(generated),
        "sentence_survival": sum(r["kept"] for r in runs) / generated if generated else float("nan"),
        "replies_with_kept": sum(r["kept"] > 0 for r in runs) / len(runs),
        "sentences_per_reply": generated / len(runs),
        "generate_p50_s": float(np.percentile([r["seconds"] for r in runs], 50)),
        "first_token_p50_s": float(np.percentile(firsts, 50)) if firsts else float("nan"),
        "degraded_share": sum(r["mode"] == "degraded" for r in runs) / len(runs),
        **{f"dropped: {why}": n / generated for why, n in sorted(dropped_reasons(runs).items())},
    }


def dropped_reasons(runs: list[dict]) -> dict[str, int]:
    """How many dropped sentences failed each check (the reason's kind, without its figures)."""
    out: dict[str, int] = {}
    for r in runs:
        for c in r["checks"]:
            if not c["kept"]:
                kind = re.sub(r"\[.*|\d+%|\d+\.\d+", "", c["why"]).replace("only  of", "few of").strip()
                out[kind] = out.get(kind, 0) + 1
    return out


def column(backend: str, settings, questions: list[str], verbose: bool) -> dict[str, dict[str, float]]:
    """``{backend: figures, backend (wrong sources): figures, backend right/wrong: ratio}``."""
    from bot.service import ChatService

    llm = make_llm(backend, settings)
    service = ChatService(settings.model_copy(update={"answer_style": "generate"}), llm=llm)
    service.warm()
    retrieved = [service.retriever.retrieve(q) for q in questions]
    right, wrong = [], []
    for i, q in enumerate(questions):
        right.append(run_one(service.answerer, q, retrieved[i]))
        other = retrieved[(i + len(questions) // 2) % len(questions)]
        wrong.append(run_one(service.answerer, q, other))
        if verbose:
            r = right[-1]
            print(f"  {backend:12s} {r['kept']}/{r['generated']} kept  {r['seconds']:5.1f} s  {q[:48]!r} -> "
                  f"{r['reply'][:90]!r}", file=sys.stderr)
            for c in r["checks"]:
                print(f"      {'kept' if c['kept'] else 'DROP'} {c['similarity']:.2f} {c['why'] or ''}: {c['sentence'][:110]!r}",
                      file=sys.stderr)
    good, bad = summarise(right), summarise(wrong)
    g, b = good["sentence_survival"], bad["sentence_survival"]
    ratio = g / b if b else (float("inf") if g else float("nan"))
    return {backend: good, f"{backend} (wrong sources)": bad, f"{backend} right/wrong": {"sentence_survival": ratio}}


def main(argv: list[str] | None = None) -> int:
    p = parser("generation", __doc__.splitlines()[0])
    p.add_argument("--backends", default="bundled,transformers",
                   help="comma-separated: bundled (llama.cpp), transformers, openai (needs KEFU_LLM_BASE_URL)")
    p.add_argument("--limit", type=int, default=0, help="only the first N questions (0 = all)")
    p.add_argument("--verbose", action="store_true", help="print every reply")
    args = p.parse_args(argv)
    if args.limit < 0:
        p.error("--limit must be >= 0")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in backends if b not in ("bundled", "transformers", "openai")]
    if unknown or not backends:
        p.error(f"--backends: unknown {', '.join(unknown) or '(none given)'}; choose from bundled, transformers, openai")
    quiet_libraries()
    from bot.cpu_threads import limit_torch_threads

    limit_torch_threads()
    settings = fresh_settings()
    if "openai" in backends and not (settings.llm_base_url and settings.llm.startswith("openai:")):
        p.error("--backends openai needs KEFU_LLM=openai:MODEL and KEFU_LLM_BASE_URL (an OpenAI-compatible server)")
    build_demo_index(settings)
    link = settings.data_dir / "models"  # the sentiment model's dequantised cache, built once
    if not link.exists():
        (REPO / "data" / "models").mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO / "data" / "models", target_is_directory=True)
    questions = QUESTIONS[: args.limit or None]
    results: dict[str, dict[str, float]] = {}
    for backend in backends:
        results.update(column(backend, settings, questions, args.verbose))
    emit(results, args.json, "Generated sentences that survive the grounding checks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
