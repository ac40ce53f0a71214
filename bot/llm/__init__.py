"""Chat models: the :class:`LLM` interface (:mod:`.base`), one module per backend, and
:func:`make_llm` (:mod:`.factory`), which picks the backend named by ``KEFU_LLM``."""

from bot.llm.base import LLM, LLMError, wait_for_turn
from bot.llm.factory import make_llm
from bot.llm.fake import FakeLLM

__all__ = ["LLM", "LLMError", "FakeLLM", "make_llm", "wait_for_turn"]
