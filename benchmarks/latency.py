"""Latency of a chat turn on the bundled models: turns, first chunk, decode speed, cold start.

``python -m benchmarks.latency [--json OUT] [--quick] [--turns N] [--llamacpp-only] [--cold-start-only]``

The default backend (``KEFU_LLM=bundled``: the GGUF in-process under llama.cpp,
:mod:`bot.llm.llamacpp`) over the demo store, every model real:

- ``turn_p50_s``/``turn_p95_s``/``turn_max_s``: whole turns (``ChatService.stream`` start to the
  final reply) over :data:`CONVERSATIONS`, a fixed mix of 34 turns: product facts, policy
  questions, follow-ups in one session, small talk, off-topic requests, a complaint, Chinese;
  targets p50 <= 1.5 s, p95 <= 3 s; ``turn_p50_s, KIND`` rows per kind of conversation;
- ``ttft_p50_s``/``ttft_p95_s``: time to the first streamed chunk of text (what the shopper sees);
- ``chunks_p50``/``chunks_min_multi_sentence``: streamed chunks per reply (every reply streams
  as short phrases, :mod:`bot.streaming`), the least for a reply of two or more sentences;
- ``llm_turn_share``: turns where the model was asked; ``generated_sentence_survival``: the share
  of its sentences that passed the grounding checks;
- ``cold_start_s``: a new process (the index and the model caches already built) imports Kefu,
  starts ``ChatService.warm`` on a thread as ``app.py`` does, and answers one question as soon
  as the service is ready (``/healthz`` 200); target <= 5 s. ``cold_ready_s``: when it was ready;
  ``cold_warm_s``: when ``warm`` returned (the chat model and the recommender, which load beside
  and after the first answer, included); ``cold_warm_s, PART``: each load of ``warm`` (they run
  on threads, so they overlap; ``ready`` is when turns could start) and ``cold_part_cpu_s, PART``
  its CPU seconds on its thread; figures that do not depend on how busy the cores are:
  ``cold_cpu_s`` (CPU seconds of the whole process up to the first answer), ``cold_modules``
  (modules imported by then) and ``cold_imports LIB`` (1 when that heavy library was imported);
  ``rss_mb``/``peak_rss_mb``: its memory after a few more turns;
- the thread rows (:mod:`benchmarks.llamacpp_threads`): Kefu's llama.cpp backend against raw
  xllamacpp on the same GGUF, same prompt, in this run (decode tokens/s, prefill tokens/s, time
  to first token, load); target kefu/raw decode >= 0.9 (:mod:`benchmarks.load` adds the same
  rows with the cores busy); the torch rows (:mod:`benchmarks.torch_threads`): the embedder's
  query and sentence-batch latency with 1 torch thread against all cores.

Baselines in the same run: raw xllamacpp (the thread rows), and — unless ``--quick`` or
``--llamacpp-only`` — ``KEFU_LLM=transformers`` on the same model (fp32, and bfloat16 where the CPU
has it) with a llamacpp/transformers ratio row. ``--quick`` (a few minutes): the default column,
the thread rows for the auto thread count only, fewer repetitions.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np

from benchmarks.common import REPO, build_demo_index, emit, fresh_settings, parser, quiet_libraries

# (kind, turns of one conversation): each conversation is one session, so follow-ups resolve
# against the earlier turns. 34 turns.
CONVERSATIONS: list[tuple[str, list[str]]] = [
    ("product", ["How much is the PlayStation 5 Disc Edition?"]),
    ("product", ["Is the Nintendo Switch OLED in stock?"]),
    ("product", ["Do you have wireless headphones with a long battery life?"]),
    ("product", ["Is there a tent for two people in stock?"]),
    ("product", ["Do you sell racing games for the PS4?"]),
    ("product", ["How many players for Turbo Karts Party?"]),
    ("follow-up", ["Specs of the PS5 Disc Edition?", "And how much does it cost?"]),
    ("follow-up", ["How much is Chronicles of Ember for PS4?", "And is there a PC version?"]),
    ("follow-up", ["How long does standard shipping take?", "And express?"]),
    ("policy", ["Can I return a video game after opening it?"]),
    ("policy", ["Is there a restocking fee on an opened console?"]),
    ("policy", ["How much does it cost to ship an order to Canada?"]),
    ("policy", ["What does Harbor Lane Protect cover?"]),
    ("policy", ["Which payment methods can I use?"]),
    ("policy", ["Can I change the address on an order that has shipped?"]),
    ("policy", ["How do I reset my password?"]),
    ("policy", ["Do gift cards expire?"]),
    ("policy", ["How long does a refund take to reach my credit card?"]),
    ("policy", ["What happens if my parcel arrives damaged?"]),
    ("policy", ["Do you price match?"]),
    ("small talk", ["hi there", "thanks, that helps!", "great, bye"]),
    ("off-topic", ["What's the weather in Paris today?", "Who won the 2018 World Cup?",
                   "How long does standard shipping take?"]),
    ("off-topic", ["Write me a poem about the sea."]),
    ("complaint", ["My headphones arrived broken, this is unacceptable."]),
    ("chinese", ["退货政策是什么？", "运费是多少？"]),
    ("chinese", ["PS5 光驱版多少钱？"]),
]
TARGETS = {"turn_p50_s": 1.5, "turn_p95_s": 3.0, "cold_start_s": 5.0, "decode kefu/raw": 0.9}

COLD_START = """
import json, resource, time, sys
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
if {no_sharing!r}:
    import bot.llm.shared_weights
    bot.llm.shared_weights.share = lambda folder, tensors: dict(tensors)
