"""The bundled embedder (all-MiniLM-L6-v2 under torch) per torch thread count, idle or with the cores busy.

Used by :mod:`benchmarks.latency` (idle) and :mod:`benchmarks.load` (``busy``). Every chat turn
embeds the question and scores the candidate sentences with this model, so its latency is the
floor of a turn that needs no generation. Rows ``torch N thread(s), LABEL``: ``query_p50_s`` (one
question), ``sentences_p50_s`` (a batch of 12 sentences, as the passage scorer sends); the ratio
row divides the auto choice (:func:`bot.cpu_threads.torch_threads`) by torch's own default (all cores).
"""

from __future__ import annotations

import os
import statistics
import time

QUESTION = "How long does standard shipping take to Canada, and what does it cost?"
SENTENCES = [f"Sentence {i}: most items can be returned within 30 days of delivery for a full refund." for i in range(12)]


def torch_rows(busy: int = 0, reps: int = 7) -> dict[str, dict[str, float]]:
    """``{row: {metric: seconds}}`` for 1 thread and for all cores, alternating, ``busy`` spinners meanwhile."""
    import torch

    from benchmarks.llamacpp_threads import busy_cores
    from bot.cpu_threads import torch_threads
    from knowledge.embedder import make_embedder

    embedder = make_embedder("bundled")
    embedder.embed_query("warm up")
    before = torch.get_num_threads()
    label = f"{busy} busy" if busy else "idle"
    counts = sorted({1, os.cpu_count() or 1})
    runs: dict[int, tuple[list[float], list[float]]] = {n: ([], []) for n in counts}
    try:
        with busy_cores(busy):
            for _ in range(reps):
                for n in counts:  # alternate, so drift in the machine's load hits both alike
                    torch.set_num_threads(n)
                    t0 = time.perf_counter()
                    embedder.embed_query(QUESTION)
                    t1 = time.perf_counter()
                    embedder.embed_documents(SENTENCES)
                    runs[n][0].append(t1 - t0)
                    runs[n][1].append(time.perf_counter() - t1)
    finally:
        torch.set_num_threads(before)
    rows = {f"torch {n} thread(s), {label}": {"query_p50_s": statistics.median(q), "sentences_p50_s": statistics.median(s)}
            for n, (q, s) in runs.items()}
    auto, default = torch_threads(0) or max(counts), max(counts)
    if auto != default:
        a, d = rows[f"torch {auto} thread(s), {label}"], rows[f"torch {default} thread(s), {label}"]
        rows[f"torch auto/default, {label}"] = {k: a[k] / d[k] for k in a}
    return rows
