"""Kefu's llama.cpp backend against raw xllamacpp on the same GGUF, per thread count.

Used by :mod:`benchmarks.latency` (idle) and :mod:`benchmarks.load` (``busy``: two other
processes spin on the cores meanwhile, as on a shared 2-core box). For each thread count, the
two are timed alternately on the same prompt, ``reps`` times, and the medians reported:

- ``load_s``: building the server (Kefu: ``LlamaCppLLM.warm()``, import included);
- ``ttft_s``: request to first text piece (prompt processing of a ~300-token grounded prompt,
  which differs per repetition so that the prompt cache cannot skip it);
- ``prefill_tokens_per_s``: prompt tokens per second, as llama.cpp times them;
- ``decode_tokens_per_s``: pieces after the first / time after the first (one piece per token).

Raw xllamacpp is the library's defaults with the same model, context, thread count and
request; Kefu adds its settings (no polling, one slot) and its queue/thread plumbing. The
``kefu/raw`` row divides the two (target: decode >= 0.9).
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time

SOURCES = (
    "[1] Returns\nMost items can be returned within 30 days of delivery for a full refund, and return shipping "
    "is free within the US. Items bought between November 1 and December 24 can be returned until January 31. "
    "Items must be unused and complete with all accessories unless they are faulty. Opened games, software, "
    "digital codes, gift cards, opened in-ear headphones and personal care items cannot be returned unless "
    "faulty. Opened consoles and electronics over $200 carry a 15% restocking fee unless faulty.\n"
    "[2] Refunds\nStart a return under Account > Orders > Return or refund, choose the item and the reason, and "
    "we email a free prepaid UPS label. Once the warehouse has received and checked the return, we refund the "
    "original payment method within 2 business days; your bank may take 3 to 5 more days to show it."
)


def prompt(run: int = 0) -> list[dict]:
    """The timed request: a grounded-answer-sized prompt (~300 tokens). ``run`` changes its first tokens, so
    llama.cpp's prompt cache cannot skip the prefill of a repeated run."""
    return [
        {"role": "system", "content": f"Session {run}. You are a helpful shop assistant."},
        {"role": "user", "content": f"<sources>\n{SOURCES}\n</sources>\n\nQuestion: Explain in detail how a "
                                    "customer can return an item bought online, step by step."},
    ]


PROMPT = prompt()


@contextlib.contextmanager
def busy_cores(n: int):
    """``n`` processes that spin until the block ends (0: nothing)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.5 if n else 0)
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def timed(llm, max_tokens: int, run: int = 0) -> tuple[float, float, float]:
    """(time to the first piece, pieces per second after it, prefill tokens/s) of Kefu's backend on the prompt."""
    start = time.perf_counter()
    stamps = [time.perf_counter() - start for piece in llm.stream(prompt(run), max_new_tokens=max_tokens) if piece]
    if len(stamps) < 2:
        return (stamps[0] if stamps else float("nan")), float("nan"), float("nan")
    return stamps[0], (len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-9), prefill_rate(llm.last_timings)


def time_raw(server, max_tokens: int, run: int = 0) -> tuple[float, float, float]:
    """:func:`timed` for the same request straight through xllamacpp (its callback stamps each piece)."""
    from bot.llm.llamacpp import chunk_text, request

    stamps, timings = [], {}
    start = time.perf_counter()

    def on_chunk(chunk) -> bool:
        if chunk_text(chunk):
            stamps.append(time.perf_counter() - start)
        timings.update(chunk.get("timings") or {})
        return False

    server.handle_chat_completions(request(prompt(run), max_tokens), on_chunk)
    if len(stamps) < 2:
        return float("nan"), float("nan"), float("nan")
    return stamps[0], (len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-9), prefill_rate(timings)


def prefill_rate(timings: dict) -> float:
    """Prompt tokens per second as llama.cpp counted them (nan when the prompt came from its cache)."""
    n, ms = timings.get("prompt_n") or 0, timings.get("prompt_ms") or 0.0
    return n / ms * 1000 if n > 8 and ms > 0 else float("nan")


def raw_server(path, threads: int, n_ctx: int = 4096):
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    return xllamacpp.Server(params)


def medians(runs: list[tuple[float, float, float]], load: float) -> dict[str, float]:
    def median(i: int) -> float:
        values = [r[i] for r in runs if r[i] == r[i]]  # nan-free
        return statistics.median(values) if values else float("nan")

    return {"load_s": load, "ttft_s": median(0), "decode_tokens_per_s": median(1), "prefill_tokens_per_s": median(2)}


def thread_rows(busy: int = 0, threads: tuple[int, ...] = (1, 2), reps: int = 3, max_tokens: int = 96) -> dict:
    """``{row: {metric: value}}`` for Kefu's backend and raw xllamacpp at each thread count,
    with ``busy`` spinning processes running meanwhile."""
    from bot.llm.hf import bundled_gguf_path
    from bot.llm.llamacpp import LlamaCppLLM

    path = bundled_gguf_path()
    label = f"{busy} busy" if busy else "idle"
    rows: dict[str, dict[str, float]] = {}
    with busy_cores(busy):
        for n in threads:
            t0 = time.perf_counter()
            kefu = LlamaCppLLM("bundled", threads=n)
            kefu.warm()
            kefu_load = time.perf_counter() - t0
            t0 = time.perf_counter()
            raw = raw_server(path, n)
            raw_load = time.perf_counter() - t0
            k_runs, r_runs = [], []
            for rep in range(reps):  # alternate, so drift in the machine's load hits both alike
                k_runs.append(timed(kefu, max_tokens, rep))
                r_runs.append(time_raw(raw, max_tokens, rep))
            k, r = medians(k_runs, kefu_load), medians(r_runs, raw_load)
            rows[f"kefu llama.cpp {n} thread(s), {label}"] = k
            rows[f"raw xllamacpp {n} thread(s), {label}"] = r
            rows[f"kefu/raw {n} thread(s), {label}"] = {m: k[m] / r[m] for m in k}
            del kefu, raw
    return rows
