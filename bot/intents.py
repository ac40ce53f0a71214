"""FAQ intent model: a classifier trained on the index's own FAQ phrasings.

Nearest-phrasing retrieval confuses neighbouring intents ("get an invoice" vs "check an
invoice"). A multinomial logistic regression over the same MiniLM vectors, with one
class per FAQ entry and one ``__other__`` class made of every non-FAQ record (products,
policy sections), learns what separates them. Its probability re-ranks retrieved FAQ
entries (``cosine + weight × P(entry)``); the cosine alone still decides abstention and
verbatim answers, so the model can reorder but never make Kefu answer what retrieval
did not find.

Trained from vectors already stored in Chroma (nothing is re-embedded), in about a
second, whenever the index changes. Only the store's own documents are
used — never an evaluation set. The fitted weights are kept on disk
(``<data_dir>/cache/faq-intents-<digest>.npz``, keyed by a digest of the training vectors,
labels and ``C``), so a restart on the same index reads them instead of refitting.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

OTHER = "__other__"


class FaqIntentModel:
    """``P(FAQ entry | question vector)`` over the entries of one index."""

    def __init__(self, C: float = 10.0):
        self.C = C
        self.classes: list[str] = []
        self._coef: np.ndarray | None = None  # (n_classes, dim), or (1, dim) for two classes
        self._intercept: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        return self._coef is not None

    def fit(self, vectors: np.ndarray, labels: list[str]) -> FaqIntentModel:
        from sklearn.linear_model import LogisticRegression

        self._coef = self._intercept = None
        self.classes = []
        if len(set(labels) - {OTHER}) < 2:
            return self
        clf = LogisticRegression(C=self.C, max_iter=2000).fit(np.asarray(vectors, dtype=np.float32), labels)
        self.classes = [str(c) for c in clf.classes_]
        self._coef, self._intercept = np.asarray(clf.coef_), np.asarray(clf.intercept_)
        return self

    def proba(self, vector) -> dict[str, float]:
        """``{doc_id: probability}`` for every FAQ entry, and ``OTHER`` for "not an FAQ question"
        (empty when untrained). Computed as scikit-learn's ``predict_proba`` does (softmax of the
        decision function; the logistic function for two classes) from the fitted weights."""
        if self._coef is None:
            return {}
        x = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores = (x @ self._coef.T + self._intercept)[0]
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-scores[0]))
            p = np.array([1.0 - p1, p1])
        else:
            e = np.exp(scores - scores.max())
            p = e / e.sum()
        return {c: float(v) for c, v in zip(self.classes, p)}

    # -- on disk -------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the fitted weights to ``path`` (atomically: a reader never sees half a file)."""
        from knowledge.revision_cache import atomic_write

        with atomic_write(path) as f:
            np.savez(f, coef=self._coef, intercept=self._intercept, classes=np.array(self.classes, dtype=str),
                     C=np.array(self.C))

    @classmethod
    def load(cls, path: Path) -> FaqIntentModel:
        with np.load(path, allow_pickle=False) as z:
            model = cls(float(z["C"]))
            model._coef, model._intercept = z["coef"], z["intercept"]
            model.classes = [str(c) for c in z["classes"]]
        return model

    @staticmethod
    def training_set(store) -> tuple[np.ndarray, list[str]]:
        """Every FAQ phrasing's vector (label: its entry) and every other record's (``OTHER``)."""
        vectors, labels = [], []
        for rec in store.records(embeddings=True):
            meta = rec.metadata
            if meta.get("kind") == "faq":
                if meta.get("variant") == "question":
                    vectors.append(rec.embedding)
                    labels.append(str(meta["doc_id"]))
            else:
                vectors.append(rec.embedding)
                labels.append(OTHER)
        return np.asarray(vectors, dtype=np.float32), labels

    @classmethod
    def from_store(cls, store, C: float = 10.0, cache_dir: Path | None = None) -> FaqIntentModel:
        """Fit on every FAQ phrasing in ``store`` (label: its entry) and every other record (``__other__``);
        with ``cache_dir``, read the weights fitted earlier on the very same training set instead."""
        vectors, labels = cls.training_set(store)
        model = cls(C)
        if not labels:
            return model
        path = Path(cache_dir) / f"faq-intents-{training_digest(vectors, labels, C)}.npz" if cache_dir else None
        if path is not None and path.is_file():
            try:
                return cls.load(path)
            except (OSError, ValueError, KeyError) as exc:  # a damaged cache file: refit
                log.warning("refitting the FAQ intent model: %s unreadable (%s)", path, exc)
        model.fit(vectors, labels)
        if path is not None and model.fitted:
            try:
                model.save(path)
            except OSError as exc:
                log.warning("could not cache the FAQ intent model in %s: %s", path, exc)
        return model


def training_digest(vectors: np.ndarray, labels: list[str], C: float) -> str:
    """A digest of what a fit depends on (vectors, labels, C, scikit-learn's version)."""
    from importlib.metadata import version

    h = hashlib.blake2b(digest_size=16)
    h.update(f"{C!r}|{version('scikit-learn')}|{vectors.shape}|".encode())
    h.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    h.update("\0".join(labels).encode())
    return h.hexdigest()


def cache_dir_of(store) -> Path | None:
    """``<data_dir>/cache`` of a store built from settings; None for a test double."""
    data_dir = getattr(getattr(store, "settings", None), "data_dir", None)
    return Path(data_dir) / "cache" if data_dir else None


class IntentModelCache:
    """Keeps a model fitted to the store's current contents (refitted when the index changes)."""

    def __init__(self, store):
        from knowledge.revision_cache import PerRevision

        self.store = store
        self._model = PerRevision(store, lambda: FaqIntentModel.from_store(store, cache_dir=cache_dir_of(store)))

    def get(self) -> FaqIntentModel:
        return self._model.get()
