"""Answer quality: does Kefu find the right knowledge, and does it abstain when it should?

``python -m benchmarks.answer_quality [--json OUT]``

- **Bitext** (../shared/datasets/faq/bitext_customer_support.csv): 4,514 real customer
  utterances labelled with 27 intents, asked against the demo store's FAQ. A hit@k means
  one of the top-k retrieved knowledge entries carries the utterance's intent (the
  datasets README's protocol). Also the router's final label (rules, then best entry).
  Even rows were used while writing the FAQ's phrasings (dev), odd rows never (test):
  both halves are reported.
- **Abstention**: our off-topic set (benchmarks/data/off_topic.txt) should be declined;
  the in-scope Bitext set should not ("false abstentions").
- **ecommerce_faq.json**: its 79 answers indexed alone, asked through Kefu's
  :class:`bot.retrieval.Retriever` (hybrid: MiniLM cosine + character n-gram TF-IDF); hit@1 =
  the question's own answer ranks first (an answer whose text is identical to the question's
  own — three of the 79 are duplicates — is the same answer). ``.dense_only``: the same
  retriever with ``lexical_weight=0`` (the ranking before hybrid retrieval).
- **Replies** (``reply.*``): Kefu's reply (the sentence(s) that answer, quoted) against the
  whole best entry quoted (the reply policy before issue 15): median length in words, and the
  share that answer in the first sentence — the first sentence comes from the right entry and
  is the sentence of it that an independent model (the multilingual USE, not the MiniLM Kefu
  picks with) finds closest to the question. Over the ecommerce_faq questions and a Bitext
  sample (the right entry: the utterance's intent).
- **Chinese** (``--zh``, default ``retrieval``): the figures of :func:`benchmarks.chinese.section`
  (top-3 retrieval vs MiniLM + character n-grams; ``full`` also asks every chat turn).

Baseline in the same run: TF-IDF (scikit-learn) over the same texts, as a ratio.
``--limit N``: N Bitext utterances spread over the file (default all 4,514).
"""

from __future__ import annotations

import csv
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, build_demo_index, datasets_or_exit, emit, fresh_settings, parser, quiet_libraries


