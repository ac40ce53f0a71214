"""The bundled (or any) GGUF model run natively by llama.cpp (``llama-cpp-python``).

``KEFU_LLM=llamacpp`` runs the bundled SmolLM2-135M-Instruct Q4_1 file as it ships — no
dequantised copy, no torch on the generation path — and ``KEFU_LLM=llamacpp:PATH`` any other
GGUF file. Measured on 2 CPU cores (``python -m benchmarks.latency``): ~7× the transformers
backend's decode speed on the same model. The chat template is the one stored in the GGUF.

Trade-off: ``llama-cpp-python`` has no CPU wheel on PyPI, so ``pip`` compiles it (about
8 minutes, needs a C++ compiler and cmake); it is therefore an opt-in backend, not the
default. Its Q4_1 arithmetic is not the transformers fp32 arithmetic, so replies can differ
in wording (every sentence still goes through the same grounding checks).

Like the transformers backend: one generation at a time (a request waits at most
``queue_wait`` seconds for its turn, default ``timeout``, then fails with :class:`~bot.llm.LLMError` and the caller
answers extractively), greedy decoding with the same repetition penalty, and generation stops
as soon as the consumer stops reading (llama.cpp decodes one token per ``next``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.llm.base import LLM, LLMError, wait_for_turn


def resolve_gguf(spec: str) -> Path:
    """The GGUF file for ``llamacpp`` (the bundled model) or ``llamacpp:PATH``."""
    from bot.llm.hf import bundled_gguf_path

    rest = spec.split(":", 1)[1] if ":" in spec else ""
    if not rest or rest == "bundled":
        return bundled_gguf_path()
    path = Path(rest).expanduser()
    if not path.is_file():
        raise LLMError(f"no GGUF file at {path}")
    return path


class LlamaCppLLM(LLM):
    """A GGUF chat model under llama.cpp; streams token pieces."""

    def __init__(self, spec: str = "llamacpp", threads: int = 0, timeout: float = 60.0, n_ctx: int = 4096,
                 queue_wait: float | None = None):
        self.spec = spec
        self.name = spec
        self.threads = threads or (os.cpu_count() or 1)
        self.timeout = timeout
        self.queue_wait = timeout if queue_wait is None else queue_wait
        self.n_ctx = n_ctx
        self._model = None
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()

    def warm(self) -> None:
        self._ensure()

    def _ensure(self):
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                try:
                    from llama_cpp import Llama
                except ImportError as exc:
                    raise LLMError(
                        "KEFU_LLM=llamacpp needs llama-cpp-python: pip install llama-cpp-python==0.3.36"
                    ) from exc
                path = resolve_gguf(self.spec)
                self._model = Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.threads,
                                    seed=0, verbose=False)
        return self._model

    def stream(self, messages: list[dict], max_new_tokens: int = 120) -> Iterator[str]:
        model = self._ensure()
        wait_for_turn(self._gen_lock, self.queue_wait)
        try:
            try:
                chunks = model.create_chat_completion(
                    messages=messages, max_tokens=max_new_tokens, temperature=0.0, top_k=1,
                    repeat_penalty=1.15, stream=True,
                )
                for chunk in chunks:
                    piece = chunk["choices"][0].get("delta", {}).get("content")
                    if piece:
                        yield piece
            except (ValueError, RuntimeError) as exc:  # e.g. prompt longer than the context
                raise LLMError(f"generation failed: {exc}") from exc
        finally:
            self._gen_lock.release()
