"""Sentiment quality: Kefu's bundled models vs VADER on public labelled files, same run.

``python -m benchmarks.sentiment [--json OUT]``

Files (from ``../shared/datasets/sentiment`` or ``$KEFU_DATASETS_DIR``): GLUE SST-2 dev, UCI
amazon_cells, imdb and yelp (held out: no Kefu model ever trained on it), and the held-out 20%
of ``online_shopping_10_cats`` (Chinese; VADER is English-only, so n/a).

Two Kefu English models are measured: ``kefu`` is the default (``bundled``: SmolLM2-135M-Instruct
label-word scores + LoRA adapter, :mod:`bot.sentiment.smollm2`, with English questions — ~3% of
each file by :func:`bot.sentiment.base.is_question` — going to the MiniLM adapter cross-fitted the
same way), ``kefu_minilm`` the cheaper one (spec ``minilm``: MiniLM + LoRA adapter,
:mod:`bot.sentiment.minilm`). Which adapter produces which figure (a file's figure never comes
from a model trained on it):

- ``sst2`` — adapter trained on amazon + imdb (``bot/sentiment/models/crossfit/…_no-sst2``)
- ``amazon`` — adapter trained on imdb + sst2 (``…_no-amazon``)
- ``imdb`` — adapter trained on amazon + sst2 (``…_no-imdb``)
- ``amazon+imdb`` — the two rows above pooled
- ``yelp`` — the shipped adapter (amazon + imdb + sst2); yelp is held out: never trained or
  tuned on
- ``zh_heldout`` — the shipped Chinese model (trained on the 80% training part; the same for
  both, so reported under ``kefu`` only)

Binary decision: Kefu says positive iff P(pos) > P(neg); VADER iff its compound score > 0.
Metrics: accuracy and macro-F1; ``ratio`` is Kefu / VADER; ``sentences_per_s`` is throughput
in batches of 256 on the threads given (default 2). JSON top level:
``{"kefu": {"sst2.accuracy": …}, "kefu_minilm": {…}, "vader": {…}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bot.sentiment.base import EN_ADAPTER_PATH, EN_LLM_ADAPTER_PATH
from bot.sentiment.bundled import BundledSentiment
from tools.sentiment.data import (
    CHINESE_FILE,
    ENGLISH_FILES,
    HELD_OUT,
    crossfit_path,
    datasets_dir,
    load_online_shopping,
    read_labelled,
    split,
)
from tools.sentiment.evaluate import binary_metrics, binary_predictions


def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    return SentimentIntensityAnalyzer()


def _chinese_heldout(root: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = load_online_shopping(root / "sentiment" / CHINESE_FILE)
    _, test = split(len(texts))
    return [texts[i] for i in test], labels[test]


def _adapters(kind: str) -> dict[str, Path]:
    shipped = EN_LLM_ADAPTER_PATH if kind == "smollm2" else EN_ADAPTER_PATH
    return {"sst2": crossfit_path("sst2", kind), "amazon": crossfit_path("amazon", kind),
            "imdb": crossfit_path("imdb", kind), "yelp": shipped}


def _english(kind: str, files: dict[str, Path], vader=None, base: dict | None = None,
             questions: str = "minilm", dtype: str = "float32") -> dict[str, float]:
    """One English model's figures per file (VADER's go into ``base`` on the way)."""
    out: dict[str, float] = {}
    pooled: dict[str, list[np.ndarray]] = {"truth": [], "kefu": [], "vader": []}
    for name, adapter in _adapters(kind).items():
        if not adapter.is_file():
            print(f"{kind} {name}: adapter {adapter} missing "
                  f"(python -m bot.sentiment train --english {kind} --crossfit); skipped")
            continue
        texts, labels = read_labelled(files[name])
        # under SmolLM2, questions go to the MiniLM adapter cross-fitted the same way
        model = BundledSentiment(adapter_path=adapter, english=kind, dtype=dtype,
                                 question_adapter=(None if kind != "smollm2" else "same" if questions == "same"
                                                   else _adapters("minilm")[name]))
        _ = model.english  # load outside the timing
        t0 = time.perf_counter()
        pred = binary_predictions(model, texts)
        out.update({f"{name}.{k}": v for k, v in binary_metrics(labels, pred).items()})
        out[f"{name}.sentences_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
        if vader is not None and base is not None:
            vpred = np.array([int(vader.polarity_scores(t)["compound"] > 0) for t in texts])
            base.update({f"{name}.{k}": v for k, v in binary_metrics(labels, vpred).items()})
            if name in ("amazon", "imdb"):
                pooled["vader"].append(vpred)
        if name in ("amazon", "imdb"):
            pooled["truth"].append(labels)
            pooled["kefu"].append(pred)
        del model
    if len(pooled["truth"]) == 2:
        truth = np.concatenate(pooled["truth"])
        out.update({f"amazon+imdb.{k}": v for k, v in
                    binary_metrics(truth, np.concatenate(pooled["kefu"])).items()})
        if len(pooled["vader"]) == 2 and base is not None:
            base.update({f"amazon+imdb.{k}": v for k, v in
                         binary_metrics(truth, np.concatenate(pooled["vader"])).items()})
    return out


def run(root: Path, models: tuple[str, ...] = ("smollm2", "minilm"),
        questions: str = "minilm", dtype: str = "float32") -> dict[str, dict[str, float]]:
    folder = root / "sentiment"
    files = {name: folder / fname for name, fname in ENGLISH_FILES.items()}
    files["yelp"] = folder / HELD_OUT
    vader = _vader()
    if vader is None:
        print("vaderSentiment is not installed (pip install vaderSentiment): VADER columns skipped")
    base: dict[str, float] = {}
    result: dict[str, dict[str, float]] = {}
    for kind in models:
        key = "kefu" if kind == "smollm2" else "kefu_minilm"
        result[key] = _english(kind, files, vader if not base else None, base, questions, dtype)
    kefu = result.setdefault("kefu", {})
    texts, labels = _chinese_heldout(root)
    pred = binary_predictions(BundledSentiment(english="minilm"), texts)  # Chinese: English part unused
    kefu.update({f"zh_heldout.{k}": v for k, v in binary_metrics(labels, pred).items()})
    for figures in result.values():
        for key in list(base):
            if key.endswith((".accuracy", ".macro_f1")) and base[key] and key in figures:
                figures[f"{key}_ratio_vs_vader"] = round(figures[key] / base[key], 4)
    if base:
        result["vader"] = base
    return result


def print_table(result: dict[str, dict[str, float]]) -> None:
    kefu, minilm, vader = result["kefu"], result.get("kefu_minilm", {}), result.get("vader", {})
    print(f"{'file':<12} {'n':>5} {'kefu acc':>9} {'kefu F1':>8} {'minilm acc':>11} {'vader acc':>10} "
          f"{'vader F1':>9} {'acc ratio':>10}")
    na = "n/a"
    for name in ("sst2", "amazon", "imdb", "amazon+imdb", "yelp", "zh_heldout"):
        if f"{name}.accuracy" not in kefu:
            continue
        va, vf = vader.get(f"{name}.accuracy"), vader.get(f"{name}.macro_f1")
        ma = minilm.get(f"{name}.accuracy")
        ratio = kefu.get(f"{name}.accuracy_ratio_vs_vader")
        print(f"{name:<12} {kefu[f'{name}.n']:>5} {kefu[f'{name}.accuracy']:>9.4f} "
              f"{kefu[f'{name}.macro_f1']:>8.4f} {ma if ma is not None else na:>11} "
              f"{va if va is not None else na:>10} {vf if vf is not None else na:>9} "
              f"{ratio if ratio is not None else na:>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sentiment",
                                     description="Kefu sentiment vs VADER on public labelled files")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--datasets", help="datasets folder (default ../shared/datasets)")
    parser.add_argument("--models", default="smollm2,minilm",
                        help="English models to measure, comma-separated (default smollm2,minilm)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="float32",
                        help="SmolLM2 weights, as KEFU_LLM_DTYPE (default float32)")
    parser.add_argument("--questions", choices=["minilm", "same"], default="minilm",
                        help="where SmolLM2's English questions go: the MiniLM adapter (default, as "
                             "the app does) or SmolLM2 itself")
    args = parser.parse_args(argv)
    root = datasets_dir(args.datasets)
    if not (root / "sentiment").is_dir():
        print(f"no sentiment datasets at {root / 'sentiment'}: benchmark skipped")
        return 0
    try:
        import torch

        torch.set_num_threads(max(1, args.threads))
        models = tuple(m.strip() for m in args.models.split(",") if m.strip())
        if not models or any(m not in ("smollm2", "minilm") for m in models):
            raise ValueError(f"--models: expected smollm2 and/or minilm, got {args.models!r}")
        result = run(root, models, args.questions, args.dtype)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_table(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
