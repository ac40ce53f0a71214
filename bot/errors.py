"""Errors shared across the bot package (kept apart so any module can raise them)."""


class BadInput(ValueError):
    """The request cannot be served as given; the message is shown to the client as is."""


class TooLong(BadInput):
    """The message is over KEFU_MAX_MESSAGE_CHARS (HTTP answers 413 rather than 422)."""
