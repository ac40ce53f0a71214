"""The shipped sentiment models, end to end (slow: loads SmolLM2, MiniLM, torch, transformers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.sentiment.base import EN_ADAPTER_PATH, EN_LLM_ADAPTER_PATH
from bot.sentiment.bundled import BundledSentiment
from bot.sentiment.hf import HFSentiment
from bot.sentiment.zh import MODEL_PATH as ZH_PATH
from tools.sentiment.data import crossfit_path, datasets_dir
from tools.sentiment.evaluate import evaluate_file

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model() -> BundledSentiment:
    if not EN_LLM_ADAPTER_PATH.is_file() or not EN_ADAPTER_PATH.is_file() or not ZH_PATH.is_file():
        pytest.fail("shipped sentiment weights missing from bot/sentiment/models (python -m bot.sentiment train)")
    return BundledSentiment(threads=2)


@pytest.fixture(scope="module")
def minilm() -> BundledSentiment:
    return BundledSentiment(english="minilm", threads=2)


def sentiment_data() -> Path:
    root = datasets_dir() / "sentiment"
    if not root.is_dir():
        pytest.skip(f"no sentiment datasets at {root}")
    return root


@pytest.mark.parametrize(
    "text, label",
    [
        ("I absolutely love this jacket, it fits perfectly!", "positive"),
        ("Fast delivery and excellent quality, thank you.", "positive"),
        ("The blender broke after two days. Total waste of money.", "negative"),
        ("This is the worst customer service I have ever had.", "negative"),
        ("What time does your shop open on Sunday?", "neutral"),
        ("Do you ship to Canada?", "neutral"),
        ("质量非常好，物流也很快，很满意！", "positive"),
        ("太差了，用了两天就坏了，要求退货", "negative"),
    ],
)
def test_clear_examples(model, text, label):
    assert model.score(text).label == label, model.predict_proba([text])


def test_default_english_model_is_smollm2(model):
    """The real bundled SmolLM2 + adapter on obvious shopper sentences, with calibrated,
    confident probabilities and the question damping applied."""
    from bot.sentiment.smollm2 import SmolSentiment

    p = model.proba_positive([
        "Great product, works perfectly and arrived early.",
        "I love the colour and the fabric feels soft.",
        "Absolutely useless, it stopped working after one day.",
        "Rude staff and a damaged parcel. Very disappointed.",
        "Where is my order?",
        "Why did you send me a broken phone?",
    ])
    assert isinstance(model.english, SmolSentiment) and model.english_kind == "smollm2"
    assert model.questions is not model.english  # questions: MiniLM adapter + damping
    assert (p[:2] > 0.85).all() and (p[2:4] < 0.15).all(), p
    assert 0.25 < p[4] < 0.75, p  # a plain question is damped into the neutral band
    assert p[5] < 0.25, p  # an angry one stays negative


def test_smollm2_sst2_crossfit_quality():
    """SST-2 dev through the adapter that never saw it (trained on amazon + imdb only)."""
    adapter = crossfit_path("sst2", "smollm2")
    result = evaluate_file(BundledSentiment(adapter_path=adapter, threads=2), sentiment_data() / "sst2_dev.tsv")
    assert result["n"] == 872 and result["accuracy"] >= 0.86, result


@pytest.mark.parametrize(
    "text, label",
    [
        ("I absolutely love this jacket, it fits perfectly!", "positive"),
        ("The blender broke after two days. Total waste of money.", "negative"),
        ("Do you ship to Canada?", "neutral"),
    ],
)
def test_minilm_is_still_available(minilm, text, label):
    assert minilm.name == "minilm" and minilm.score(text).label == label


def test_probabilities_are_well_formed(model):
    texts = ["great", "awful", "", "🙂", "ok 好", "x" * 5000]
    probs = model.predict_proba(texts)
    assert probs.shape == (6, 3) and np.allclose(probs.sum(1), 1) and (probs >= 0).all()
    assert model.score("").label == "neutral"


def test_polarity_orders_mood(model):
    calm, annoyed, furious = model.score_many([
        "Thanks, the order arrived on time and works well.",
        "The parcel is a bit late, that's annoying.",
        "This is a disgrace, broken product and rude staff. Never again!",
    ])
    assert calm.polarity > annoyed.polarity > furious.polarity
    assert furious.polarity < -0.6


def test_adapter_matches_training_graph(tmp_path):
    """The merged-weights transformers model reproduces the training-time top layers."""
    import torch

    from bot.sentiment.minilm import AdaptedEncoder, base_path
    from tools.sentiment import train_minilm as st
    from tools.sentiment.training import save_adapter

    texts = ["good", "bad", "really great product", "awful, broke at once", "fine", "terrible"] * 4
    labels = np.array([1, 0, 1, 0, 1, 0] * 4)
    hidden = st.encode_lower(texts)
    tensors, meta = st.train_adapter(hidden, labels, epochs=1, log=lambda *_: None)
    path = tmp_path / "a.safetensors"
    save_adapter(tensors, meta, path)
    enc = AdaptedEncoder.load(path)
    # rebuild the training graph from the saved tensors and compare logits
    from safetensors.torch import load_file

    weights = load_file(str(base_path() / "model.safetensors"))
    top = st.top_class()(weights, json.loads(meta["layers"]), st.RANK).eval()
    with torch.no_grad():
        for layer_id, layer in zip(top.layer_ids, top.layers):
            for short, lin in layer.lin.items():
                lin.A.copy_(tensors[f"{layer_id}.{short}.A"])
                lin.B.copy_(tensors[f"{layer_id}.{short}.B"])
                lin.bias.copy_(tensors[f"{layer_id}.{short}.bias"])
            for short, ln in layer.norms.items():
                ln.weight.copy_(tensors[f"{layer_id}.{short}.weight"])
                ln.bias.copy_(tensors[f"{layer_id}.{short}.bias"])
        top.head.weight.copy_(tensors["head.weight"][None])
        top.head.bias.copy_(tensors["head.bias"])
        expected = np.array([float(top(*st.pad([h]))[0]) for h in hidden])
    assert np.allclose(enc.logits(texts), expected, atol=1e-3)


def test_cli_end_to_end(tmp_path):
    data = tmp_path / "tiny.tsv"
    data.write_text(
        "sentence\tlabel\n"
        "I love this phone, the battery lasts for days.\t1\n"
        "Excellent product, highly recommended.\t1\n"
        "It stopped working after a week. Terrible.\t0\n"
        "Cheap plastic, broke immediately.\t0\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "bot.sentiment", "evaluate", str(data), "--json", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())["kefu"]
    assert result["n"] == 4 and result["accuracy"] == 1.0
    bad = subprocess.run(
        [sys.executable, "-m", "bot.sentiment", "evaluate", str(tmp_path / "missing.tsv")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert bad.returncode != 0 and bad.stderr.strip().startswith("error:")
    assert "Traceback" not in bad.stderr


def test_hf_backend_with_a_local_tiny_model(tmp_path):
    """Any local sequence classifier plugs in; a 2-label model gets the neutral band."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "phone"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, num_labels=2,
                        id2label={0: "NEGATIVE", 1: "POSITIVE"},
                        label2id={"NEGATIVE": 0, "POSITIVE": 1})
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    model = HFSentiment(str(tmp_path))
    probs = model.predict_proba(["good phone", "bad phone", "phone"])
    assert probs.shape == (3, 3) and np.allclose(probs.sum(1), 1)
    assert model.score("good").label in {"negative", "neutral", "positive"}


def test_yelp_held_out_quality(model):
    result = evaluate_file(model, sentiment_data() / "yelp_labelled.txt")
    assert result["n"] == 1000 and result["accuracy"] >= 0.85, result


def test_chinese_held_out_quality(model):
    from tools.sentiment.data import load_online_shopping, split

    texts, labels = load_online_shopping(sentiment_data() / "online_shopping_10_cats.zip")
    train, test = split(len(texts))
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == len(texts)
    assert (split(len(texts))[1] == test).all()  # fixed split
    rng = np.random.default_rng(0)
    sample = rng.choice(test, 2000, replace=False)
    p = model.chinese.proba_positive([texts[i] for i in sample])
    assert ((p > 0.5) == labels[sample]).mean() >= 0.88
