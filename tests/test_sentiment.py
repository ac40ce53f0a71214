"""Sentiment seam: helpers, the lexicon ("fake") model, label mapping, metrics and the CLI.

Unit tests here run in well under a second; tests that load real models are marked slow and
live in tests/test_sentiment_bundled.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.sentiment import base as sentiment
from bot.sentiment.base import LABELS, Sentiment, SentimentModel, is_chinese, three_way, to_sentiment
from bot.sentiment.bundled import BundledSentiment
from bot.sentiment.factory import make_sentiment_model
from bot.sentiment.hf import HFSentiment, label_map
from bot.sentiment.lexicon import LexiconSentiment
from tools.sentiment.cli import main as cli_main
from tools.sentiment.data import read_labelled
from tools.sentiment.evaluate import binary_metrics


class ConstantSentiment(SentimentModel):
    """A fake that returns fixed probabilities, to test the base-class helpers."""

    def __init__(self, row):
        self.row = np.asarray(row, dtype=float)

    def predict_proba(self, texts):
        return np.tile(self.row, (len(texts), 1))


def test_three_way_rows_sum_to_one_and_are_monotone():
    p = np.linspace(0, 1, 101)
    probs = three_way(p)
    assert probs.shape == (101, 3)
    assert np.allclose(probs.sum(1), 1.0)
    polarity = probs[:, 2] - probs[:, 0]
    assert np.all(np.diff(polarity) >= -1e-12)
    assert polarity[0] == -1.0 and polarity[-1] == 1.0 and polarity[50] == 0.0


@pytest.mark.parametrize(
    "p, label", [(0.5, "neutral"), (0.55, "neutral"), (0.99, "positive"), (0.02, "negative")]
)
def test_three_way_labels(p, label):
    assert to_sentiment(three_way(np.array([p]))[0]).label == label


def test_to_sentiment_hand_checked():
    s = to_sentiment(np.array([0.1, 0.2, 0.7]))
    assert s == Sentiment("positive", 0.7, 0.6)


def test_base_class_helpers():
    model = ConstantSentiment([0.8, 0.15, 0.05])
    assert model.score("anything") == Sentiment("negative", 0.8, -0.75)
    assert model.score_many([]) == []
    assert [s.label for s in model.score_many(["a", "b"])] == ["negative", "negative"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("这个手机壳质量很好", True),
        ("great phone case", False),
        ("iPhone 屏幕坏了", True),
        ("I bought it in 北京", False),
        ("", False),
        ("😀👍", False),
        ("12345", False),
    ],
)
def test_is_chinese(text, expected):
    assert is_chinese(text) is expected


@pytest.mark.parametrize(
    "text, label",
    [
        ("I love it, great quality", "positive"),
        ("terrible, it arrived broken", "negative"),
        ("where is my order?", "neutral"),
        ("not good", "negative"),
        ("质量很好，很喜欢", "positive"),
        ("太差了，我要退货", "negative"),
        ("", "neutral"),
        ("👍👍", "neutral"),
    ],
)
def test_lexicon_model(text, label):
    s = make_sentiment_model("fake").score(text)
    assert s.label == label
    assert 0.0 <= s.score <= 1.0 and -1.0 <= s.polarity <= 1.0


def test_fake_is_a_real_subclass_and_cached():
    model = make_sentiment_model("fake")
    assert isinstance(model, LexiconSentiment) and isinstance(model, SentimentModel)
    assert make_sentiment_model(" fake ") is model
    assert model.predict_proba(["a", "b", "c"]).shape == (3, 3)


def test_building_loads_nothing():
    bundled = BundledSentiment()  # not the factory: its shared instance may be loaded already
    assert bundled._en is None and bundled._zh is None
    hf = HFSentiment("/no/such/model")
    assert hf.name_or_path == "/no/such/model" and hf._loaded is None


@pytest.mark.parametrize(
    "id2label, expected",
    [
        ({0: "NEGATIVE", 1: "POSITIVE"}, [[1, 0, 0], [0, 0, 1]]),
        ({0: "LABEL_0", 1: "LABEL_1"}, [[1, 0, 0], [0, 0, 1]]),
        ({0: "negative", 1: "neutral", 2: "positive"}, np.eye(3).tolist()),
        ({0: "positive", 1: "negative", 2: "neutral"}, [[0, 0, 1], [1, 0, 0], [0, 1, 0]]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, np.eye(3).tolist()),
        ({i: f"{i + 1} stars" for i in range(5)},
         [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]),
    ],
)
def test_label_map(id2label, expected):
    assert label_map(id2label).tolist() == np.asarray(expected, dtype=float).tolist()


def test_label_map_refuses_unknown_layouts():
    with pytest.raises(ValueError):
        label_map({0: "a", 1: "b", 2: "c", 3: "d"})


def test_binary_metrics_hand_checked():
    assert binary_metrics(np.array([1, 0, 1, 0]), np.array([1, 0, 1, 0])) == {
        "accuracy": 1.0, "macro_f1": 1.0, "n": 4}
    assert binary_metrics(np.array([1, 1]), np.array([0, 0])) == {
        "accuracy": 0.0, "macro_f1": 0.0, "n": 2}
    # class 1: tp 1, fp 0, fn 1 -> F1 2/3; class 0: tp 2, fp 1, fn 0 -> F1 0.8
    assert binary_metrics(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])) == {
        "accuracy": 0.75, "macro_f1": round((2 / 3 + 0.8) / 2, 4), "n": 4}


def test_read_labelled_tsv_with_header_and_csv(tmp_path):
    tsv = tmp_path / "a.tsv"
    tsv.write_text("sentence\tlabel\ngood stuff\t1\nbad \"quoted\" stuff\t0\n\n", encoding="utf-8")
    assert read_labelled(tsv) == (["good stuff", 'bad "quoted" stuff'], pytest.approx([1, 0]))
    csv = tmp_path / "b.csv"
    csv.write_text('cat,label,review\nx,1,"great, really"\ny,0,awful\n', encoding="utf-8")
    texts, labels = read_labelled(csv, text_col=2, label_col=1)
    assert texts == ["great, really", "awful"] and labels.tolist() == [1, 0]


@pytest.mark.parametrize(
    "content, message",
    [
        ("good\t2\n", "no labelled rows"),  # a lone odd first line reads as a header
        ("good\t1\nbad\t2\n", "not 0 or 1"),
        ("only one column\n", "columns"),
        ("text\tlabel\n", "no labelled rows"),
        ("a\t1\nb\tx\n", "not 0 or 1"),
    ],
)
def test_read_labelled_errors(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_labelled(path)


def test_cli_evaluate_with_fake_model(tmp_path, capsys):
    data = tmp_path / "tiny.tsv"
    data.write_text("I love it\t1\ngreat quality\t1\nterrible product\t0\nit is broken\t0\n")
    out = tmp_path / "r.json"
    assert cli_main(["evaluate", str(data), "--model", "fake", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result == {"kefu": {"accuracy": 1.0, "macro_f1": 1.0, "n": 4}}
    assert "accuracy 1.0000" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["evaluate", "/no/such/file.tsv"], ["evaluate", "{bad}"]])
def test_cli_bad_file_is_one_line_error(tmp_path, capsys, args):
    bad = tmp_path / "{bad}"
    bad.write_text("x\ty\n")
    args = [a.replace("{bad}", str(bad)) for a in args]
    assert cli_main(args + ["--model", "fake"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_cli_train_without_datasets_fails_cleanly(tmp_path, capsys):
    assert cli_main(["train", "--datasets", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "no sentiment datasets" in capsys.readouterr().err


def test_labels_order():
    assert LABELS == ("negative", "neutral", "positive")


def test_read_labelled_keeps_unusual_line_breaks_inside_sentences(tmp_path):
    path = tmp_path / "nel.txt"
    path.write_text("The script is\u0085was there a script?\t0\nfine\t1\n", encoding="utf-8")
    texts, labels = read_labelled(path)
    assert texts == ["The script is\u0085was there a script?", "fine"] and labels.tolist() == [0, 1]


@pytest.mark.parametrize(
    "text, expected",
    [("Where is my order?", True), ("do you ship to Canada", True), ("请问什么时候发货", True),
     ("有货吗", True), ("这个好用吗？", True), ("I love it!", False), ("太差了。", False),
     ("", False), ("Is it waterproof?!", True), ("issue with my order", False),
     ("Dont like it", False)],
)
def test_is_question(text, expected):
    assert sentiment.is_question(text) is expected


def test_damping_keeps_sign_and_shrinks():
    p = np.array([0.01, 0.3, 0.5, 0.7, 0.99])
    d = sentiment.damp(p, 0.25)
    assert ((d > 0.5) == (p > 0.5)).all() and (np.abs(d - 0.5) <= np.abs(p - 0.5)).all()
    assert np.allclose(sentiment.damp(p, 1.0), p)


def test_factory_bundled_with_other_adapter(tmp_path):
    model = make_sentiment_model(f"bundled:{tmp_path / 'x.safetensors'}")
    assert isinstance(model, BundledSentiment)
    assert model.adapter_path == tmp_path / "x.safetensors"