from settings import Settings
from bot.service import ChatService
s = Settings(_env_file=None, data_dir={data!r}, llm={llm!r})
svc = ChatService(s)
imported = time.perf_counter() - t0
import threading
warming = threading.Thread(target=svc.warm)  # as app.py does: a turn can start once svc.ready
warming.start()
while not svc.ready and warming.is_alive():
    time.sleep(0.005)
if not svc.ready:
    raise SystemExit("warm-up failed")
ready = time.perf_counter() - t0
svc.turn("How long does standard shipping take?")
took = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
loaded = {{m.split(".")[0] for m in sys.modules}}
first = {{"cold_cpu_s": usage.ru_utime + usage.ru_stime, "cold_modules": len(sys.modules),
         **{{"cold_imports " + lib: float(lib in loaded) for lib in {heavy!r}}}}}
warming.join()
warmed = time.perf_counter() - t0
for text in {turns!r}:
    svc.turn(text)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
mb = lambda key: int(status[key].split()[0]) / 1024
print(json.dumps({{"cold_start_s": took, "cold_import_s": imported, "cold_ready_s": ready, "cold_warm_s": warmed,
                  **first, **{{"cold_warm_s, " + k: v for k, v in getattr(svc, "warm_timings", {{}}).items()}},
                  **{{"cold_part_cpu_s, " + k: v for k, v in getattr(svc, "warm_cpu", {{}}).items()}},
                  "rss_mb": mb("VmRSS"), "peak_rss_mb": mb("VmHWM")}}))
"""
# Libraries whose import alone costs CPU-seconds: which of them the first answer needed.
HEAVY_LIBRARIES = ("torch", "transformers", "sentence_transformers", "sklearn", "chromadb", "gradio")
_SENTENCE_END = re.compile(r"[.!?。！？](\s|$)")


def cold_start(settings, no_sharing: bool = False, llm: str = "bundled") -> dict[str, float]:
    """A fresh process: build the service (``KEFU_LLM=llm``), load every model, answer; its time and memory."""
    import json

    turns = ["Can I return a video game after opening it?", "thanks, that helps!", "This is the worst shop ever."]
    code = COLD_START.format(repo=str(REPO), data=str(settings.data_dir), no_sharing=no_sharing, turns=turns,
                             llm=llm, heavy=HEAVY_LIBRARIES)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=900)
    if out.returncode:
        print("cold start failed:", out.stderr.strip().splitlines()[-1:])
        return {"cold_start_s": float("nan"), "rss_mb": float("nan"), "peak_rss_mb": float("nan")}
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_turn(service, text: str, session_id: str) -> dict:
    """One turn through ``service.stream``: its time, the first chunk's, the chunks, the mode."""
    start = time.perf_counter()
    first, chunks, reply = None, 0, None
    for kind, value in service.stream(text, session_id=session_id):
        if kind == "delta" and value:
            chunks += 1
            first = first if first is not None else time.perf_counter() - start
        elif kind == "final":
            reply = value
    total = time.perf_counter() - start
    generated = [c for c in reply.checks if "kept" in c]
    return {"total": total, "ttft": first if first is not None else total, "chunks": chunks, "mode": str(reply.mode),
            "sentences": len(_SENTENCE_END.findall(reply.reply)), "generated": len(generated),
            "kept": sum(bool(c["kept"]) for c in generated), "reply": reply.reply,
            "stages": {k: v for k, v in reply.latency.items() if k != "total" and isinstance(v, (int, float))}}


