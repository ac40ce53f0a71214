"""Offline sentiment work: training the shipped weights and evaluating on labelled files.

The models themselves (inference only) are in :mod:`bot.sentiment`; this package holds what
only ``python -m bot.sentiment train|evaluate`` and ``python -m benchmarks.sentiment`` need:

- :mod:`tools.sentiment.data` — the labelled files and where they live, cross-fit paths;
- :mod:`tools.sentiment.training` — the loop, calibration and saving both English adapters share;
- :mod:`tools.sentiment.train_minilm`, :mod:`~tools.sentiment.train_smollm2`,
  :mod:`~tools.sentiment.train_zh` — one per shipped model;
- :mod:`tools.sentiment.evaluate` — metrics on a labelled file;
- :mod:`tools.sentiment.cli` — the two commands.
"""
