"""The llama.cpp backend on the real bundled GGUF (``KEFU_LLM=llamacpp``)."""

from __future__ import annotations

import threading

import pytest

from settings import Settings
from bot.llm import LLMError, make_llm

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (requirements-dev.txt)")

SOURCES = [
    {"role": "system", "content": "Answer the question from the sources only."},
    {"role": "user", "content": "[1] Returns\nYou can return any item within 30 days of delivery.\n\n"
                                "Question: How many days do I have to return an item?"},
]


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    model = make_llm(Settings(llm="llamacpp", llm_threads=2, llm_timeout=5.0,
                              data_dir=tmp_path_factory.mktemp("data")))
    model.warm()
    return model


def test_setting_picks_llamacpp_and_it_answers_from_the_source(llm):
    assert type(llm).__name__ == "LlamaCppLLM"
    reply = llm.complete(SOURCES, max_new_tokens=40)
    assert "30" in reply


def test_greedy_decoding_is_repeatable(llm):
    assert llm.complete(SOURCES, max_new_tokens=20) == llm.complete(SOURCES, max_new_tokens=20)


def test_closing_the_stream_stops_and_frees_the_model(llm):
    gen = llm.stream(SOURCES, max_new_tokens=100)
    next(gen)
    gen.close()
    assert llm._gen_lock.acquire(blocking=False)
    llm._gen_lock.release()


def test_a_busy_model_fails_after_the_queue_wait(llm):
    llm._gen_lock.acquire()
    try:
        llm.queue_wait = 0.2
        with pytest.raises(LLMError, match="busy"):
            next(llm.stream(SOURCES))
    finally:
        llm.queue_wait = 5.0
        llm._gen_lock.release()


def test_one_generation_at_a_time(llm):
    outputs, errors = [], []

    def ask():
        try:
            outputs.append(llm.complete(SOURCES, max_new_tokens=12))
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(outputs) == 2 and outputs[0] == outputs[1]


def test_missing_gguf_file_is_a_clear_error(tmp_path):
    bad = make_llm(Settings(llm=f"llamacpp:{tmp_path / 'nope.gguf'}", data_dir=tmp_path))
    with pytest.raises(LLMError, match="no GGUF file"):
        bad.warm()
