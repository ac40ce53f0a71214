"""``python -m bot.sentiment evaluate|train``: score a labelled file, train the shipped weights.

``evaluate FILE [--text-col N --label-col N] [--json OUT] [--model SPEC]`` prints accuracy and
macro-F1 and writes ``{"kefu": {"accuracy", "macro_f1", "n"}}``; ``train`` writes the English
adapter(s) and the Chinese model to ``bot/sentiment/models`` (or ``--out``), and with
``--crossfit`` the leave-one-file-out adapters under ``crossfit/`` that the reported figures
come from (a file's figure always comes from an adapter that never saw it). Errors are one
line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DESCRIPTION = "Shopper sentiment: the ``SentimentModel`` seam, chosen by the ``KEFU_SENTIMENT_MODEL`` setting."


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.sentiment.factory import make_sentiment_model
    from tools.sentiment.evaluate import evaluate_file

    model = make_sentiment_model(args.model)
    result = evaluate_file(model, Path(args.file), args.text_col, args.label_col)
    print(f"{Path(args.file).name}: accuracy {result['accuracy']:.4f}  "
          f"macro-F1 {result['macro_f1']:.4f}  n {result['n']}  (model: {args.model})")
    if args.json:
        Path(args.json).write_text(json.dumps({"kefu": result}, indent=2) + "\n", encoding="utf-8")
    return 0


def _train_english(args: argparse.Namespace, root: Path, out_dir: Path) -> None:
    """The English adapter(s) ``--english`` names, without ``--exclude``d files, plus the
    cross-fitted ones with ``--crossfit``."""
    from tools.sentiment.data import ADAPTER_STEMS, ENGLISH_FILES, crossfit_path, load_english
    from tools.sentiment.train_minilm import train_minilm
    from tools.sentiment.train_smollm2 import train_smollm2

    names = [n for n in ENGLISH_FILES if n not in args.exclude]
    if not names:
        raise ValueError("every English training file was excluded")
    main_job = tuple(args.exclude)
    kinds = ["minilm", "smollm2"] if getattr(args, "english", "both") == "both" else [args.english]
    for kind in kinds:
        stem = ADAPTER_STEMS[kind]
        jobs = {main_job: out_dir / (f"{stem}.safetensors" if not main_job
                                     else f"{stem}_no-{'-'.join(main_job)}.safetensors")}
        if args.crossfit:
            for n in ENGLISH_FILES:
                jobs.setdefault((n,), out_dir / "crossfit" / crossfit_path(n, kind).name)
        data = load_english(root, [n for n in ENGLISH_FILES if any(n not in j for j in jobs)])
        (train_minilm if kind == "minilm" else train_smollm2)(data, jobs)


def cmd_train(args: argparse.Namespace) -> int:
    """``python -m bot.sentiment train``: English adapter(s) and the Chinese model."""
    import torch

    from bot.sentiment.base import MODELS_DIR
    from tools.sentiment.data import datasets_dir

    torch.set_num_threads(max(1, args.threads))
    root = datasets_dir(args.datasets)
    if not (root / "sentiment").is_dir():
        raise FileNotFoundError(f"no sentiment datasets at {root / 'sentiment'} "
                                "(set KEFU_DATASETS_DIR or --datasets)")
    out_dir = Path(args.out) if args.out else MODELS_DIR
    if args.only != "zh":
        _train_english(args, root, out_dir)
    if args.only != "en":
        from tools.sentiment.train_zh import train_zh

        train_zh(root, out_dir)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.sentiment", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="accuracy and macro-F1 on a labelled tsv/csv file")
    ev.add_argument("file", help="tsv/csv, header optional, labels 1 positive / 0 negative")
    ev.add_argument("--text-col", type=int, default=0, help="0-based text column (default 0)")
    ev.add_argument("--label-col", type=int, default=1, help="0-based label column (default 1)")
    ev.add_argument("--json", help="write {\"kefu\": {accuracy, macro_f1, n}} here")
    ev.add_argument("--model", default="bundled",
                    help="bundled | minilm | bundled:ADAPTER | minilm:ADAPTER | fake | HF model id/path")
    ev.set_defaults(func=cmd_evaluate)
    tr = sub.add_parser("train", help="train the shipped English adapters and Chinese model")
    tr.add_argument("--datasets", help="datasets folder (default ../shared/datasets or KEFU_DATASETS_DIR)")
    tr.add_argument("--out", help="folder for the weights (default bot/sentiment/models)")
    tr.add_argument("--exclude", action="append", default=[], choices=["amazon", "imdb", "sst2"],
                    help="leave an English file out (cross-fitting); repeatable")
    tr.add_argument("--crossfit", action="store_true",
                    help="also train the leave-one-file-out adapters used for reported figures")
    tr.add_argument("--only", choices=["en", "zh"], help="train just one language")
    tr.add_argument("--english", choices=["smollm2", "minilm", "both"], default="both",
                    help="which English adapter(s) to train (default both)")
    tr.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    tr.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
