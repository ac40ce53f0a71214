"""Any Hugging Face sequence-classification model as a sentiment model (local files only).

The ``KEFU_SENTIMENT_MODEL`` value that names no bundled model is taken as a model id or
path; its labels are folded onto negative/neutral/positive by :func:`label_map`.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from bot.sentiment.base import SentimentModel, three_way


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
