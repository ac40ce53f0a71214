"""An OpenAI-compatible chat server as Kefu's model (vLLM, Ollama, TGI, llama.cpp server).

Speaks ``POST {base_url}/chat/completions`` with ``stream: true`` over httpx and parses
the server-sent events; any transport error or timeout becomes :class:`LLMError`, which
the chat service turns into a degraded (extractive) answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from bot.llm.base import LLM, LLMError


class OpenAICompatibleLLM(LLM):
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}"
        self.api_key = api_key
        self.timeout = timeout

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def healthy(self) -> bool:
        import httpx

        try:
            return httpx.get(f"{self.base_url}/models", headers=self._headers(), timeout=3).status_code < 500
        except httpx.HTTPError:
            return False

    def stream(self, messages: list[dict], max_new_tokens: int = 120) -> Iterator[str]:
        import httpx

        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": 0,
            "stream": True,
        }
        try:
            with httpx.stream(
                "POST", f"{self.base_url}/chat/completions", json=body, headers=self._headers(), timeout=self.timeout
            ) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise LLMError(f"LLM server answered {resp.status_code}: {resp.text[:200]}")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        chunk = json.loads(data)
                    except json.JSONDecodeError:
                        continue
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content") or ""
                        if piece:
                            yield piece
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM server unreachable: {type(exc).__name__}") from exc
