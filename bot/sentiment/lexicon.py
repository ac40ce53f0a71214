"""The ``fake`` sentiment model: a tiny English/Chinese word list, for fast tests and demos.

Example::

    >>> model = LexiconSentiment()
    >>> model.score("I love it, great quality").label, model.score("这个太差了").label
    ('positive', 'negative')
"""

from __future__ import annotations

import re

import numpy as np

from bot.sentiment.base import SentimentModel, damp, is_chinese, is_question, three_way

_POS_WORDS = {
    "good", "great", "excellent", "love", "loved", "like", "nice", "perfect", "happy", "thanks",
    "thank", "awesome", "amazing", "best", "fast", "recommend", "works", "fine", "wonderful",
    "好", "棒", "喜欢", "满意", "推荐", "快", "赞", "不错", "谢谢", "完美",
}
_NEG_WORDS = {
    "bad", "terrible", "awful", "hate", "broken", "worst", "poor", "slow", "angry", "refund",
    "useless", "disappointed", "never", "late", "wrong", "damaged", "horrible", "ridiculous",
    "差", "烂", "坏", "慢", "退货", "失望", "垃圾", "生气", "骗", "破",
}
_NEGATORS = {"not", "no", "don't", "didn't", "isn't", "wasn't", "never", "不", "没", "没有"}
_LEX_TOKEN = re.compile(r"[a-z']+|不错|喜欢|满意|推荐|谢谢|完美|退货|失望|垃圾|生气|没有|[\u4e00-\u9fff]")


class LexiconSentiment(SentimentModel):
    """Word-count sentiment with one-word negation, English and Chinese (setting ``fake``).

    Fast and dependency-free, for unit tests and demos; not a quality model.
    ``p = sigmoid(1.5 · (positives − negatives))``, then :func:`~bot.sentiment.base.three_way`;
    Chinese questions are damped like the bundled model's (:func:`bot.sentiment.zh.question_damping`).
    """

    name = "fake"

    def _p_pos(self, text: str) -> float:
        tokens = _LEX_TOKEN.findall(text.lower())
        total = 0
        for i, tok in enumerate(tokens):
            sign = 1 if tok in _POS_WORDS else -1 if tok in _NEG_WORDS else 0
            if sign and i and tokens[i - 1] in _NEGATORS:
                sign = -sign
            total += sign
        return 1.0 / (1.0 + np.exp(-1.5 * total))

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        from bot.sentiment.zh import question_damping

        p = np.array([self._p_pos(t) for t in texts], dtype=np.float64).reshape(-1)
        for i, t in enumerate(texts):  # a plain Chinese question is neutral, as in the bundled model
            if is_chinese(t) and is_question(t):
                p[i] = damp(p[i : i + 1], question_damping(t))[0]
        return three_way(p)
