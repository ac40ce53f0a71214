"""Chinese mood: plain questions read neutral, complaints negative, requests for a person escalate.

``python -m benchmarks.zh_mood [--json OUT] [--datasets DIR]``

Two parts, both for the shipped Chinese model (:mod:`bot.sentiment.zh` inside
:class:`~bot.sentiment.bundled.BundledSentiment`) and, in the same run, for the rule before issue 12
(``uniform``: every question damped by the English factor 0.25, no complaint cues):

- ``benchmarks/data/zh_mood.tsv`` — Chinese shopper messages written for Kefu, each marked
  ``neutral`` (a plain question), ``negative`` (a complaint or anger) or ``human`` (asks for a
  person). Figures: ``neutral_false_negative`` (share of plain questions read negative — the
  reply would open with an apology), ``negative_recall`` (complaints read negative),
  ``human_escalated`` (requests for a person on which :class:`desk.escalation.EscalationPolicy`
  hands over).
- the held-out 20% of ``online_shopping_10_cats`` (``../shared/datasets/sentiment``; skipped with a
  message when absent): binary accuracy and macro-F1 (positive iff P(pos) > P(neg); question
  damping keeps the sign, so both rules score the same), ``zh_heldout.questions`` — how many
  held-out reviews :func:`~bot.sentiment.base.is_question` calls questions — and
  ``zh_heldout.negative_questions_read_negative``: of the negative reviews among them (rhetorical
  questions, complaints), the share still labelled negative (three-way), i.e. what the damping costs.

JSON: ``{"kefu": {"neutral_false_negative": …, "zh_heldout.accuracy": …}, "uniform": {…}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "zh_mood.tsv"
KINDS = ("neutral", "negative", "human")


def read_cases(path: Path = DATA) -> list[tuple[str, str]]:
    """``[(text, kind)]`` from the tab-separated file (``#`` lines are comments)."""
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, _, kind = line.rpartition("\t")
        if kind not in KINDS or not text.strip():
            raise ValueError(f"{path}:{n}: expected 'text<TAB>{'|'.join(KINDS)}', got {line!r}")
        cases.append((text, kind))
    return cases


def uniform_model():
    """The rule before issue 12: Chinese questions damped like English ones (0.25), no cues."""
    from bot.sentiment.bundled import BundledSentiment

    class Uniform(BundledSentiment):
        def damping_for(self, question: str) -> float:
            return self.question_damping

    return Uniform(english="minilm")


def mood_figures(model, cases: list[tuple[str, str]]) -> tuple[dict[str, float], list[str]]:
    """Figures on the written cases, and the messages each got wrong (``kind: text (label)``)."""
    from desk.escalation import EscalationPolicy, TurnSignal

    policy = EscalationPolicy()
    scores = model.score_many([t for t, _ in cases])
    wrong: list[str] = []
    counts = {k: 0 for k in KINDS}
    hits = {k: 0 for k in KINDS}
    for (text, kind), s in zip(cases, scores):
        counts[kind] += 1
        if kind == "neutral":
            ok = s.label != "negative"
        elif kind == "negative":
            ok = s.label == "negative"
        else:
            ok = policy.decide([TurnSignal(text, s.polarity, s.label)]).escalate
        hits[kind] += ok
        if not ok:
            wrong.append(f"{kind}: {text} ({s.label} {s.polarity:+.2f})")
    out = {
        "neutral.n": counts["neutral"],
        "neutral_false_negative": round(1 - hits["neutral"] / max(1, counts["neutral"]), 4),
        "neutral_false_negatives": counts["neutral"] - hits["neutral"],
        "negative.n": counts["negative"],
        "negative_recall": round(hits["negative"] / max(1, counts["negative"]), 4),
        "human.n": counts["human"],
        "human_escalated": round(hits["human"] / max(1, counts["human"]), 4),
    }
    return out, wrong


def heldout_figures(model, root: Path) -> dict[str, float]:
    from bot.sentiment.base import is_question
    from tools.sentiment.data import CHINESE_FILE, load_online_shopping, split
    from tools.sentiment.evaluate import binary_metrics, binary_predictions

    texts, labels = load_online_shopping(root / "sentiment" / CHINESE_FILE)
    _, test = split(len(texts))
    texts, labels = [texts[i] for i in test], labels[test]
    out = {f"zh_heldout.{k}": v for k, v in binary_metrics(labels, binary_predictions(model, texts)).items()}
    asked = [i for i, t in enumerate(texts) if is_question(t)]
    out["zh_heldout.questions"] = len(asked)
    # negative reviews phrased as questions (rhetorical: "这也叫正品？"): still read negative?
    negative = [i for i in asked if labels[i] == 0]
    if negative:
        read = [s.label for s in model.score_many([texts[i] for i in negative])]
        out["zh_heldout.negative_questions_read_negative"] = round(read.count("negative") / len(read), 4)
    return out


def run(root: Path | None, cases: list[tuple[str, str]]) -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    from bot.sentiment.bundled import BundledSentiment

    result: dict[str, dict[str, float]] = {}
    misses: dict[str, list[str]] = {}
    for name, model in (("kefu", BundledSentiment(english="minilm")), ("uniform", uniform_model())):
        result[name], misses[name] = mood_figures(model, cases)
        if root is not None:
            result[name].update(heldout_figures(model, root))
    return result, misses


def print_table(result: dict[str, dict[str, float]]) -> None:
    keys = ["neutral_false_negative", "neutral_false_negatives", "negative_recall", "human_escalated",
            "zh_heldout.accuracy", "zh_heldout.macro_f1", "zh_heldout.n", "zh_heldout.questions",
            "zh_heldout.negative_questions_read_negative"]
    print(f"{'metric':<44} " + " ".join(f"{name:>10}" for name in result))
    for key in keys:
        if any(key in figures for figures in result.values()):
            print(f"{key:<44} " + " ".join(f"{figures.get(key, 'n/a'):>10}" for figures in result.values()))


def main(argv: list[str] | None = None) -> int:
    from tools.sentiment.data import datasets_dir

    parser = argparse.ArgumentParser(prog="python -m benchmarks.zh_mood",
                                     description="Chinese mood: plain questions neutral, complaints negative")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--datasets", help="datasets folder (default ../shared/datasets)")
    parser.add_argument("--cases", default=str(DATA), help=f"the written messages (default {DATA})")
    args = parser.parse_args(argv)
    try:
        cases = read_cases(Path(args.cases))
        root = datasets_dir(args.datasets)
        if not (root / "sentiment").is_dir():
            print(f"no sentiment datasets at {root / 'sentiment'}: held-out accuracy skipped")
            root = None
        result, misses = run(root, cases)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_table(result)
    for name, wrong in misses.items():
        for line in wrong:
            print(f"  {name} wrong — {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
