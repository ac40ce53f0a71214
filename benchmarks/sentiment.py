"""Sentiment quality: Kefu's bundled models vs VADER on public labelled files, same run.

``python -m benchmarks.sentiment [--json OUT]``

Files (from ``../shared/datasets/sentiment`` or ``$KEFU_DATASETS_DIR``): GLUE SST-2 dev, UCI
amazon_cells, imdb and yelp (held out: no Kefu model ever trained on it), and the held-out 20%
of ``online_shopping_10_cats`` (Chinese; VADER is English-only, so n/a).

Which Kefu model produces which figure (a file's figure never comes from a model trained on it):

- ``sst2`` — adapter trained on amazon + imdb (``bot/models/crossfit/sentiment_en_no-sst2``)
- ``amazon`` — adapter trained on imdb + sst2 (``…/sentiment_en_no-amazon``)
- ``imdb`` — adapter trained on amazon + sst2 (``…/sentiment_en_no-imdb``)
- ``amazon+imdb`` — the two rows above pooled
- ``yelp`` — the shipped adapter (amazon + imdb + sst2)
- ``zh_heldout`` — the shipped Chinese model (trained on the 80% training part)

Binary decision: Kefu says positive iff P(pos) > P(neg); VADER iff its compound score > 0.
Metrics: accuracy and macro-F1; ``ratio`` is Kefu / VADER. JSON top level:
``{"kefu": {"sst2.accuracy": …}, "vader": {…}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bot.sentiment import BundledSentiment, binary_metrics, binary_predictions, read_labelled
from bot.sentiment_train import ENGLISH_FILES, EN_ADAPTER_PATH, HELD_OUT, crossfit_path, datasets_dir


def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    return SentimentIntensityAnalyzer()


def _chinese_heldout(root: Path) -> tuple[list[str], np.ndarray]:
    from bot import sentiment_zh as zh

    texts, labels = zh.load_online_shopping(root / "sentiment" / "online_shopping_10_cats.zip")
    _, test = zh.split(len(texts))
    return [texts[i] for i in test], labels[test]


def run(root: Path) -> dict[str, dict[str, float]]:
    folder = root / "sentiment"
    files = {name: folder / fname for name, fname in ENGLISH_FILES.items()}
    files["yelp"] = folder / HELD_OUT
    adapters = {"sst2": crossfit_path("sst2"), "amazon": crossfit_path("amazon"),
                "imdb": crossfit_path("imdb"), "yelp": EN_ADAPTER_PATH}
    vader = _vader()
    if vader is None:
        print("vaderSentiment is not installed (pip install vaderSentiment): VADER columns skipped")
    kefu: dict[str, float] = {}
    base: dict[str, float] = {}
    pooled: dict[str, list[np.ndarray]] = {"truth": [], "kefu": [], "vader": []}
    for name in ("sst2", "amazon", "imdb", "yelp"):
        if not adapters[name].is_file():
            print(f"{name}: adapter {adapters[name]} missing "
                  "(python -m bot.sentiment train --crossfit); skipped")
            continue
        texts, labels = read_labelled(files[name])
        t0 = time.perf_counter()
        pred = binary_predictions(BundledSentiment(adapter_path=adapters[name]), texts)
        kefu.update({f"{name}.{k}": v for k, v in binary_metrics(labels, pred).items()})
        kefu[f"{name}.sentences_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
        if vader is not None:
            vpred = np.array([int(vader.polarity_scores(t)["compound"] > 0) for t in texts])
            base.update({f"{name}.{k}": v for k, v in binary_metrics(labels, vpred).items()})
        if name in ("amazon", "imdb"):
            pooled["truth"].append(labels)
            pooled["kefu"].append(pred)
            if vader is not None:
                pooled["vader"].append(vpred)
    if len(pooled["truth"]) == 2:
        truth = np.concatenate(pooled["truth"])
        kefu.update({f"amazon+imdb.{k}": v for k, v in
                     binary_metrics(truth, np.concatenate(pooled["kefu"])).items()})
        if pooled["vader"]:
            base.update({f"amazon+imdb.{k}": v for k, v in
                         binary_metrics(truth, np.concatenate(pooled["vader"])).items()})
    texts, labels = _chinese_heldout(root)
    pred = binary_predictions(BundledSentiment(), texts)
    kefu.update({f"zh_heldout.{k}": v for k, v in binary_metrics(labels, pred).items()})
    for key in list(base):
        if key.endswith((".accuracy", ".macro_f1")) and base[key]:
            kefu[f"{key}_ratio_vs_vader"] = round(kefu[key] / base[key], 4)
    return {"kefu": kefu, "vader": base} if base else {"kefu": kefu}


def print_table(result: dict[str, dict[str, float]]) -> None:
    kefu, vader = result["kefu"], result.get("vader", {})
    print(f"{'file':<12} {'n':>6} {'kefu acc':>9} {'kefu F1':>8} {'vader acc':>10} "
          f"{'vader F1':>9} {'acc ratio':>10}")
    for name in ("sst2", "amazon", "imdb", "amazon+imdb", "yelp", "zh_heldout"):
        if f"{name}.accuracy" not in kefu:
            continue
        va, vf = vader.get(f"{name}.accuracy"), vader.get(f"{name}.macro_f1")
        ratio = kefu.get(f"{name}.accuracy_ratio_vs_vader")
        print(f"{name:<12} {kefu[f'{name}.n']:>6} {kefu[f'{name}.accuracy']:>9.4f} "
              f"{kefu[f'{name}.macro_f1']:>8.4f} {va if va is not None else 'n/a':>10} "
              f"{vf if vf is not None else 'n/a':>9} {ratio if ratio is not None else 'n/a':>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sentiment",
                                     description="Kefu sentiment vs VADER on public labelled files")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--datasets", help="datasets folder (default ../shared/datasets)")
    args = parser.parse_args(argv)
    root = datasets_dir(args.datasets)
    if not (root / "sentiment").is_dir():
        print(f"no sentiment datasets at {root / 'sentiment'}: benchmark skipped")
        return 0
    try:
        import torch

        torch.set_num_threads(2)
        result = run(root)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_table(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
