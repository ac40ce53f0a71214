"""The sentiment seam: :class:`SentimentModel`, its :class:`Sentiment` result, and the helpers
every model shares (language and question tests, the neutral band, question damping).

Every model implements one method, :meth:`SentimentModel.predict_proba`, returning
calibrated ``[P(negative), P(neutral), P(positive)]`` per text; :meth:`~SentimentModel.score`
and :meth:`~SentimentModel.score_many` build :class:`Sentiment` results on it. The models
live one per module beside this one; :func:`bot.sentiment.factory.make_sentiment_model`
picks one from the ``KEFU_SENTIMENT_MODEL`` setting.

Neutral: the bundled models are trained on binary (positive/negative) data only, so
neutral is derived from the calibrated binary probability ``p = P(positive)``: with
``confidence = |2p − 1|`` and ``w = min(1, confidence / NEUTRAL_BAND)`` the three-way
probabilities are ``[(1 − p)·w, 1 − w, p·w]`` (:func:`three_way`). A text the model cannot
call either way (p near 0.5) is neutral; a confident one keeps its binary probabilities.
``polarity`` is ``P(pos) − P(neg)``.

Questions: the bundled models learnt from opinionated reviews, where a question is usually a
complaint ("what were they thinking?"), so they read plain shopper questions ("where is my
order?", "请问什么时候发货？") as confidently positive or negative. For a message that
:func:`is_question`, the bundled model multiplies the logit of P(positive) by
``QUESTION_DAMPING`` (:func:`damp`; a fixed prior, not tuned on any evaluation file; the
sign, hence binary accuracy, is unchanged): plain questions fall into the neutral band while
an angry question stays negative.

A request for a person ("I want to talk to a person", "转人工") is never scored positive (the
polite words of "can I speak to a human, please" read warm to the models): its positive mass
goes to neutral (:func:`without_warmth`); the handoff itself is the router's, not the mood's.

Importing this module loads no model and no torch.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

LABELS = ("negative", "neutral", "positive")
NEUTRAL_BAND = 0.5
QUESTION_DAMPING = 0.25
# A Chinese question with no complaint cue (bot.sentiment.zh.complaint_cue): the character
# n-gram model reads topic words as opinion (退货, 发货, 客服 come from complaints in reviews),
# so its logits on plain questions are as large as on complaints; a fixed prior, not tuned on an
# evaluation file: only |logit| > 6.2 (P below 0.2%) still leaves the neutral band. Sign kept.
QUESTION_DAMPING_ZH = 0.1
MODELS_DIR = Path(__file__).resolve().parent / "models"
EN_ADAPTER_PATH = MODELS_DIR / "sentiment_en.safetensors"  # MiniLM (spec ``minilm``)
EN_LLM_ADAPTER_PATH = MODELS_DIR / "sentiment_en_smollm2.safetensors"  # SmolLM2 (``bundled``)
ENGLISH_KINDS = ("smollm2", "minilm")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class Sentiment:
    """One text's sentiment: ``label`` ("negative" | "neutral" | "positive"), ``score`` the
    calibrated probability of that label (0..1), ``polarity`` = P(pos) − P(neg) (−1..1)."""

    label: str
    score: float
    polarity: float

    def to_dict(self) -> dict:
        return asdict(self)


def is_chinese(text: str, threshold: float = 0.5) -> bool:
    """Whether a message is Chinese: CJK characters / (CJK characters + Latin words) ≥ threshold.

    >>> is_chinese("这个手机壳质量很好"), is_chinese("great phone case"), is_chinese("iPhone 屏幕坏了")
    (True, False, True)
    """
    cjk = len(_CJK.findall(text))
    if not cjk:
        return False
    return cjk / (cjk + len(_LATIN_WORD.findall(text))) >= threshold


_QUESTION_START = re.compile(
    r"^\s*(?:what|where|when|how|why|who|which|whose|do|does|did|can|could|is|are|was|were|"
    r"will|would|should|may|might|have|has|shall)\b|^\s*(?:请问|请教|问一下|能不能|可不可以|有没有|是不是)",
    re.IGNORECASE,
)


# Chinese asks with a question word anywhere, often without "？" ("怎么退货", "运费多少").
# Only unambiguous ones: "几天" and a bare "什么" also occur in statements ("买了几天就坏了"), and
# "不怎么样" (not great), "不知道为什么" (no idea why) are statements.
_ZH_INTERROGATIVE = re.compile(
    r"什么时候|什么时间|(?<!不知道)为什么|(?<!不知道)为何|(?<![不没])怎么|(?<!不)怎样|如何|"
    r"哪里|哪儿|哪个|哪些|哪款|哪种|哪家|多少|多久|多长时间|"
    r"是否|能否|可否|有没有|是不是|能不能|可不可以|会不会|要不要|支不支持|行不行|对不对|好不好|够不够|"
    # colloquial: 啥/咋 (what/how: "退到啥时候", "咋办"), and 几 + a measure word after a modal or
    # an estimate ("要几天", "最少要几位", "最多能存几个", "几天能到") — "买了几天就坏了" has neither
    r"啥|咋|(?:要|能|可以|最多|最少|大概|大约|一般|得|需要|有)[\u4e00-\u9fff]?几[个天位台次件种年月周小岁]|几[个天位台次件种]能"
)
# a Chinese question closed by a bare 不 ("能用比特币付款不", "有货不")
_ZH_TAG_QUESTION = re.compile(r"[\u4e00-\u9fff]{2,}[不没]$")


def is_question(text: str) -> bool:
    """A question: ends with ?/？ or 吗/呢/么, opens with an interrogative word, or (Chinese)
    carries a question word or a question mark anywhere, or closes with a bare 不/没.

    >>> is_question("Do you ship to Canada"), is_question("请问什么时候发货"), is_question("I love it")
    (True, True, False)
    >>> is_question("怎么退货"), is_question("运费多少"), is_question("太差了")
    (True, True, False)
    >>> is_question("退款几天能到"), is_question("能用比特币付款不"), is_question("买了几天就坏了")
    (True, True, False)
    """
    stripped = text.strip().rstrip(".!。！~ ")
    if not stripped:
        return False
    if stripped[-1] in "?？吗呢么" or _QUESTION_START.match(stripped):
        return True
    if not is_chinese(stripped):
        return False
    return "？" in stripped or "?" in stripped or bool(_ZH_INTERROGATIVE.search(stripped) or _ZH_TAG_QUESTION.search(stripped))


_CLITIC = re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", re.IGNORECASE)
_SPACE_PUNCT = re.compile(r" ([,.!?;:%)])")
_PTB = {"-lrb-": "(", "-rrb-": ")", "``": '"', "''": '"', "( ": "("}


def detokenize(text: str) -> str:
    """Undo Penn-Treebank tokenisation (as in SST-2), a no-op on ordinary text.

    Subword tokenisers split "does n't" and "doesn't" differently, so tokenised input would
    look unlike the training text.

    >>> detokenize("it does n't work , sadly -lrb- really -rrb- .")
    "it doesn't work, sadly (really)."
    """
    for ptb, plain in _PTB.items():
        text = text.replace(ptb, plain)
    return _SPACE_PUNCT.sub(r"\1", _CLITIC.sub(r"\1", text)).strip()


def damp(p_pos: np.ndarray, factor: float) -> np.ndarray:
    """Shrink probabilities toward 0.5 by scaling their logit: sigmoid(factor · logit(p)).

    >>> damp(np.array([0.5, 0.88080]), 0.5).round(3).tolist()
    [0.5, 0.731]
    """
    p = np.clip(np.asarray(p_pos, dtype=np.float64), 1e-9, 1 - 1e-9)
    return 1.0 / (1.0 + np.exp(-factor * np.log(p / (1 - p))))


def three_way(p_pos: np.ndarray, band: float = NEUTRAL_BAND) -> np.ndarray:
    """Binary P(positive), shape (n,), → [neg, neu, pos] probabilities, shape (n, 3).

    >>> three_way(np.array([0.5, 0.95, 0.1])).round(2).tolist()
    [[0.0, 1.0, 0.0], [0.05, 0.0, 0.95], [0.9, 0.0, 0.1]]
    """
    p = np.clip(np.asarray(p_pos, dtype=np.float64), 0.0, 1.0)
    w = np.minimum(1.0, np.abs(2 * p - 1) / band)
    return np.stack([(1 - p) * w, 1 - w, p * w], axis=1)


def to_sentiment(probs: np.ndarray) -> Sentiment:
    """A row ``[P(neg), P(neu), P(pos)]`` → :class:`Sentiment`."""
    i = int(np.argmax(probs))
    return Sentiment(LABELS[i], round(float(probs[i]), 4), round(float(probs[2] - probs[0]), 4))


def require_file(path: Path, what: str, train_args: str = "") -> None:
    """Raise ``FileNotFoundError`` naming the command that writes ``path`` when it is missing."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{what} missing: {path} (run: python -m bot.sentiment train{train_args})")


