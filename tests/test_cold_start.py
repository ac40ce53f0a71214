"""Cold start: what ``ChatService.warm`` loads and how (threads, retries), the FAQ intent model's
on-disk cache, and the bundled MiniLM embedder loaded without sentence-transformers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from bot.intents import OTHER, FaqIntentModel, training_digest
from bot.llm import FakeLLM
from bot.service import ChatService
from knowledge.ingest import ingest
from knowledge.plain_encoder import plain_pipeline

from .fakes import FakeRecommender


class Recording(FakeRecommender):
    """A recommender whose ``ready`` records the thread it ran on (and can fail once)."""

    def __init__(self, fail_times: int = 0):
        super().__init__()
        self.threads: list[str] = []
        self.fail_times = fail_times

    def ready(self) -> None:
        self.threads.append(threading.current_thread().name)
        if self.fail_times:
            self.fail_times -= 1
            raise OSError("model file busy")


@pytest.fixture
def service_with(settings, shop_dir, knowledge):
    ingest(knowledge, [shop_dir], progress=False)

    def build(recommender):
        return ChatService(settings, llm=FakeLLM(), knowledge=knowledge, embedder=knowledge.embedder,
                           recommender=recommender)

    return build


def test_warm_loads_every_part_and_then_answers(service_with):
    rec = Recording()
    svc = service_with(rec)
    assert not svc.ready
    svc.warm()
    assert svc.ready
    assert {"llm", "embedder", "knowledge", "catalogue", "retrieval", "sessions", "sentiment", "recommender",
            "ready"} <= set(svc.warm_timings)
    assert rec.threads == ["kefu-warm-recommender"]  # on a thread of its own, not the caller's
    reply = svc.turn("How long does standard delivery take?")
    assert not reply.abstained and reply.sources


def test_a_load_that_fails_on_a_thread_is_retried_on_the_caller(service_with):
    rec = Recording(fail_times=1)
    svc = service_with(rec)
    svc.warm()
    assert svc.ready and rec.threads == ["kefu-warm-recommender", threading.current_thread().name]


def test_a_load_that_keeps_failing_raises_and_the_service_stays_not_ready(service_with):
    svc = service_with(Recording(fail_times=5))
    with pytest.raises(OSError, match="busy"):
        svc.warm()
    assert not svc.ready


# -- the FAQ intent model's cache --------------------------------------------------------
def _training_set(seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, 16))
    labels = ["faq/a", "faq/b", "faq/c", OTHER]
    vectors = np.concatenate([c + 0.1 * rng.normal(size=(6, 16)) for c in centres]).astype(np.float32)
    return vectors, [lab for lab in labels for _ in range(6)]


class FakeStore:
    """Just ``records(embeddings=True)``, counting the calls."""

    def __init__(self, vectors, labels):
        from types import SimpleNamespace

        self.rows = []
        for i, (v, lab) in enumerate(zip(vectors, labels)):
            meta = {"kind": "product"} if lab == OTHER else {"kind": "faq", "variant": "question", "doc_id": lab}
            self.rows.append(SimpleNamespace(id=str(i), metadata=meta, embedding=list(map(float, v))))

    def records(self, embeddings=False):
        return self.rows


def test_intent_probabilities_are_scikit_learns():
    from sklearn.linear_model import LogisticRegression

    vectors, labels = _training_set()
    model = FaqIntentModel().fit(vectors, labels)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(vectors, labels)
    for v in vectors[::5]:
        want = dict(zip(clf.classes_, clf.predict_proba(v.reshape(1, -1))[0]))
        got = model.proba(v)
        assert set(got) == set(want) and all(abs(got[c] - want[c]) < 1e-9 for c in want)


def test_two_class_intent_probabilities_are_scikit_learns():
    from sklearn.linear_model import LogisticRegression

    vectors, labels = _training_set()
    keep = [i for i, lab in enumerate(labels) if lab in ("faq/a", "faq/b")]
    v2, l2 = vectors[keep], [labels[i] for i in keep]
    model = FaqIntentModel().fit(v2, l2)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(v2, l2)
    want = dict(zip(clf.classes_, clf.predict_proba(v2[:1])[0]))
    got = model.proba(v2[0])
    assert all(abs(got[c] - want[c]) < 1e-9 for c in want)


def test_a_fitted_intent_model_is_read_back_from_the_cache_not_refitted(tmp_path, monkeypatch):
    vectors, labels = _training_set()
    store = FakeStore(vectors, labels)
    first = FaqIntentModel.from_store(store, cache_dir=tmp_path)
    files = list(tmp_path.glob("faq-intents-*.npz"))
    assert len(files) == 1 and training_digest(vectors, labels, 10.0) in files[0].name

    def no_fit(self, *a, **k):
        raise AssertionError("refitted although the cache holds this training set")

    monkeypatch.setattr(FaqIntentModel, "fit", no_fit)
    again = FaqIntentModel.from_store(store, cache_dir=tmp_path)
    assert again.classes == first.classes
    assert again.proba(vectors[3]) == pytest.approx(first.proba(vectors[3]), abs=1e-12)


def test_another_training_set_gets_its_own_fit(tmp_path):
    v1, l1 = _training_set(0)
    v2, l2 = _training_set(1)
    FaqIntentModel.from_store(FakeStore(v1, l1), cache_dir=tmp_path)
    other = FaqIntentModel.from_store(FakeStore(v2, l2), cache_dir=tmp_path)
    assert len(list(tmp_path.glob("faq-intents-*.npz"))) == 2
    assert max(other.proba(v2[0]), key=other.proba(v2[0]).get) == l2[0]


def test_a_damaged_cache_file_is_refitted(tmp_path):
    vectors, labels = _training_set()
    path = tmp_path / f"faq-intents-{training_digest(vectors, labels, 10.0)}.npz"
    path.write_bytes(b"not a numpy file")
    model = FaqIntentModel.from_store(FakeStore(vectors, labels), cache_dir=tmp_path)
    assert model.fitted and FaqIntentModel.load(path).classes == model.classes


def test_too_few_entries_fit_nothing_and_cache_nothing(tmp_path):
    vectors, labels = _training_set()
    only = [i for i, lab in enumerate(labels) if lab in ("faq/a", OTHER)]
    model = FaqIntentModel.from_store(FakeStore(vectors[only], [labels[i] for i in only]), cache_dir=tmp_path)
    assert model.proba(vectors[0]) == {} and not list(tmp_path.iterdir())


# -- the embedder without sentence-transformers -----------------------------------------
def _st_folder(root, modules, pooling=None, config=None):
    root.mkdir()
    (root / "config.json").write_text("{}")
    (root / "modules.json").write_text(json.dumps(modules))
    (root / "1_Pooling").mkdir()
    (root / "1_Pooling" / "config.json").write_text(json.dumps(pooling or {
        "word_embedding_dimension": 8, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}))
    (root / "sentence_bert_config.json").write_text(json.dumps(config or {"max_seq_length": 64}))
    return root


T, P, N = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
           "sentence_transformers.models.Normalize")


def _mods(*kinds):
    paths = {T: "", P: "1_Pooling", N: "2_Normalize"}
    return [{"idx": i, "name": str(i), "path": paths.get(k, "x"), "type": k} for i, k in enumerate(kinds)]


def test_a_plain_mean_pooling_folder_is_recognised(tmp_path):
    got = plain_pipeline(_st_folder(tmp_path / "m", _mods(T, P, N)))
    assert got == {"max_seq_length": 64, "do_lower_case": False, "dimension": 8}
    assert plain_pipeline(_st_folder(tmp_path / "m2", _mods(T, P))) is not None


@pytest.mark.parametrize("modules, pooling", [
    (_mods(T, P, "sentence_transformers.models.Dense", N), None),  # a projection after pooling
    (_mods(T, P, N), {"word_embedding_dimension": 8, "pooling_mode_cls_token": True}),
    (_mods(T, P, N), {"word_embedding_dimension": 8, "pooling_mode_mean_tokens": True,
                      "pooling_mode_max_tokens": True}),
])
def test_other_pipelines_keep_sentence_transformers(tmp_path, modules, pooling):
    assert plain_pipeline(_st_folder(tmp_path / "m", modules, pooling)) is None


def test_a_hub_id_or_a_missing_folder_is_not_plain(tmp_path):
    assert plain_pipeline("sentence-transformers/all-MiniLM-L6-v2") is None
    assert plain_pipeline(tmp_path / "absent") is None


def test_the_bundled_embedder_is_recognised_as_plain():
    from knowledge.embedder import bundled_embedder_path

    assert plain_pipeline(bundled_embedder_path()) == {"max_seq_length": 256, "do_lower_case": False,
                                                       "dimension": 384}


@pytest.mark.slow
def test_bundled_vectors_equal_sentence_transformers_without_importing_it():
    """A fresh process embeds with the bundled MiniLM; sentence-transformers then gives the same vectors."""
    code = """
