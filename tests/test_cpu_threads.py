"""One thread policy for the local models (bot/cpu_threads.py), applied when a ChatService is built."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.cpu_threads import auto_threads, torch_threads

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_small_machines_get_one_thread_per_model():
    assert [auto_threads(n) for n in (1, 2, 4, 8, 16, 64)] == [1, 1, 1, 4, 4, 4]
    assert [torch_threads(0, cores=n) for n in (1, 2, 4, 8)] == [1, 1, 1, None]  # None: torch's default
    assert torch_threads(3, cores=2) == torch_threads(3, cores=64) == 3  # KEFU_LLM_THREADS wins


PROBE = """
import json, os, sys
sys.path.insert(0, {repo!r})
from bot.cpu_threads import limit_torch_threads
before_import = limit_torch_threads({setting})
env = os.environ.get("OMP_NUM_THREADS")
lazy = "torch" not in sys.modules
import torch
torch.set_num_threads(2)
after_import = limit_torch_threads({setting})
print(json.dumps([before_import, env, lazy, after_import, torch.get_num_threads()]))
"""


def probe(setting: int, env: dict) -> list:
    out = subprocess.run([sys.executable, "-c", PROBE.format(repo=REPO, setting=setting)], capture_output=True,
                         text=True, env=env, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def clean_env():
    return {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}


def test_torch_is_limited_without_being_imported_early(clean_env):
    pytest.importorskip("torch")
    before, env, lazy, after, threads = probe(0, clean_env)
    expected = torch_threads(0)
    if expected is None:  # a big machine: torch keeps its own default
        assert (before, after, env) == (None, None, None)
        return
    assert lazy and before == expected and env == str(expected)  # torch not imported, told through the env
    assert after == threads == expected  # once loaded, its pool is resized


def test_an_explicit_setting_and_an_exported_omp_num_threads(clean_env):
    pytest.importorskip("torch")
    assert probe(3, clean_env)[3:] == [3, 3]
    if torch_threads(0) is not None:  # the user's OMP_NUM_THREADS wins over the automatic choice
        assert probe(0, clean_env | {"OMP_NUM_THREADS": "2"})[3:] == [2, 2]


def test_building_the_service_applies_the_policy(settings, monkeypatch):
    from bot.service import ChatService
    from tests.fakes import FakeRecommender

    calls = []
    monkeypatch.setattr("bot.service.limit_torch_threads", lambda n: calls.append(n))
    ChatService(settings.model_copy(update={"llm_threads": 2}), recommender=FakeRecommender())
    assert calls == [2]
