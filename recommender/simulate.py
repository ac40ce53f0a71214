"""``python -m recommender.simulate``: the demo purchase-log generator (lives in :mod:`tools.recsys.simulate`)."""

if __name__ == "__main__":
    from tools.recsys.simulate import main

    raise SystemExit(main())
