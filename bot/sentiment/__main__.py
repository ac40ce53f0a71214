"""``python -m bot.sentiment evaluate|train …``: the offline commands of :mod:`tools.sentiment.cli`."""


def _main() -> int:
    from tools.sentiment.cli import main

    return main()


raise SystemExit(_main())