import json, sys
from knowledge.embedder import SentenceTransformerEmbedder, bundled_embedder_path
texts = ["How long does standard shipping take?", "  padded  ", "退货政策是什么？", "word " * 400, ""]
emb = SentenceTransformerEmbedder(bundled_embedder_path())
vecs = emb.encode(texts)
print(json.dumps({"st": "sentence_transformers" in sys.modules, "tf": "transformers" in sys.modules,
                  "torch": "torch" in sys.modules, "dim": emb.dimension, "vecs": vecs.tolist()}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["st"] is False and got["tf"] is False and got["torch"] is False and got["dim"] == 384  # numpy alone
    from sentence_transformers import SentenceTransformer

    from knowledge.embedder import bundled_embedder_path

    texts = ["How long does standard shipping take?", "  padded  ", "退货政策是什么？", "word " * 400, ""]
    want = SentenceTransformer(str(bundled_embedder_path()), device="cpu", local_files_only=True).encode(
        texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(np.asarray(got["vecs"]) - want).max() < 1e-5


@pytest.mark.slow
def test_the_bundled_sentiment_scores_questions_before_torch_and_statements_after():
    """The first warm stage (questions, Chinese) imports no torch; the later one loads SmolLM2."""
    code = """
import json, sys
from bot.sentiment.bundled import BundledSentiment
model = BundledSentiment()
first, *rest = model.warm_stages()
first()
question = model.score("How long does standard shipping take?")
zh = model.score("退货政策是什么？")
before = "torch" in sys.modules
for stage in rest:
    stage()
angry = model.score("My order arrived broken and nobody answers, this is a disgrace.")
print(json.dumps({"torch_before": before, "torch_after": "torch" in sys.modules, "stages": 1 + len(rest),
                  "question": question.label, "zh": zh.label, "angry": angry.label}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["stages"] == 2 and got["torch_before"] is False and got["torch_after"] is True
    assert got["question"] == "neutral" and got["zh"] == "neutral" and got["angry"] == "negative"


# -- parts build side by side; the server warms while it starts ------------------------------
def test_two_parts_build_at_the_same_time_on_two_threads():
    from bot.components import lazy_part

    both = threading.Barrier(2, timeout=5)

    class Owner:
        def __init__(self):
            self._lock = threading.RLock()

        @lazy_part
        def a(self):
            both.wait()  # returns only once b is being built too
            return "a"

        @lazy_part
        def b(self):
            both.wait()
            return "b"

    owner, got = Owner(), {}
    threads = [threading.Thread(target=lambda n=n: got.update({n: getattr(owner, n)})) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert got == {"a": "a", "b": "b"}


def test_a_part_is_built_once_when_many_threads_ask():
    from bot.components import lazy_part

    built = []

    class Owner:
        def __init__(self):
            self._lock = threading.RLock()

        @lazy_part
        def part(self):
            built.append(1)
            return object()

    owner = Owner()
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(owner.part)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len({id(x) for x in seen}) == 1


class Held(FakeRecommender):
    """A recommender that loads only when released."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.loaded = False

    def ready(self) -> None:
        assert self.release.wait(30)
        self.loaded = True


class HeldSentiment:
    """The fake sentiment model, whose first use waits until released."""

    def __init__(self):
        from bot.sentiment import make_sentiment_model

        self.model = make_sentiment_model("fake")
        self.release = threading.Event()

    def __getattr__(self, name):
        return getattr(self.model, name)

    def score(self, text):
        assert self.release.wait(30)
        return self.model.score(text)


def _wait_until(predicate, seconds: float = 15.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        threading.Event().wait(0.05)
    return predicate()


def test_ready_does_not_wait_for_the_recommender_and_a_product_turn_waits_for_it(service_with):
    rec = Held()
    svc = service_with(rec)
    warm = threading.Thread(target=svc.warm, daemon=True)
    warm.start()
    assert _wait_until(lambda: svc.ready)  # a first answer can be given while the recommender loads
    assert not rec.loaded and warm.is_alive()  # warm itself returns only when everything is loaded
    reply = svc.turn("How long does standard delivery take?")
    assert not reply.abstained and reply.sources
    rec.release.set()
    warm.join(30)
    assert not warm.is_alive() and rec.loaded and "recommender" in svc.warm_timings


def test_a_recommender_call_during_its_load_waits_for_the_loaded_model(settings, monkeypatch):
    from recommender.service import RecommenderService

    release, started = threading.Event(), threading.Event()

    def slow_load(self):
        started.set()
        assert release.wait(30)
        self.products = {"p1": {"item_id": "p1", "title": "Thing"}}

    monkeypatch.setattr(RecommenderService, "_load", slow_load)
    rec = RecommenderService(settings)
    loader = threading.Thread(target=rec.ready, daemon=True)
    loader.start()
    assert started.wait(10)
    got: list = []
    asker = threading.Thread(target=lambda: got.append(rec.item("p1")), daemon=True)
    asker.start()
    asker.join(0.3)
    assert asker.is_alive() and not got  # waits: never an answer from a half-loaded recommender
    release.set()
    asker.join(10)
    assert got and got[0] is not None and got[0]["title"] == "Thing"


def test_the_app_warms_from_creation_and_health_says_loading_until_ready(settings, shop_dir, knowledge):
    from fastapi.testclient import TestClient

    from app import create_app

    ingest(knowledge, [shop_dir], progress=False)
    rec = HeldSentiment()  # a part a first answer needs
    svc = ChatService(settings, llm=FakeLLM(), knowledge=knowledge, embedder=knowledge.embedder, sentiment=rec)
    app = create_app(settings, svc, warm=True)
    with TestClient(app) as client:
        first = client.get("/healthz")
        assert first.status_code == 503 and first.json()["status"] == "loading"
        rec.release.set()
        for _ in range(300):
            if svc.ready:
                break
            threading.Event().wait(0.05)
        assert svc.ready and client.get("/healthz").status_code == 200
