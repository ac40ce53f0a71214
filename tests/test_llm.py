"""LLM seam: fake backend, factory, and the OpenAI-compatible backend against a real local server."""

import json
import socket
import threading
import time

import pytest

from bot.llm import FakeLLM, LLMError, make_llm
from settings import Settings


def test_fake_llm_replays_queue_then_quotes_first_source():
    llm = FakeLLM(replies=["first answer"])
    assert llm.complete([{"role": "user", "content": "q"}]) == "first answer"
    prompt = "<sources>\n[1] Returns\nReturns > Window\nWithin 30 days. Then more.\n\n[2] Other\nx\n</sources>\n\nQuestion: q"
    assert llm.complete([{"role": "user", "content": prompt}]) == "Within 30 days. [1]"
    assert len(llm.calls) == 2


def test_factory(settings):
    assert isinstance(make_llm(settings.model_copy(update={"llm": "fake"})), FakeLLM)
    with pytest.raises(ValueError, match="KEFU_LLM_BASE_URL"):
        make_llm(settings.model_copy(update={"llm": "openai:x"}))
    from bot.llm.openai_compat import OpenAICompatibleLLM
    from bot.llm.hf import TransformersLLM

    from bot.llm.llamacpp import LlamaCppLLM

    assert isinstance(make_llm(settings.model_copy(update={"llm": "openai:m", "llm_base_url": "http://x/v1"})), OpenAICompatibleLLM)
    for spec in ("bundled", "llamacpp", "llamacpp:/m.gguf", "gguf:/m.gguf"):  # nothing loads until warm()/stream()
        assert type(make_llm(settings.model_copy(update={"llm": spec}))) is LlamaCppLLM, spec
    for spec in ("transformers", "transformers:gguf:/m.gguf", "HuggingFaceTB/SmolLM2-135M-Instruct", "/models/x"):
        assert type(make_llm(settings.model_copy(update={"llm": spec}))) is TransformersLLM, spec


@pytest.mark.parametrize("spec, expected", [
    ("bundled", ("llamacpp", "bundled")),
    ("", ("llamacpp", "bundled")),
    (" bundled ", ("llamacpp", "bundled")),
    ("llamacpp", ("llamacpp", "llamacpp")),
    ("llamacpp:/m/x.gguf", ("llamacpp", "llamacpp:/m/x.gguf")),
    ("gguf:/m/x.gguf", ("llamacpp", "gguf:/m/x.gguf")),
    ("transformers", ("transformers", "bundled")),
    ("transformers:gguf:/m/x.gguf", ("transformers", "gguf:/m/x.gguf")),
    ("transformers:org/model", ("transformers", "org/model")),
    ("org/model", ("transformers", "org/model")),
    ("./models/local", ("transformers", "./models/local")),
    ("openai:qwen2.5:7b", ("openai", "qwen2.5:7b")),
    ("fake", ("fake", "fake")),
])
def test_factory_spec_parsing(spec, expected):
    from bot.llm.factory import backend_for

    assert backend_for(spec) == expected


def test_llamacpp_spec_resolves_to_a_file(tmp_path):
    from bot.llm.hf import bundled_gguf_path
    from bot.llm.llamacpp import resolve_gguf

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    for spec in ("bundled", "llamacpp", "llamacpp:bundled"):
        assert resolve_gguf(spec) == bundled_gguf_path()
    assert resolve_gguf(f"gguf:{model}") == resolve_gguf(f"llamacpp:{model}") == model
    with pytest.raises(LLMError, match="no GGUF file"):
        resolve_gguf(f"gguf:{tmp_path / 'none.gguf'}")
    bad = make_llm(Settings(_env_file=None, llm=f"llamacpp:{tmp_path / 'nope.gguf'}", data_dir=tmp_path))
    with pytest.raises(LLMError, match="no GGUF file"):
        bad.warm()


def test_llamacpp_threads_default_to_one_on_small_machines():
    """KEFU_LLM_THREADS=0: one llama.cpp thread up to 4 cores (two collapse on a shared 2-core box)."""
    from bot.llm.llamacpp import auto_threads

    assert [auto_threads(n) for n in (1, 2, 4, 8, 16, 64)] == [1, 1, 1, 4, 4, 4]
    assert make_llm(Settings(_env_file=None, llm="bundled")).threads == auto_threads()
    assert make_llm(Settings(_env_file=None, llm="bundled", llm_threads=3)).threads == 3


