"""Latency of the default backend (llama.cpp), of transformers on the same model, in one run.

``python -m benchmarks.latency [--json OUT] [--turns N] [--llamacpp-only]``

- ``cold_start_s``: a new process builds the service, loads every model (the sentiment
  model's dequantised weights cached under KEFU_DATA_DIR/models) and answers one question;
- ``rss_mb``/``peak_rss_mb``: that process's resident memory after the timed questions and
  two statements (so every model has run), now and at its peak; for ``KEFU_LLM=transformers``
  the baseline row is the same process with :mod:`bot.llm.shared_weights` switched off (the
  chat LLM and the sentiment model each holding their own SmolLM2 weights);
- ``ttft_s``: time to the first shown text of a turn (after the grounding check);
- ``turn_p50_s``/``turn_p95_s``: whole turns over a mix of FAQ, policy and product questions;
- ``decode_tokens_per_s``: raw generation speed on a fixed prompt.

The default column is ``KEFU_LLM=bundled``: the GGUF in-process under llama.cpp
(:mod:`bot.llm.llamacpp`); the transformers column is ``KEFU_LLM=transformers`` (fp32, and
bfloat16 where the CPU has it); the ratio row divides llama.cpp by transformers. The thread
rows (:mod:`benchmarks.llamacpp_threads`) time Kefu's llama.cpp backend against raw xllamacpp
on the same GGUF with 1 and 2 threads on an idle machine (:mod:`benchmarks.load` adds them
with the cores busy). ``--llamacpp-only`` skips the transformers columns.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from benchmarks.common import REPO, build_demo_index, emit, fresh_settings, parser, quiet_libraries

QUESTIONS = [
    "Do you have wireless headphones with a long battery life?",
    "How much does it cost to ship an order to Canada?",
    "Can I return a video game after opening it?",
    "What does Harbor Lane Protect cover?",
    "How long does standard shipping take?",
    "Is there a tent for two people in stock?",
    "Which payment methods can I use?",
    "What happens if my parcel arrives damaged?",
    "Do you sell racing games for the PS4?",
    "Can I change the address on an order that has shipped?",
]
PROMPT = [
    {"role": "system", "content": "You are a helpful shop assistant."},
    {"role": "user", "content": "Explain in a few sentences how a customer can return an item bought online."},
]

COLD_START = """
import json, time, sys
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
if {no_sharing!r}:
    import bot.llm.shared_weights
    bot.llm.shared_weights.share = lambda folder, tensors: dict(tensors)
from settings import Settings
from bot.service import ChatService
s = Settings(_env_file=None, data_dir={data!r}, llm={llm!r})
svc = ChatService(s)
svc.warm()
svc.turn("How long does standard shipping take?")
took = time.perf_counter() - t0
for text in {turns!r}:
    svc.turn(text)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
mb = lambda key: int(status[key].split()[0]) / 1024
print(json.dumps({{"cold_start_s": took, "rss_mb": mb("VmRSS"), "peak_rss_mb": mb("VmHWM")}}))
"""


def cold_start(settings, no_sharing: bool = False, llm: str = "bundled") -> dict[str, float]:
    """A fresh process: build the service (``KEFU_LLM=llm``), load every model, answer; its time and memory."""
    import json

    turns = [*QUESTIONS, "Thanks, you have been really helpful!", "This is the worst shop ever."]
    code = COLD_START.format(repo=str(REPO), data=str(settings.data_dir), no_sharing=no_sharing, turns=turns,
                             llm=llm)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=900)
    if out.returncode:
        print("cold start failed:", out.stderr.strip().splitlines()[-1:])
        return {"cold_start_s": float("nan"), "rss_mb": float("nan"), "peak_rss_mb": float("nan")}
    return json.loads(out.stdout.strip().splitlines()[-1])


def decode_speed(llm, tok, max_new_tokens: int = 64) -> tuple[float, float]:
    """(time to first token, tokens per second) of ``llm.stream`` on the fixed prompt; tokens
    are counted with the model's own tokenizer ``tok`` (None: one token per piece, as llama.cpp streams)."""
    start = time.perf_counter()
    first = None
    pieces = []
    for piece in llm.stream(PROMPT, max_new_tokens=max_new_tokens):
        if first is None:
            first = time.perf_counter() - start
        pieces.append(piece)
    text = "".join(pieces)
    total = time.perf_counter() - start
    n = len(tok(text, add_special_tokens=False)["input_ids"]) if tok is not None else len(pieces)
    return first or total, n / max(total - (first or 0), 1e-6)


