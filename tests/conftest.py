"""Shared fixtures: settings in a temporary data dir, fakes that subclass the real seams."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = Path(os.environ.get("KEFU_DATASETS_DIR", REPO.parent / "shared" / "datasets"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def datasets_dir() -> Path:
    """../shared/datasets, or skip the test with a clear message when it is absent."""
    if not DATASETS.is_dir():
        pytest.skip(f"public datasets not found at {DATASETS} (set KEFU_DATASETS_DIR)")
    return DATASETS


@pytest.fixture
def settings(tmp_path):
    from bot.config import Settings

    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        llm="fake",
        embedder="fake",
        sentiment_model="fake",
        collection="test",
    )
