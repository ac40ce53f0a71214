"""``python -m recommender.train``: fit one model and save it (the command is in :mod:`tools.recsys.train_cli`)."""

if __name__ == "__main__":
    from tools.recsys.train_cli import main

    raise SystemExit(main())