def time_conversations(service, limit: int | None = None, verbose: bool = False) -> dict[str, float]:
    """Percentiles over :data:`CONVERSATIONS` (the first ``limit`` turns), one session per conversation."""
    import uuid

    runs: list[tuple[str, dict]] = []
    for kind, turns in CONVERSATIONS:
        sid = f"bench-{uuid.uuid4().hex[:12]}"
        for text in turns:
            if limit is not None and len(runs) >= limit:
                break
            run = time_turn(service, text, sid)
            runs.append((kind, run))
            if verbose:
                stages = " ".join(f"{k}={v:.2f}" for k, v in run["stages"].items())
                print(f"  {run['total']:6.2f} s  ttft {run['ttft']:5.2f}  {run['chunks']:3d} chunks  {run['mode']:10s}"
                      f"  {text[:50]!r} -> {run['reply'][:70]!r}  [{stages}]", file=sys.stderr)
    totals = [r["total"] for _, r in runs]
    ttfts = [r["ttft"] for _, r in runs]
    multi = [r["chunks"] for _, r in runs if r["sentences"] >= 2]
    generated = sum(r["generated"] for _, r in runs)
    out = {
        "turns": len(runs),
        "turn_p50_s": float(np.percentile(totals, 50)),
        "turn_p95_s": float(np.percentile(totals, 95)),
        "turn_max_s": float(max(totals)),
        "ttft_p50_s": float(np.percentile(ttfts, 50)),
        "ttft_p95_s": float(np.percentile(ttfts, 95)),
        "chunks_p50": float(np.percentile([r["chunks"] for _, r in runs], 50)),
        "chunks_min_multi_sentence": float(min(multi)) if multi else float("nan"),
        "llm_turn_share": sum(r["generated"] > 0 for _, r in runs) / len(runs),
        "generated_sentence_survival": sum(r["kept"] for _, r in runs) / generated if generated else float("nan"),
    }
    for stage in dict.fromkeys(s for _, r in runs for s in r["stages"]):
        out[f"stage_p50_s, {stage}"] = float(np.percentile([r["stages"].get(stage, 0.0) for _, r in runs], 50))
    for kind in dict.fromkeys(k for k, _ in runs):
        out[f"turn_p50_s, {kind}"] = float(np.percentile([r["total"] for k, r in runs if k == kind], 50))
    return out


def llamacpp_column(settings, limit: int | None, verbose: bool) -> dict[str, float]:
    """The default backend (``KEFU_LLM=bundled``: llama.cpp): turns, then cold start with the caches built."""
    from bot.llm.llamacpp import LlamaCppLLM
    from bot.service import ChatService

    llm = LlamaCppLLM("bundled", threads=settings.llm_threads, timeout=settings.llm_timeout,
                      queue_wait=settings.llm_queue_wait)
    t0 = time.perf_counter()
    llm.warm()
    load = time.perf_counter() - t0
    service = ChatService(settings, llm=llm)
    t0 = time.perf_counter()
    service.warm()  # builds what the cold start then finds cached
    warm = time.perf_counter() - t0
    turns = time_conversations(service, limit, verbose)
    del service, llm
    return {**turns, **cold_start(settings), "model_load_s": load, "warm_in_process_s": warm,
            "llm_threads": float(LlamaCppLLM("bundled", threads=settings.llm_threads).threads)}


def cold_start_column(settings) -> dict[str, dict[str, float]]:
    """Build every cache in this process (one warm-up), then the cold start of a new process."""
    from bot.service import ChatService

    ChatService(settings).warm()
    cold = cold_start(settings)
    met = {"cold_start_s": float(cold["cold_start_s"] <= TARGETS["cold_start_s"])}
    return {"kefu (default: KEFU_LLM=bundled, llama.cpp)": cold,
            "target": {"cold_start_s": TARGETS["cold_start_s"]}, "met (1 = yes)": met}


