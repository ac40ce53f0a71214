"""The ``LLM`` interface every chat-model backend implements, and the error they raise.

A backend implements one method, :meth:`LLM.stream`, yielding text pieces for a list
of chat messages (``[{"role": "system"|"user"|"assistant", "content": str}]``);
:meth:`LLM.complete` joins them. Backends are chosen in :mod:`bot.llm.factory`.
"""


from __future__ import annotations

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