def time_turns(service, n: int) -> dict[str, float]:
    """Time-to-first-text and whole-turn percentiles over ``n`` questions."""
    ttfts, turns, modes = [], [], []
    for q in (QUESTIONS * 3)[:n]:
        start = time.perf_counter()
        first = None
        for kind, value in service.stream(q):
            if kind == "delta" and first is None:
                first = time.perf_counter() - start
            if kind == "final":
                modes.append(value.mode)
        turns.append(time.perf_counter() - start)
        ttfts.append(first if first is not None else turns[-1])
    return {
        "ttft_p50_s": float(np.percentile(ttfts, 50)),
        "turn_p50_s": float(np.percentile(turns, 50)),
        "turn_p95_s": float(np.percentile(turns, 95)),
        "llm_turn_share": sum(m in ("llm", "extractive") for m in modes) / len(modes),
    }


def llamacpp_column(settings, turns: int) -> dict[str, float]:
    """The default backend (``KEFU_LLM=bundled``: llama.cpp): cold start, load, turns, decode."""
    from bot.llm.llamacpp import LlamaCppLLM
    from bot.service import ChatService

    cold = cold_start(settings)
    llm = LlamaCppLLM("bundled", threads=settings.llm_threads)
    t0 = time.perf_counter()
    llm.warm()
    load = time.perf_counter() - t0
    service = ChatService(settings, llm=llm)
    service.warm()
    first, rate = decode_speed(llm, None)
    return {**cold, "model_load_s": load, **time_turns(service, turns), "decode_ttft_s": first,
            "decode_tokens_per_s": rate}


def transformers_columns(settings, turns: int) -> dict[str, dict[str, float]]:
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
    d_first, d_rate = decode_speed(llm, llm._tokenizer)
    fp32 = {**cold, "model_load_s": load, **time_turns(service, turns), "decode_ttft_s": d_first,
            "decode_tokens_per_s": d_rate}
    results = {"kefu (KEFU_LLM=transformers, fp32)": fp32,
               "transformers without weight sharing": unshared,
               "transformers shared/unshared memory": {k: cold[k] / unshared[k] for k in ("rss_mb", "peak_rss_mb")}}
    if native_bf16():  # the opt-in KEFU_LLM_DTYPE=bfloat16, where the CPU computes it natively
        half = TransformersLLM("bundled", cache_dir=cache, dtype="bfloat16")
        half.warm()
        h_first, h_rate = decode_speed(half, half._tokenizer)
        service16 = ChatService(settings.model_copy(update={"llm": "transformers", "llm_dtype": "bfloat16"}), llm=half)
        service16.warm()
        results["kefu (transformers, KEFU_LLM_DTYPE=bfloat16)"] = bf16 = {
            **time_turns(service16, turns), "decode_ttft_s": h_first, "decode_tokens_per_s": h_rate}
        results["bfloat16/float32"] = {k: bf16[k] / fp32[k] for k in RATIO_KEYS}
    return results


RATIO_KEYS = ("turn_p50_s", "turn_p95_s", "ttft_p50_s", "decode_tokens_per_s")


def main(argv: list[str] | None = None) -> int:
    p = parser("latency", __doc__.splitlines()[0])
    p.add_argument("--turns", type=int, default=len(QUESTIONS), help="questions to time")
    p.add_argument("--llamacpp-only", action="store_true", help="skip the transformers columns")
    args = p.parse_args(argv)
    quiet_libraries()
    from benchmarks.llamacpp_threads import thread_rows

    settings = fresh_settings()
    build_demo_index(settings)
    link = settings.data_dir / "models"  # the sentiment model's dequantised cache, built once
    if not link.exists():
        (REPO / "data" / "models").mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO / "data" / "models", target_is_directory=True)
    default = llamacpp_column(settings, args.turns)
    results = {"kefu (default: KEFU_LLM=bundled, llama.cpp)": default}
    if not args.llamacpp_only:
        hf = transformers_columns(settings, args.turns)
        results.update(hf)
        results["llamacpp/transformers"] = {
            k: default[k] / hf["kefu (KEFU_LLM=transformers, fp32)"][k] for k in (*RATIO_KEYS, "cold_start_s")}
    results.update(thread_rows(busy=0))
    emit(results, args.json, "Latency (bundled SmolLM2-135M on this CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
