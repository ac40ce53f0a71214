"""``python -m bot.sentiment evaluate|train …`` (see :func:`bot.sentiment.base.main`)."""

from bot.sentiment.base import main

raise SystemExit(main())
