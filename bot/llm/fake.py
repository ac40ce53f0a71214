"""``KEFU_LLM=fake``: a deterministic model for tests and load runs (no weights)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.llm.base import LLM


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
