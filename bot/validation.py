"""What a shopper's message and ids may look like: one set of limits for every entry point.

The HTTP models (web/api.py, web/openai_api.py), the Gradio pages and the chat service all
check against these, so a message or id refused on one route is refused on all of them.

    >>> valid_id("s-1", SESSION_ID_MAX), valid_id("", SESSION_ID_MAX), valid_id("x" * 65, SESSION_ID_MAX)
    (True, False, False)
    >>> check_message("  hi  ", 10)
    'hi'
"""

from __future__ import annotations

from bot.errors import BadInput, TooLong

SESSION_ID_MAX = 64
USER_ID_MAX = 128
ITEM_ID_MAX = 128


def valid_id(value, limit: int) -> bool:
    """A string of 1 to ``limit`` characters."""
    return isinstance(value, str) and 0 < len(value) <= limit


def id_or_none(value, limit: int) -> str | None:
    """``value`` when it is a valid id, else None (for sources that cannot be refused, like a page's URL)."""
    return value if valid_id(value, limit) else None


def check_id(value, what: str, limit: int) -> str | None:
    """``value`` (None allowed); raises :class:`BadInput` when it is not a valid id."""
    if value is not None and not valid_id(value, limit):
        raise BadInput(f"{what} must be a string of 1 to {limit} characters")
    return value


def check_message(message, max_chars: int) -> str:
    """The message, stripped; raises :class:`BadInput` when it is not a string, empty or over ``max_chars``."""
    if not isinstance(message, str):
        raise BadInput("message must be a string")
    text = message.strip()
    if not text:
        raise BadInput("message is empty")
    if len(text) > max_chars:
        raise TooLong(f"message is too long ({len(text)} characters; the limit is {max_chars})")
    return text
