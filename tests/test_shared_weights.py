"""bot.llm.shared_weights: one copy of a model folder's weights per process."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from bot.llm import shared_weights as sw


@pytest.fixture(autouse=True)
def _clean():
    sw.forget()
    yield
    sw.forget()


def test_second_loader_gets_the_first_loaders_tensors(tmp_path):
    first = {"a": torch.ones(3), "b": torch.zeros(2, 2)}
    assert sw.share(tmp_path, first) == first
    second = {"a": torch.ones(3), "b": torch.zeros(2, 2), "c": torch.ones(1)}
    got = sw.share(tmp_path / "." , second)  # the same folder, spelled differently
    assert got["a"] is first["a"] and got["b"] is first["b"] and got["c"] is second["c"]
    assert second["a"] is not first["a"]  # the caller's dict is not changed
    # "c" is held from now on
    assert sw.share(tmp_path, {"c": torch.ones(1)})["c"] is second["c"]


def test_other_shape_dtype_or_folder_is_not_shared(tmp_path):
    held = torch.ones(3)
    sw.share(tmp_path, {"a": held})
    assert sw.share(tmp_path, {"a": torch.ones(4)})["a"] is not held
    assert sw.share(tmp_path, {"a": torch.ones(3, dtype=torch.float64)})["a"].dtype == torch.float64
    other = tmp_path / "other"
    other.mkdir()
    assert sw.share(other, {"a": torch.ones(3)})["a"] is not held


def test_adopt_points_a_module_at_held_tensors_tied_weights_included(tmp_path):
    def model():
        m = torch.nn.Sequential(torch.nn.Embedding(5, 4), torch.nn.Linear(4, 5, bias=False))
        m[1].weight = m[0].weight  # tied, as an LLM's head and embeddings
        return m

    a, b = model(), model()
    with torch.no_grad():
        b[0].weight.copy_(a[0].weight)
    assert sw.adopt(a, tmp_path) == 0
    assert sw.adopt(b, tmp_path) == 1  # one parameter: the tied pair is one tensor
    assert b[0].weight.data_ptr() == b[1].weight.data_ptr() == a[0].weight.data_ptr()
    x = torch.tensor([[1, 2]])
    assert torch.equal(a(x), b(x))


def test_forget_one_folder(tmp_path):
    held = torch.ones(1)
    sw.share(tmp_path, {"a": held})
    sw.forget(tmp_path)
    assert sw.share(tmp_path, {"a": torch.ones(1)})["a"] is not held
