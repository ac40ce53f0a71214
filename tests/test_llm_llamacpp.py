"""The default chat backend: the bundled GGUF under llama.cpp (``xllamacpp``), on the real model."""

from __future__ import annotations

import threading
import time

import pytest

from settings import Settings
from bot.llm import LLMError, make_llm

pytestmark = pytest.mark.slow
pytest.importorskip("xllamacpp", reason="xllamacpp is not installed (requirements.txt)")

SOURCES = [
    {"role": "system", "content": "Answer the question from the sources only."},
    {"role": "user", "content": "[1] Returns\nYou can return any item within 30 days of delivery.\n\n"
                                "Question: How many days do I have to return an item?"},
]
LONG = [{"role": "user", "content": "Write a long story about a lighthouse keeper and a storm."}]


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    model = make_llm(Settings(_env_file=None, llm="bundled", llm_timeout=30.0, llm_queue_wait=5.0,
                              data_dir=tmp_path_factory.mktemp("data")))
    model.warm()
    return model


def test_bundled_is_llamacpp_and_answers(llm):
    assert type(llm).__name__ == "LlamaCppLLM" and llm.threads >= 1
    assert "7 days" in llm.complete([{"role": "user", "content": "How many days are in a week?"}], max_new_tokens=30)


def test_streams_token_pieces_and_the_first_comes_early(llm):
    start = time.perf_counter()
    stamps, pieces = [], []
    for piece in llm.stream(LONG, max_new_tokens=120):
        stamps.append(time.perf_counter() - start)
        pieces.append(piece)
    assert len(pieces) >= 60  # about one piece per token, not one block at the end
    assert stamps[0] < stamps[-1] / 2
    assert all(isinstance(p, str) and p for p in pieces)


def test_greedy_decoding_is_repeatable(llm):
    assert llm.complete(SOURCES, max_new_tokens=20) == llm.complete(SOURCES, max_new_tokens=20)


def test_the_gguf_chat_template_is_applied(llm):
    """The prompt llama.cpp builds is the GGUF's ChatML template, and generation used it: its
    prompt token count is that text's. (The server's HTTP side needs its random API key.)"""
    import httpx

    from bot.llm.llamacpp import request, stream_chunks

    url, key = llm._model.listening_address, llm.api_key
    assert httpx.post(f"{url}/apply-template", json={"messages": SOURCES}, timeout=10).status_code == 401
    auth = {"Authorization": f"Bearer {key}"}
    prompt = httpx.post(f"{url}/apply-template", json={"messages": SOURCES}, headers=auth, timeout=10).json()["prompt"]
    assert prompt.startswith("<|im_start|>system\nAnswer the question from the sources only.<|im_end|>\n<|im_start|>user\n")
    assert prompt.endswith("<|im_end|>\n<|im_start|>assistant\n")
    tokens = httpx.post(f"{url}/tokenize", json={"content": prompt, "parse_special": True},
                        headers=auth, timeout=10).json()["tokens"]
    timings = [c["timings"] for c in stream_chunks(llm._model, request(SOURCES, 4), 30) if "timings" in c]
    assert timings and timings[-1]["prompt_n"] + timings[-1].get("cache_n", 0) == len(tokens)


def test_closing_the_stream_stops_generation_and_frees_the_model(llm):
    gen = llm.stream(LONG, max_new_tokens=400)
    next(gen)
    gen.close()
    assert llm._gen_lock.acquire(blocking=False)
    llm._gen_lock.release()
    assert not [t for t in threading.enumerate() if t.name == "kefu-llamacpp"]
    start = time.perf_counter()
    assert llm.complete(SOURCES, max_new_tokens=5)  # the next request is not behind 400 tokens
    assert time.perf_counter() - start < 20


def test_a_busy_model_fails_after_the_queue_wait(llm):
    llm._gen_lock.acquire()
    try:
        start = time.perf_counter()
        llm.queue_wait = 0.3
        with pytest.raises(LLMError, match="busy"):
            next(llm.stream(SOURCES))
        assert 0.25 < time.perf_counter() - start < 5
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


def test_a_prompt_longer_than_the_context_is_an_llm_error(llm):
    with pytest.raises(LLMError, match="context"):
        llm.complete([{"role": "user", "content": "word " * 5000}], max_new_tokens=5)


def test_llama_cpp_timings_of_the_last_generation_are_kept(llm):
    """What benchmarks.latency reads for prefill speed: llama.cpp's own counts of the finished request."""
    text = llm.complete([{"role": "user", "content": "Name three colours of the rainbow, please."}], max_new_tokens=8)
    t = llm.last_timings
    assert text and t["predicted_n"] >= 1 and t["prompt_n"] + t.get("cache_n", 0) > 5 and t["prompt_ms"] >= 0
