"""``python -m recommender.evaluate``: score models on one split (the command is in :mod:`tools.recsys.evaluate_cli`)."""

if __name__ == "__main__":
    from tools.recsys.evaluate_cli import main

    raise SystemExit(main())
