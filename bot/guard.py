"""Guardrails around a chat turn: limits, PII redaction, prompt-injection screening, leak filter.

- :meth:`Guard.check_input` runs before anything else: rate limits per session and per
  client address (sliding one-minute window), then PII redaction — what reaches the
  LLM, the logs, the analytics and the stored transcript is the redacted text.
- :meth:`Guard.check_output` runs on the reply: it removes any sentence that repeats the
  system prompt (or a long part of it).

Example::

    >>> Guard(rate_limit_per_minute=100).check_input("mail me at ann@example.com").text
    'mail me at [email]'
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from bot.errors import BadInput


class RateLimited(BadInput):
    """Too many messages; the message says when to try again."""


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_CN_ID = re.compile(r"\b\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]\b")
_CN_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_PHONE = re.compile(r"(?<![\w#])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?!\d)|(?<![\w#])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)")
_INJECTION = re.compile(
    r"ignore (all |the |your )?(previous|prior|above) (instructions|prompts?)|system prompt|"
    r"reveal (your|the) (instructions|prompt)|you are now|developer mode|jailbreak|忽略(之前|以上)",
    re.I,
)


def luhn_ok(digits: str) -> bool:
    """Payment-card checksum: ``luhn_ok("4111111111111111")`` → True."""
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def redact(text: str) -> tuple[str, list[str]]:
    """Text with PII replaced by ``[email]``, ``[card]``, ``[id]``, ``[phone]``; and the kinds found."""
    found: list[str] = []

    def sub(kind: str, pattern: re.Pattern, check=None):
        nonlocal text

        def repl(m: re.Match) -> str:
            if check and not check(m.group(0)):
                return m.group(0)
            found.append(kind)
            return f"[{kind}]"

        text = pattern.sub(repl, text)

    sub("email", _EMAIL)
    sub("id", _CN_ID)
    sub("card", _CARD, lambda s: luhn_ok(re.sub(r"\D", "", s)))
    sub("phone", _CN_MOBILE)
    sub("phone", _PHONE)
    return text, found


@dataclass
class GuardedInput:
    text: str  # redacted: the only form that goes further
    pii: list[str] = field(default_factory=list)
    injection: bool = False


class Guard:
    def __init__(self, rate_limit_per_minute: int = 30):
        self.limit = rate_limit_per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _rate(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            q = self._hits[key]
            while q and now - q[0] > 60:
                q.popleft()
            if len(q) >= self.limit:
                wait = int(60 - (now - q[0])) + 1
                raise RateLimited(f"too many messages: please wait {wait} s and try again")
            q.append(now)

    def check_input(self, text: str, session_id: str | None = None, client: str | None = None) -> GuardedInput:
        if session_id:
            self._rate(f"s:{session_id}")
        if client:
            self._rate(f"c:{client}")
        clean, pii = redact(text)
        return GuardedInput(clean, pii, bool(_INJECTION.search(text)))

    def check_output(self, reply: str, system_prompt: str) -> str:
        """The reply without sentences that quote the system prompt (8+ words in a row)."""
        words = re.findall(r"\w+", system_prompt.lower())
        grams = {" ".join(words[i : i + 8]) for i in range(max(0, len(words) - 7))}
        if not grams:
            return reply
        kept = []
        for sentence in re.split(r"(?<=[.!?])\s+", reply):
            sw = re.findall(r"\w+", sentence.lower())
            if any(" ".join(sw[i : i + 8]) in grams for i in range(max(0, len(sw) - 7))):
                continue
            kept.append(sentence)
        return " ".join(kept).strip()
