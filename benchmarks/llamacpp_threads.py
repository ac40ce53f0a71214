"""Kefu's llama.cpp backend against raw xllamacpp on the same GGUF, per thread count.

Used by :mod:`benchmarks.latency` (idle) and :mod:`benchmarks.load` (``busy``: two other
processes spin on the cores meanwhile, as on a shared 2-core box). For each thread count, the
two are timed alternately on the same prompt, ``reps`` times, and the medians reported:

- ``load_s``: building the server (Kefu: ``LlamaCppLLM.warm()``, import included);
- ``ttft_s``: request to first text piece (prompt processing);
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

PROMPT = [
    {"role": "system", "content": "You are a helpful shop assistant."},
    {"role": "user", "content": "Explain in detail how a customer can return an item bought online, step by step."},
]


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


def timed(pieces) -> tuple[float, float]:
    """(time to the first piece, pieces per second after it) of an iterator of text pieces."""
    start = time.perf_counter()
    stamps = [time.perf_counter() - start for piece in pieces if piece]
    if len(stamps) < 2:
        return (stamps[0] if stamps else float("nan")), float("nan")
    return stamps[0], (len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-9)


def time_raw(server, max_tokens: int) -> tuple[float, float]:
    """:func:`timed` for the same request straight through xllamacpp (its callback stamps each piece)."""
    from bot.llm.llamacpp import chunk_text, request

    stamps = []
    start = time.perf_counter()

    def on_chunk(chunk) -> bool:
        if chunk_text(chunk):
            stamps.append(time.perf_counter() - start)
        return False

    server.handle_chat_completions(request(PROMPT, max_tokens), on_chunk)
    if len(stamps) < 2:
        return float("nan"), float("nan")
    return stamps[0], (len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-9)


def raw_server(path, threads: int, n_ctx: int = 4096):
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.verbosity = -1
    return xllamacpp.Server(params)


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
            for _ in range(reps):  # alternate, so drift in the machine's load hits both alike
                k_runs.append(timed(kefu.stream(PROMPT, max_new_tokens=max_tokens)))
                r_runs.append(time_raw(raw, max_tokens))
            k = {"load_s": kefu_load, "ttft_s": statistics.median(r[0] for r in k_runs),
                 "decode_tokens_per_s": statistics.median(r[1] for r in k_runs)}
            r = {"load_s": raw_load, "ttft_s": statistics.median(x[0] for x in r_runs),
                 "decode_tokens_per_s": statistics.median(x[1] for x in r_runs)}
            rows[f"kefu llama.cpp {n} thread(s), {label}"] = k
            rows[f"raw xllamacpp {n} thread(s), {label}"] = r
            rows[f"kefu/raw {n} thread(s), {label}"] = {m: k[m] / r[m] for m in k}
            del kefu, raw
    return rows