def transformers_columns(settings, limit: int | None) -> dict[str, dict[str, float]]:
    """``KEFU_LLM=transformers`` in fp32 (with and without weight sharing) and, where the CPU
    computes it natively, bfloat16."""
    from bot.llm.hf import TransformersLLM, native_bf16
    from bot.service import ChatService

    cache = REPO / "data" / "models"
    llm = TransformersLLM("bundled", cache_dir=cache)
    t0 = time.perf_counter()
    llm.warm()
    load = time.perf_counter() - t0
    cold = cold_start(settings, llm="transformers")
    unshared = cold_start(settings, no_sharing=True, llm="transformers")
    service = ChatService(settings.model_copy(update={"llm": "transformers"}), llm=llm)
    service.warm()
    fp32 = {**time_conversations(service, limit), **cold, "model_load_s": load}
    results = {"kefu (KEFU_LLM=transformers, fp32)": fp32,
               "transformers without weight sharing": unshared,
               "transformers shared/unshared memory": {k: cold[k] / unshared[k] for k in ("rss_mb", "peak_rss_mb")}}
    if native_bf16():  # the opt-in KEFU_LLM_DTYPE=bfloat16, where the CPU computes it natively
        half = TransformersLLM("bundled", cache_dir=cache, dtype="bfloat16")
        half.warm()
        service16 = ChatService(settings.model_copy(update={"llm": "transformers", "llm_dtype": "bfloat16"}), llm=half)
        service16.warm()
        results["kefu (transformers, KEFU_LLM_DTYPE=bfloat16)"] = bf16 = time_conversations(service16, limit)
        results["bfloat16/float32"] = {k: bf16[k] / fp32[k] for k in RATIO_KEYS}
    return results


RATIO_KEYS = ("turn_p50_s", "turn_p95_s", "ttft_p50_s")


def verdict(default: dict, threads: dict) -> dict[str, dict[str, float]]:
    """The targets and whether this run met them (1 = met)."""
    ratios = [v["decode_tokens_per_s"] for k, v in threads.items() if k.startswith("kefu/raw")]
    seen = {**{k: default.get(k, float("nan")) for k in TARGETS if k in default},
            "decode kefu/raw": min(ratios) if ratios else float("nan")}
    met = {k: float(seen[k] >= TARGETS[k] if k == "decode kefu/raw" else seen[k] <= TARGETS[k]) for k in TARGETS}
    return {"target": dict(TARGETS), "this run": seen, "met (1 = yes)": met}


def main(argv: list[str] | None = None) -> int:
    p = parser("latency", __doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="the default backend only, thread rows for the auto thread count, fewer repetitions")
    p.add_argument("--turns", type=int, default=None, help="time only the first N turns of the mix")
    p.add_argument("--llamacpp-only", action="store_true", help="skip the transformers columns")
    p.add_argument("--verbose", action="store_true", help="print every timed turn")
    p.add_argument("--cold-start-only", action="store_true",
                   help="only the cold start (caches built first in this process; about a minute)")
    args = p.parse_args(argv)
    if args.turns is not None and args.turns < 1:
        p.error("--turns must be >= 1")
    quiet_libraries()
    from bot.cpu_threads import limit_torch_threads

    limit_torch_threads()  # what ChatService does; before indexing the demo store, which loads torch
    from benchmarks.llamacpp_threads import thread_rows
    from benchmarks.torch_threads import torch_rows
    from bot.llm.llamacpp import auto_threads

    settings = fresh_settings()
    build_demo_index(settings)
    link = settings.data_dir / "models"  # the sentiment model's dequantised cache, built once
    if not link.exists():
        (REPO / "data" / "models").mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO / "data" / "models", target_is_directory=True)
    if args.cold_start_only:
        emit(cold_start_column(settings), args.json, "Cold start (bundled models on this CPU)")
        return 0
    default = llamacpp_column(settings, args.turns, args.verbose)
    results = {"kefu (default: KEFU_LLM=bundled, llama.cpp)": default}
    if not (args.llamacpp_only or args.quick):
        hf = transformers_columns(settings, args.turns)
        results.update(hf)
        results["llamacpp/transformers"] = {
            k: default[k] / hf["kefu (KEFU_LLM=transformers, fp32)"][k] for k in (*RATIO_KEYS, "cold_start_s")}
    counts = (auto_threads(),) if args.quick else tuple(sorted({1, 2, auto_threads()}))
    threads = thread_rows(busy=0, threads=counts, reps=3 if args.quick else 5)
    results.update(threads)
    results.update(torch_rows(busy=0, reps=3 if args.quick else 7))
    results.update(verdict(default, threads))
    emit(results, args.json, "Latency (bundled models on this CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
