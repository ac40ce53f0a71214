"""The shipped sentiment pipeline (specs ``bundled``, ``minilm`` and their ``:PATH`` forms).

Each text goes to the English or the Chinese model by :func:`~bot.sentiment.base.is_chinese`:

- English: SmolLM2-135M-Instruct label-word scores + LoRA adapter
  (:mod:`bot.sentiment.smollm2`, the default) or MiniLM + LoRA adapter
  (:mod:`bot.sentiment.minilm`, spec ``minilm``);
- Chinese: hashed character n-grams + logistic regression (:mod:`bot.sentiment.zh`).

English questions under SmolLM2 go to the MiniLM adapter: SmolLM2 scores "When will the sale
end?" as negative as "Why did you send me a broken phone?" (logit ≈ −6.7 for both), so no
damping separates them, while MiniLM + damping keeps plain questions neutral and angry ones
negative. Every question, in either language, is then damped
(:func:`~bot.sentiment.base.damp`).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from bot.sentiment.base import (
    EN_ADAPTER_PATH,
    EN_LLM_ADAPTER_PATH,
    ENGLISH_KINDS,
    QUESTION_DAMPING,
    SentimentModel,
    damp,
    is_chinese,
    is_question,
    require_file,
    three_way,
)


def adapter_kind(path: Path) -> str:
    """``"smollm2"`` or ``"minilm"``, from an English adapter file's safetensors metadata."""
    from safetensors import safe_open

    require_file(path, "English sentiment adapter")
    with safe_open(str(path), framework="np") as f:  # metadata only: no torch import
        base = (f.metadata() or {}).get("base", "")
    return "smollm2" if base.startswith("SmolLM2") else "minilm"


class BundledSentiment(SentimentModel):
    """The shipped models; each text goes to the English or the Chinese one by ``is_chinese``.

    ``english`` is ``"smollm2"`` (default) or ``"minilm"``; with only ``adapter_path`` given,
    the kind is read from the file when it is first needed. Weights load on first use
    (thread-safe); ``cache_dir`` is where the dequantised SmolLM2 lives (default
    ``$KEFU_DATA_DIR/models``). ``adapter_path`` and ``zh_path`` default to the files in
    ``bot/sentiment/models``.

    English questions (``is_question``) under a SmolLM2 adapter go to a MiniLM adapter
    (``question_adapter``; default: the MiniLM sibling of a cross-fitted SmolLM2 adapter —
    ``crossfit/sentiment_en_smollm2_no-X`` → ``crossfit/sentiment_en_no-X`` — else the shipped
    MiniLM adapter; ``"same"`` keeps them on SmolLM2), see the module docstring.
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

    def _load_english(self) -> None:
        """Load the English model (and the one for English questions); called under the lock."""
        from bot.sentiment.minilm import AdaptedEncoder

        kind = self.english_kind or adapter_kind(self.adapter_path)
        if kind == "smollm2":
            from bot.sentiment.smollm2 import SmolSentiment

            english = SmolSentiment.load(self.adapter_path, cache_root=self.cache_dir,
                                         threads=self.threads, dtype=self.dtype)
            questions = english
            if self.question_adapter != "same":
                questions = self._questions or AdaptedEncoder.load(self.question_adapter_path(), threads=self.threads)
        else:
            english = questions = AdaptedEncoder.load(self.adapter_path, threads=self.threads)
        self.english_kind, self._questions = kind, questions
        self._en = english

    @property
    def english(self):
        if self._en is None:
            with self._lock:
                if self._en is None:
                    self._load_english()
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
        """The English model for questions (the English model itself unless SmolLM2); under
        SmolLM2 the MiniLM question model loads without SmolLM2 (torch), see :meth:`warm_stages`."""
        if self._questions is None:
            with self._lock:
                if self._questions is None:
                    if self._separate_questions():
                        from bot.sentiment.minilm import AdaptedEncoder

                        self._questions = AdaptedEncoder.load(self.question_adapter_path(), threads=self.threads)
                    else:
                        self._load_english()
        return self._questions

    def _separate_questions(self) -> bool:
        """Whether English questions go to a model of their own (a MiniLM one under SmolLM2)."""
        if self.english_kind is None:
            self.english_kind = adapter_kind(self.adapter_path)
        return self.english_kind == "smollm2" and self.question_adapter != "same"

    def warm_stages(self) -> tuple:
        """First what questions need (the MiniLM question model on numpy and the Chinese model:
        the usual first message, answered without importing torch), then the English model for
        statements (SmolLM2 on torch, under the default adapter)."""
        return (lambda: (self.questions, self.chinese), lambda: self.english)

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
            asked = set(questions) if self._separate_questions() else set()
            said = [i for i in en if i not in asked]
            asked_en = [i for i in en if i in asked]
            if said:
                p[said] = self.english.proba_positive([texts[i] for i in said])
            if asked_en:
                p[asked_en] = self.questions.proba_positive([texts[i] for i in asked_en])
        if questions:
            p[questions] = damp(p[questions], np.array([self.damping_for(texts[i]) for i in questions]))
        return p

    def damping_for(self, question: str) -> float:
        """The logit factor for a question: ``question_damping`` in English; in Chinese the
        stronger :data:`~bot.sentiment.base.QUESTION_DAMPING_ZH` unless it carries a complaint
        cue, then none (:func:`bot.sentiment.zh.question_damping`)."""
        if is_chinese(question):
            from bot.sentiment.zh import question_damping

            return question_damping(question)
        return self.question_damping

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return three_way(self.proba_positive(list(texts)))
