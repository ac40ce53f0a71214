"""Shopper sentiment: the :class:`SentimentModel` interface, one module per model, one factory.

``python -m bot.sentiment evaluate FILE`` scores a labelled file (see :mod:`bot.sentiment.base`).
"""

from bot.sentiment.base import Sentiment, SentimentModel, make_sentiment_model

__all__ = ["Sentiment", "SentimentModel", "make_sentiment_model"]
