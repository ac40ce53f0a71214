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
used — never an evaluation set.
"""

from __future__ import annotations


import numpy as np

OTHER = "__other__"


class FaqIntentModel:
    """``P(FAQ entry | question vector)`` over the entries of one index."""

    def __init__(self, C: float = 10.0):
        self.C = C
        self.classes: list[str] = []
        self._clf = None

    def fit(self, vectors: np.ndarray, labels: list[str]) -> FaqIntentModel:
        from sklearn.linear_model import LogisticRegression

        if len(set(labels) - {OTHER}) < 2:
            self._clf = None
            return self
        self._clf = LogisticRegression(C=self.C, max_iter=2000).fit(np.asarray(vectors, dtype=np.float32), labels)
        self.classes = list(self._clf.classes_)
        return self

    def proba(self, vector) -> dict[str, float]:
        """``{doc_id: probability}`` for every FAQ entry, and ``OTHER`` for "not an FAQ question"
        (empty when untrained)."""
        if self._clf is None:
            return {}
        p = self._clf.predict_proba(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        return {c: float(v) for c, v in zip(self.classes, p)}

    @classmethod
    def from_store(cls, store, C: float = 10.0) -> FaqIntentModel:
        """Fit on every FAQ phrasing in ``store`` (label: its entry) and every other record (``__other__``)."""
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
        model = cls(C)
        return model.fit(np.asarray(vectors), labels) if vectors else model


class IntentModelCache:
    """Keeps a model fitted to the store's current contents (refitted when the index changes)."""

    def __init__(self, store):
        from knowledge.revision_cache import PerRevision

        self.store = store
        self._model = PerRevision(store, lambda: FaqIntentModel.from_store(store))

    def get(self) -> FaqIntentModel:
        return self._model.get()
