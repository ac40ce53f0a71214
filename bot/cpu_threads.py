"""How many threads the local models compute with: one policy for llama.cpp and torch.

On a machine of up to 4 cores that other processes also use, a model that splits every matrix
product over all cores waits at a barrier for whichever of its threads the OS descheduled.
Measured on a shared 2-core box (load average ~10): one all-MiniLM-L6-v2 query took 0.45–1.75 s
with torch's default 2 threads and 0.06 s with 1; llama.cpp decoding fell from ~65 to 3–29
tokens/s with 2 threads (``python -m benchmarks.load --model threads``). One thread per model
loses little on an idle box, and concurrent turns still use every core (one each). So on such
machines ``KEFU_LLM_THREADS=0`` (auto) means one thread for llama.cpp and for torch (the
embedder, the sentiment models, the transformers chat backend) and for numpy's BLAS (the MiniLM
encoders run on numpy before the first answer, :mod:`knowledge.plain_encoder`); above 4 cores
llama.cpp takes half the cores (at most 4) and torch and BLAS keep their own defaults. A value > 0
sets all three.
"""

from __future__ import annotations

import os
import sys

SMALL_MACHINE_CORES = 4


def auto_threads(cores: int | None = None) -> int:
    """llama.cpp threads for ``KEFU_LLM_THREADS=0``: 1 up to 4 cores, else half the cores, at most 4
    (a 135M model gains little beyond that).

    >>> auto_threads(2), auto_threads(4), auto_threads(8), auto_threads(32)
    (1, 1, 4, 4)
    """
    cores = cores or os.cpu_count() or 1
    return 1 if cores <= SMALL_MACHINE_CORES else min(4, cores // 2)


def torch_threads(setting: int = 0, cores: int | None = None) -> int | None:
    """Threads for torch: ``setting`` (``KEFU_LLM_THREADS``) when > 0, else 1 on a machine of up to
    4 cores, else None (torch's default).

    >>> torch_threads(3, cores=2), torch_threads(0, cores=2), torch_threads(0, cores=16)
    (3, 1, None)
    """
    if setting > 0:
        return setting
    cores = cores or os.cpu_count() or 1
    return 1 if cores <= SMALL_MACHINE_CORES else None


def limit_torch_threads(setting: int = 0) -> int | None:
    """Apply :func:`torch_threads` to this process, without importing torch: when torch is loaded
    already its intra-op pool is resized, otherwise ``OMP_NUM_THREADS`` is set for when it loads
    (an ``OMP_NUM_THREADS`` the user exported wins over the automatic choice). Returns the count set."""
    threads = torch_threads(setting)
    if threads is None or (setting <= 0 and "OMP_NUM_THREADS" in os.environ and "torch" not in sys.modules):
        return None
    if "torch" in sys.modules:
        import torch

        if setting <= 0 and os.environ.get("OMP_NUM_THREADS", "").isdigit():
            threads = int(os.environ["OMP_NUM_THREADS"])
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    else:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    limit_blas_threads(threads)
    return threads


def limit_blas_threads(threads: int) -> None:
    """Size the BLAS pool numpy computes with (OpenBLAS reads its variables only when it loads, so
    this goes through ``threadpoolctl``); a no-op where numpy is not loaded yet or none is found."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")
