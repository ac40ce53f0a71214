"""The character TF-IDF index read back from disk scores every query as scikit-learn does."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.char_tfidf import CharTfidf, char_ngrams, char_wb_ngrams
from knowledge.lang import zh_terms

DOCS = [
    "How long does standard shipping take?", "Standard delivery takes 3–5 business days.",
    "Can I return a video game after opening it?", "Opened games can be exchanged, not refunded.",
    "PlayStation 5 Disc Edition — 825 GB SSD", "Nintendo Switch OLED  (64 GB)\tin stock",
    "Gift cards never expire.", "a", "Pre-order vs backorder: what's the difference?",
    "退货政策是什么？", "運費，怎麼算", "PS5 光驱版多少钱？",
]
QUERIES = ["shipping time", "return opened game", "PS5 disc", "gift card expire", "preorder", "x",
           "", "   ", "運費多少", "OLED switch in stock?", "zzzz qqqq", "How long does standard shipping take?"]


def _sklearn(analyzer, ngram_range):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True, lowercase=True)
    return vec, vec.fit_transform(DOCS)


@pytest.mark.parametrize("analyzer, ngram_range", [("char_wb", (3, 5)), ("char", (1, 2)), (zh_terms, (1, 1))])
def test_scores_equal_scikit_learns_and_survive_the_round_trip(tmp_path, analyzer, ngram_range):
    vec, matrix = _sklearn(analyzer, ngram_range)
    fitted = CharTfidf.cached(DOCS, analyzer, ngram_range, tmp_path)
    (path,) = tmp_path.glob("chars-*.npz")
    loaded = CharTfidf.cached(DOCS, analyzer, ngram_range, tmp_path)  # read back, not refitted
    assert loaded.vocabulary_ == vec.vocabulary_ and np.array_equal(loaded.idf_, vec.idf_)
    for q in QUERIES:
        want = (vec.transform([q]) @ matrix.T).toarray()[0]
        for index in (fitted, loaded):
            got = index.scores(q)
            assert got.shape == want.shape and np.allclose(got, want, rtol=0, atol=1e-12), q
            assert list(np.argsort(-got, kind="stable")) == list(np.argsort(-want, kind="stable")), q
    assert path.is_file()


def test_the_analyzers_are_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    for text in DOCS + QUERIES:
        for n in ((3, 5), (1, 2), (2, 4)):
            wb = TfidfVectorizer(analyzer="char_wb", ngram_range=n).build_analyzer()(text)
            ch = TfidfVectorizer(analyzer="char", ngram_range=n).build_analyzer()(text)
            assert sorted(char_wb_ngrams(text, n)) == sorted(wb)
            assert sorted(char_ngrams(text, n)) == sorted(ch)


def test_a_cached_fit_is_read_without_scikit_learn(tmp_path, monkeypatch):
    CharTfidf.cached(DOCS, "char_wb", (3, 5), tmp_path)

    def no_fit(*a, **k):
        raise AssertionError("refitted")

    monkeypatch.setattr(CharTfidf, "fit", classmethod(no_fit))
    assert CharTfidf.cached(DOCS, "char_wb", (3, 5), tmp_path).n_docs == len(DOCS)


def test_other_texts_or_settings_get_their_own_fit_and_a_damaged_file_is_refitted(tmp_path):
    CharTfidf.cached(DOCS, "char_wb", (3, 5), tmp_path)
    CharTfidf.cached(DOCS[:-1], "char_wb", (3, 5), tmp_path)
    CharTfidf.cached(DOCS, "char_wb", (2, 5), tmp_path)
    files = sorted(tmp_path.glob("chars-*.npz"))
    assert len(files) == 3
    files[0].write_bytes(b"not an npz")
    again = CharTfidf.cached(DOCS, "char_wb", (3, 5), tmp_path)
    assert again.scores("shipping").shape == (len(DOCS),)


def test_a_changed_callable_analyzer_is_a_new_fit(tmp_path):
    def terms(text):
        return text.lower().split()

    first = CharTfidf.cached(DOCS, terms, (1, 1), tmp_path)

    def terms(text):  # noqa: F811 - same name, other behaviour
        return text.split()

    second = CharTfidf.cached(DOCS, terms, (1, 1), tmp_path)
    assert len(list(tmp_path.glob("chars-*.npz"))) == 2 and first.vocabulary_ != second.vocabulary_


def test_an_unknown_analyzer_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown analyzer"):
        CharTfidf.fit(DOCS, "word", (1, 1))