def asks_for_person(text: str) -> bool:
    """Whether ``text`` asks for a human ("I want to talk to a person", "转人工"), by the same
    rule the handoff desk uses (:func:`desk.escalation.human_request`).

    >>> asks_for_person("can I speak to a human"), asks_for_person("is this real leather?")
    (True, False)
    """
    from desk.escalation import human_request

    return bool(human_request(text))


def without_warmth(probs: np.ndarray) -> np.ndarray:
    """A row ``[neg, neu, pos]`` with its positive mass moved to neutral: a request for a person
    is never a happy message, whatever its polite words ("I'd like to talk to someone, please").
    The negative mass is kept, so "this bot is useless, get me a human" stays negative.

    >>> without_warmth(np.array([0.1, 0.2, 0.7])).round(2).tolist()
    [0.1, 0.9, 0.0]
    """
    row = np.asarray(probs, dtype=np.float64)
    return np.array([row[0], row[1] + row[2], 0.0])


class SentimentModel(ABC):
    """Interface: ``predict_proba(texts) -> (n, 3)`` calibrated [negative, neutral, positive].

    :meth:`score_many` reads a request for a person (:func:`asks_for_person`) as neutral or
    negative (:func:`without_warmth`); ``predict_proba`` stays the model's own reading."""

    name: str = "sentiment"

    @abstractmethod
    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities, shape (len(texts), 3), rows summing to 1, columns as :data:`LABELS`."""

    def score_many(self, texts: list[str]) -> list[Sentiment]:
        if not texts:
            return []
        texts = list(texts)
        rows = self.predict_proba(texts)
        return [to_sentiment(without_warmth(row) if asks_for_person(t) else row) for t, row in zip(texts, rows)]

    def score(self, text: str) -> Sentiment:
        return self.score_many([text])[0]

    def warm_stages(self) -> tuple:
        """Loads to run before the first answer, in order: ``stages[0]`` what a shopper's question
        needs, the rest (if any) after the service is ready (a text that needs a later stage
        loads it on first use). By default one stage: the whole model."""
        return (lambda: self.score("warm up"),)


def warm_stages(model) -> tuple:
    """``model.warm_stages()`` for a :class:`SentimentModel`; one stage (a first score) for any
    other object with ``score``."""
    if isinstance(model, SentimentModel):
        return model.warm_stages()
    return (lambda: model.score("warm up"),)


class BinaryScorer(ABC):
    """One language model inside the bundled pipeline: texts → raw logits of P(positive),
    calibrated by a temperature fitted at training time."""

    temperature: float = 1.0

    @abstractmethod
    def logits(self, texts: list[str]) -> np.ndarray:
        """Uncalibrated logits, shape (n,)."""

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """Calibrated P(positive) = sigmoid(logit / temperature), shape (n,)."""
        if not texts:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-self.logits(list(texts)) / self.temperature))