def off_topic_questions() -> list[str]:
    lines = (REPO / "benchmarks" / "data" / "off_topic.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


class TfidfBaseline:
    """Lexical retrieval over the same records: the baseline every embedding should beat."""

    def __init__(self, texts: list[str], labels: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self.matrix = self.vec.fit_transform(texts)
        self.labels = labels

    def ranked(self, queries: list[str], k: int = 3) -> list[list[str]]:
        sims = (self.vec.transform(queries) @ self.matrix.T).toarray()
        out = []
        for row in sims:
            seen: list[str] = []
            for idx in np.argsort(-row):
                if self.labels[idx] not in seen:
                    seen.append(self.labels[idx])
                if len(seen) == k:
                    break
            out.append(seen)
        return out


def encode_multilingual(retriever, texts: list[str]):
    """The questions' multilingual vectors in one batch (None per text without that collection)."""
    if retriever.multilingual is None:
        return [None] * len(texts)
    return retriever.multilingual.embedder.encode(texts)


def ask_bitext(retriever, answerer, texts: list[str], gold: list[str]) -> dict:
    """Retrieve for every Bitext utterance: hits, the router's label, abstentions, confusions."""
    from bot.router import intent_from_sources, route
    from knowledge.lang import detect_lang

    t1 = time.perf_counter()
    vectors = retriever.store.embedder.encode(texts)
    ml_vectors = encode_multilingual(retriever, texts)
    out: dict = {"hits1": [], "hits3": [], "router": [], "abstained": [], "misses": Counter(), "sources": []}
    for text, label, vec, ml_vec in zip(texts, gold, vectors, ml_vectors):
        sources = retriever.retrieve(text, lang=detect_lang(text), vector=vec, multilingual_vector=ml_vec)
        out["sources"].append(sources)
        intents = [s.intent for s in sources]
        out["hits1"].append(bool(intents) and intents[0] == label)
        out["hits3"].append(label in intents[:3])
        out["router"].append((route(text) or intent_from_sources(sources)) == label)
        out["abstained"].append(answerer.should_abstain(text, sources))
        if intents and intents[0] != label:
            out["misses"][(label, intents[0])] += 1
    out["per_query"] = (time.perf_counter() - t1) / len(texts)
    return out


def ecommerce_index(store, faq: list[dict]):
    """ecommerce_faq.json's answers indexed alone, in a collection beside the demo's."""
    from langchain_core.documents import Document

    eco = store.sibling("ecommerce_faq")
    answers = [q["answer"] for q in faq]
    docs = [Document(page_content=a, metadata={"doc_id": str(i), "kind": "faq", "lang": "en", "title": f"answer {i}"})
            for i, a in enumerate(answers)]
    eco.add([str(i) for i in range(len(docs))], docs, store.embedder.embed_documents(answers))
    return eco


def ecommerce_hits(retriever, faq: list[dict]) -> tuple[list[bool], list[list]]:
    """Per question: whether its own answer (or an identical text) ranks first; and the sources."""
    questions = [q["question"] for q in faq]
    vectors = retriever.store.embedder.encode(questions)
    hits, found = [], []
    for i, (q, vec) in enumerate(zip(questions, vectors)):
        sources = retriever.retrieve(q, lang="en", vector=vec)
        found.append(sources)
        hits.append(bool(sources) and (sources[0].id == str(i) or sources[0].text == faq[i]["answer"]))
    return hits, found


def reply_policies(answerer, judge, cases: list[tuple[str, list, object]]) -> dict[str, dict[str, float]]:
    """Median reply length (words) and the share answering in the first sentence, for Kefu's reply
    and for quoting the whole best entry. ``cases``: ``(question, sources, is_right(source))``;
    ``judge``: an embedder independent of Kefu's (its nearest sentence of the right entry is the
    answering one)."""
    from bot.grounding import split_sentences, strip_citations

    def answering_sentence(question: str, text: str) -> str:
        sentences = split_sentences(text)
        if len(sentences) <= 1:
            return sentences[0] if sentences else ""
        vecs = judge.encode([question] + sentences)
        return sentences[int(np.argmax(vecs[1:] @ vecs[0]))]

    figures: dict[str, dict[str, list]] = {"kefu": {"len": [], "first": []}, "whole_entry": {"len": [], "first": []}}
    for question, sources, is_right in cases:
        if not sources or answerer.should_abstain(question, sources):
            continue
        top = sources[0]
        final = None
        for kind, value in answerer.answer(question, sources, [], "en"):
            if kind == "final":
                final = value
        kefu_text = strip_citations(final.text) if final is not None and not final.abstained else ""
        cited = final.sources[0] if final is not None and final.sources else top
        target = answering_sentence(question, top.text) if is_right(top) else None
        for name, text, src in (("kefu", kefu_text, cited), ("whole_entry", top.text, top)):
            if not text:
                continue
            first = (split_sentences(text) or [""])[0]
            figures[name]["len"].append(len(text.split()))
            figures[name]["first"].append(bool(target) and src.id == top.id and
                                          _same_sentence(first, target))
    return {name: {"reply.median_words": float(np.median(v["len"])) if v["len"] else 0.0,
                   "reply.answer_in_first_sentence": float(np.mean(v["first"])) if v["first"] else 0.0,
                   "reply.n": len(v["len"])} for name, v in figures.items()}


def _same_sentence(a: str, b: str) -> bool:
    """Whether two renderings are the same sentence (Kefu's quote may drop Markdown or a list marker)."""
    norm = lambda t: " ".join(re.findall(r"\w+", t.lower()))  # noqa: E731
    a, b = norm(a), norm(b)
    return bool(a) and bool(b) and (a == b or a in b or b in a)


def chinese_section(settings, mode: str) -> dict | None:
    """The zh figures of :func:`benchmarks.chinese.section` (None, with a message, without it)."""
    if mode == "off":
        return None
    try:
        from benchmarks import chinese
    except ImportError:
        print("skipped the zh section: benchmarks/chinese.py is not there")
        return None
    section = getattr(chinese, "section", None)
    if section is None:
        print("skipped the zh section: benchmarks.chinese has no section(settings)")
        return None
    import inspect

    if "answers" in inspect.signature(section).parameters:
        return section(settings, answers=mode == "full")
    return section(settings)


def main(argv: list[str] | None = None) -> int:
    p = parser("answer_quality", __doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=0, help="only N Bitext utterances, spread over the file (0 = all)")
    p.add_argument("--zh", choices=["retrieval", "full", "off"], default="retrieval",
                   help="the Chinese section (benchmarks.chinese): retrieval only, also every chat turn, or none")
    args = p.parse_args(argv)
    if args.limit < 0:
        p.error("--limit must be 0 or more")
    quiet_libraries()
    bitext_path = datasets_or_exit("faq", "bitext_customer_support.csv")
    ecommerce_path = datasets_or_exit("faq", "ecommerce_faq.json")

    from bot.llm import FakeLLM
    from bot.rag import Answerer
    from bot.retrieval import Retriever
    from knowledge.embedder import make_embedder

    settings = fresh_settings(llm="fake")
    t0 = time.perf_counter()
    store = build_demo_index(settings)
    index_seconds = time.perf_counter() - t0
    retriever = Retriever(store, top_k=5)
    embedder = store.embedder
    answerer = Answerer(settings, FakeLLM(), embedder, vocabulary=store.vocabulary)  # only its abstention rule

    with bitext_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    index = list(range(len(rows)))
    if args.limit and args.limit < len(rows):
        index = sorted({int(i) for i in np.linspace(0, len(rows) - 1, args.limit)})
    texts = [rows[i]["instruction"] for i in index]
    gold = [rows[i]["intent"] for i in index]
    dev = [i % 2 == 0 for i in index]  # even rows of the file were used while writing the FAQ's phrasings
    bitext = ask_bitext(retriever, answerer, texts, gold)
    hits1, hits3, router_hits, abstained = bitext["hits1"], bitext["hits3"], bitext["router"], bitext["abstained"]
    misses, per_query = bitext["misses"], bitext["per_query"]

    off = off_topic_questions()
    off_vecs = embedder.encode(off)
    off_ml = encode_multilingual(retriever, off)
    off_abstained = [answerer.should_abstain(text, retriever.retrieve(text, vector=vec, multilingual_vector=ml))
                     for text, vec, ml in zip(off, off_vecs, off_ml)]

    faq = json.loads(ecommerce_path.read_text(encoding="utf-8"))["questions"]
    eco = ecommerce_index(store, faq)
    eco_hits, eco_sources = ecommerce_hits(Retriever(eco, top_k=5, multilingual=None), faq)
    eco_dense, _ = ecommerce_hits(Retriever(eco, top_k=5, multilingual=None, lexical_weight=0.0), faq)
    answers = [q["answer"] for q in faq]

    # Replies: Kefu's against quoting the whole best entry (extractive, so no model is asked).
    quoting = Answerer(settings.model_copy(update={"answer_style": "extractive"}), FakeLLM(), embedder,
                       vocabulary=store.vocabulary)
    judge = make_embedder("multilingual") if retriever.multilingual is not None else embedder
    eco_cases = [(q["question"], srcs, (lambda src, a=q["answer"]: src.text == a)) for q, srcs in zip(faq, eco_sources)]
    step = max(1, len(texts) // 300)
    bitext_cases = [(texts[i], bitext["sources"][i], (lambda src, g=gold[i]: src.intent == g))
                    for i in range(0, len(texts), step)]
    replies = {"ecommerce_faq": reply_policies(quoting, judge, eco_cases),
               "bitext": reply_policies(quoting, judge, bitext_cases)}

    # TF-IDF baseline on the same FAQ phrasings.
    en = [(r.text, r.metadata["intent"]) for r in store.records(where={"kind": "faq"}) if r.metadata.get("lang") != "zh"]
    tfidf = TfidfBaseline([d for d, _ in en], [lab for _, lab in en])
    ranked = tfidf.ranked(texts)
    tf1 = [r[:1] == [g] for r, g in zip(ranked, gold)]
    tf3 = [g in r for r, g in zip(ranked, gold)]
    eco_tfidf = TfidfBaseline(answers, [str(i) for i in range(len(answers))])
    eco_tf = [answers[int(r[0])] == answers[i] for i, r in enumerate(eco_tfidf.ranked([q["question"] for q in faq], k=1))]

    mean = lambda xs: float(np.mean(xs)) if len(xs) else 0.0  # noqa: E731
    part = lambda xs, want: [x for x, d in zip(xs, dev) if d == want]  # noqa: E731
    kefu = {
        "bitext.hit@1": mean(hits1),
        "bitext.hit@3": mean(hits3),
        "bitext.dev.hit@1": mean(part(hits1, True)),
        "bitext.test.hit@1": mean(part(hits1, False)),
        "bitext.router.hit@1": mean(router_hits),
        "bitext.false_abstention_rate": mean(abstained),
        "offtopic.abstention_rate": mean(off_abstained),
        "ecommerce_faq.hit@1": mean(eco_hits),
        "ecommerce_faq.hit@1.dense_only": mean(eco_dense),
        "retrieval_ms_per_query": per_query * 1000,
        "index_seconds": index_seconds,
        "multilingual_index": float(retriever.multilingual is not None),
        "n_bitext": len(texts),
        "n_offtopic": len(off),
    }
    baseline = {
        "bitext.hit@1": mean(tf1),
        "bitext.hit@3": mean(tf3),
        "bitext.dev.hit@1": mean(part(tf1, True)),
        "bitext.test.hit@1": mean(part(tf1, False)),
        "ecommerce_faq.hit@1": mean(eco_tf),
    }
    for data, figures in replies.items():
        kefu.update({f"{data}.{m}": v for m, v in figures["kefu"].items()})
    whole = {f"{data}.{m}": v for data, figures in replies.items() for m, v in figures["whole_entry"].items()}
    ratio = {k: kefu[k] / baseline[k] for k in baseline if baseline[k]}
    results = {"kefu": kefu, "tfidf": baseline, "kefu/tfidf": ratio, "whole_entry": whole,
               "kefu/whole_entry": {k: kefu[k] / v for k, v in whole.items() if v and not k.endswith(".n")}}
    zh = chinese_section(settings, args.zh)
    if zh:
        for system, figures in zh.items():
            if isinstance(figures, dict):
                results.setdefault(system, {}).update(figures)
            else:
                results["kefu"][system] = figures
    emit(results, args.json, "Answer quality (retrieval + abstention)")
    print("most frequent confusions (gold → retrieved):")
    for (g, p_), n in misses.most_common(8):
        print(f"  {g} → {p_}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
