"""Shopper sentiment: the :class:`SentimentModel` interface (:mod:`bot.sentiment.base`), one
module per model, and :func:`make_sentiment_model` (:mod:`bot.sentiment.factory`).

``python -m bot.sentiment evaluate FILE`` scores a labelled file and ``python -m bot.sentiment
train`` trains the shipped weights; both live in :mod:`tools.sentiment.cli`.
"""

from bot.sentiment.base import Sentiment, SentimentModel
from bot.sentiment.factory import make_sentiment_model

__all__ = ["Sentiment", "SentimentModel", "make_sentiment_model"]