def test_llamacpp_request_and_chunks():
    from bot.llm.llamacpp import chunk_text, request

    body = request([{"role": "user", "content": "hi"}], 7)
    assert body["stream"] is True and body["max_tokens"] == 7 and body["temperature"] == 0 and body["top_k"] == 1
    assert chunk_text({"choices": [{"delta": {"role": "assistant", "content": None}}]}) == ""
    assert chunk_text({"choices": [{"delta": {"content": "Hi"}}]}) == "Hi"
    assert chunk_text({"choices": [{"delta": {}, "finish_reason": "stop"}], "timings": {}}) == ""
    with pytest.raises(LLMError, match="exceeds the available context"):
        chunk_text({"error": {"code": 400, "message": "request (5000 tokens) exceeds the available context size"}})


def test_missing_gguf_is_a_clear_error(tmp_path):
    from bot.llm.hf import resolve_spec

    with pytest.raises(LLMError, match="no GGUF file"):
        resolve_spec(f"gguf:{tmp_path / 'none.gguf'}")
    assert resolve_spec("bundled")[1].name.endswith(".gguf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def openai_server():
    """A tiny OpenAI-compatible server on 127.0.0.1 that streams a fixed reply."""
    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, StreamingResponse

    api = FastAPI()
    seen = {}

    @api.post("/v1/chat/completions")
    async def completions(request: Request):
        body = await request.json()
        seen["body"], seen["auth"] = body, request.headers.get("authorization")
        if body["model"] == "broken":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if body["model"] == "slow":
            import asyncio

            await asyncio.sleep(3)

        def events():
            for word in ["Within ", "30 ", "days."]:
                yield "data: " + json.dumps({"choices": [{"delta": {"content": word}}]}) + "\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1", seen
    server.should_exit = True
    thread.join(5)


def test_openai_backend_streams(openai_server):
    from bot.llm.openai_compat import OpenAICompatibleLLM

    url, seen = openai_server
    llm = OpenAICompatibleLLM(url, "tiny", api_key="sk-test")
    assert list(llm.stream([{"role": "user", "content": "hi"}], max_new_tokens=7)) == ["Within ", "30 ", "days."]
    assert seen["body"]["stream"] is True and seen["body"]["max_tokens"] == 7 and seen["auth"] == "Bearer sk-test"


def test_openai_backend_errors_become_llm_errors(openai_server):
    from bot.llm.openai_compat import OpenAICompatibleLLM

    url, _ = openai_server
    with pytest.raises(LLMError, match="500"):
        OpenAICompatibleLLM(url, "broken").complete([{"role": "user", "content": "x"}])
    with pytest.raises(LLMError, match="unreachable"):
        OpenAICompatibleLLM(url, "slow", timeout=0.5).complete([{"role": "user", "content": "x"}])
    with pytest.raises(LLMError, match="unreachable"):
        OpenAICompatibleLLM(f"http://127.0.0.1:{free_port()}/v1", "m").complete([{"role": "user", "content": "x"}])


def test_local_model_queue_wait_is_its_own_setting(tmp_path):
    """A turn waits KEFU_LLM_QUEUE_WAIT for the local model's one generation slot, not the
    (longer) stall timeout, then fails with LLMError so the caller answers extractively."""
    from settings import Settings

    llm = make_llm(Settings(_env_file=None, llm="bundled", llm_timeout=60, llm_queue_wait=0.3,
                            data_dir=tmp_path))
    assert (llm.timeout, llm.queue_wait) == (60, 0.3)
    llm._model = object()  # skip loading: the slot is taken before anything runs
    llm._gen_lock.acquire()
    try:
        t0 = time.perf_counter()
        with pytest.raises(LLMError, match="busy"):
            next(llm.stream([{"role": "user", "content": "hi"}]))
        assert 0.25 < time.perf_counter() - t0 < 5
    finally:
        llm._gen_lock.release()
    assert Settings(_env_file=None).llm_queue_wait == 10
    with pytest.raises(ValueError):
        Settings(_env_file=None, llm_queue_wait=0)


def test_local_dtype_setting(monkeypatch):
    """KEFU_LLM_DTYPE: auto = bfloat16 only where the CPU has bfloat16 arithmetic."""
    torch = pytest.importorskip("torch")
    from bot.llm import hf as lt
    from settings import Settings

    monkeypatch.setattr(lt, "native_bf16", lambda: True)
    assert lt.resolve_dtype("auto") == torch.bfloat16
    monkeypatch.setattr(lt, "native_bf16", lambda: False)
    assert lt.resolve_dtype("auto") == torch.float32
    assert lt.resolve_dtype("bfloat16") == torch.bfloat16 and lt.resolve_dtype("float32") == torch.float32
    with pytest.raises(ValueError, match="unknown dtype"):
        lt.resolve_dtype("int4")
    assert make_llm(Settings(_env_file=None, llm="transformers", llm_dtype="float32")).dtype == "float32"
    with pytest.raises(ValueError):
        Settings(_env_file=None, llm_dtype="float16")
