"""GGUF chat models run in-process by llama.cpp (``xllamacpp``): the default local backend.

``KEFU_LLM=bundled`` runs the bundled SmolLM2-135M-Instruct Q4_1 file as it ships (no
dequantised copy, no torch on the generation path); ``gguf:PATH`` / ``llamacpp:PATH`` any other
GGUF file. ``xllamacpp`` has prebuilt CPU wheels, so nothing compiles at install time.

Figures (2 shared cores, ``python -m benchmarks.latency`` / ``benchmarks.load``): the model
loads in about a second and decodes several times faster than the transformers fp32 backend.
One llama.cpp thread is the default on small machines (:func:`bot.cpu_threads.auto_threads`): with
two threads on a 2-core box that other processes also use, each matrix product waits at a barrier
for the descheduled thread and decoding collapsed from ~65-125 to 3-40 tokens/s; one thread loses
little when idle and holds up under load. Idle workers sleep (``poll = 0``) rather than spin on
cores other processes need. ``KEFU_LLM_THREADS`` overrides it.

Like the transformers backend: one generation at a time (a request waits at most
``queue_wait`` seconds for its turn, then fails with :class:`~bot.llm.LLMError` and the caller
answers extractively), greedy decoding with the same repetition penalty (1.15 over the whole
context), the chat template stored in the GGUF, and generation stops at the next token once the
consumer stops reading. Replies can still differ in wording from the transformers backend
(llama.cpp multiplies Q4_1 weights with 8-bit-quantised activations, not in fp32); every sentence
still goes through the same grounding checks.

llama.cpp's server engine also opens an HTTP listener on 127.0.0.1 (a random port); it is given
a random API key so that nothing else on the machine can use it. Kefu calls it in-process only.
"""

from __future__ import annotations

import os
import queue
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.cpu_threads import auto_threads
from bot.llm.base import LLM, LLMError, wait_for_turn

XLLAMACPP_PIN = "xllamacpp==2026.10.11549"
REPEAT_PENALTY = 1.15
_END = object()  # the worker's last queue item


def resolve_gguf(spec: str) -> Path:
    """The GGUF file for a ``KEFU_LLM`` value: ``bundled``/``llamacpp`` → the bundled model;
    ``gguf:PATH``/``llamacpp:PATH`` → that file."""
    from bot.llm.hf import bundled_gguf_path

    rest = spec.split(":", 1)[1] if ":" in spec else ""
    if not rest or rest == "bundled":
        return bundled_gguf_path()
    path = Path(rest).expanduser()
    if not path.is_file():
        raise LLMError(f"no GGUF file at {path}")
    return path


def server_params(path: Path, threads: int, n_ctx: int, api_key: str):
    """llama.cpp server parameters: one slot, ``threads`` for prompt and decoding, no polling."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1  # Kefu serialises generations itself (wait_for_turn)
    for cpu in (params.cpuparams, params.cpuparams_batch):
        cpu.n_threads = threads
        cpu.poll = 0  # idle workers sleep instead of spinning on cores other processes need
    params.api_keys = [api_key]
    params.verbosity = -1
    return params


def request(messages: list[dict], max_new_tokens: int, n_ctx: int = 4096) -> dict:
    """The chat-completion request: greedy, streamed, with the transformers backend's repetition
    penalty over the whole context (prompt included), as transformers applies it; with
    llama.cpp's default window (the last 64 tokens) the small model's replies drifted from the
    sources more often. ``-1`` ("whole context") returned empty replies, hence ``n_ctx``."""
    return {"messages": messages, "max_tokens": max_new_tokens, "stream": True, "temperature": 0.0,
            "top_k": 1, "repeat_penalty": REPEAT_PENALTY, "repeat_last_n": n_ctx, "seed": 0}


def chunk_text(chunk: dict) -> str:
    """The text of one streamed chunk; :class:`LLMError` for an error chunk."""
    if "error" in chunk or ("code" in chunk and "message" in chunk):
        err = chunk.get("error", chunk)
        raise LLMError(f"generation failed: {err.get('message', err) if isinstance(err, dict) else err}")
    return "".join((c.get("delta") or {}).get("content") or "" for c in chunk.get("choices") or [])


def stream_chunks(server, body: dict, timeout: float) -> Iterator[dict]:
    """Run ``body`` on ``server`` on a worker thread and yield its chunks as they come.

    llama.cpp calls back once per token on the worker; the callback's return value asks it to
    stop, so closing this generator stops generation at the next token. Waiting more than
    ``timeout`` seconds for a chunk raises :class:`LLMError`.
    """
    chunks: queue.Queue = queue.Queue()
    stop = threading.Event()

    def on_chunk(chunk) -> bool:
        chunks.put(chunk)
        return stop.is_set()

    def run() -> None:
        try:
            server.handle_chat_completions(body, on_chunk)
        except BaseException as exc:  # surfaced to the reader below
            chunks.put(exc)
        finally:
            chunks.put(_END)

    worker = threading.Thread(target=run, daemon=True, name="kefu-llamacpp")
    worker.start()
    try:
        while True:
            try:
                item = chunks.get(timeout=timeout)
            except queue.Empty as exc:
                raise LLMError(f"generation stalled for {timeout:.0f} s") from exc
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise LLMError(f"generation failed: {item}") from item
            yield item
    finally:
        stop.set()  # also reached when the consumer closes this generator early
        worker.join(timeout)


class LlamaCppLLM(LLM):
    """A GGUF chat model under llama.cpp, in this process; streams token pieces."""

    def __init__(self, spec: str = "bundled", threads: int = 0, timeout: float = 60.0, n_ctx: int = 4096,
                 queue_wait: float | None = None):
        self.spec = spec
        self.name = spec
        self.threads = threads or auto_threads()  # KEFU_LLM_THREADS; 0 = auto
        self.timeout = timeout
        self.queue_wait = timeout if queue_wait is None else queue_wait  # KEFU_LLM_QUEUE_WAIT
        self.n_ctx = n_ctx
        self.api_key = secrets.token_urlsafe(24)  # for the server's HTTP listener, which Kefu does not use
        self._model = None  # the xllamacpp.Server
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self.last_timings: dict = {}  # llama.cpp's timings of the last finished generation (prompt_n, prompt_ms, …)

    def warm(self) -> None:
        self._ensure()

    def _ensure(self):
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                path = resolve_gguf(self.spec)
                try:
                    import xllamacpp
                except ImportError as exc:
                    raise LLMError(f"KEFU_LLM={self.spec} needs llama.cpp: pip install {XLLAMACPP_PIN}") from exc
                try:
                    self._model = xllamacpp.Server(server_params(path, self.threads, self.n_ctx, self.api_key))
                except (RuntimeError, ValueError) as exc:
                    raise LLMError(f"llama.cpp could not load {path}: {exc}") from exc
        return self._model

    def stream(self, messages: list[dict], max_new_tokens: int = 120) -> Iterator[str]:
        server = self._ensure()
        wait_for_turn(self._gen_lock, self.queue_wait)
        try:
            for chunk in stream_chunks(server, request(messages, max_new_tokens, self.n_ctx), self.timeout):
                if chunk.get("timings"):  # the last chunk: llama.cpp's own prompt/decode counts and times
                    self.last_timings = chunk["timings"]
                piece = chunk_text(chunk)
                if piece:
                    yield piece
        finally:
            self._gen_lock.release()
