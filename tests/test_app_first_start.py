"""``python app.py`` on an empty index indexes the configured store folder first (fakes)."""

from types import SimpleNamespace

import app


class CountingStore:
    def __init__(self, n: int):
        self.n = n

    def count(self) -> int:
        return self.n


def test_an_empty_index_is_filled_from_the_catalogue_folder(tmp_path, monkeypatch):
    (tmp_path / "products.csv").write_text("id,title,price\nP-1,Mug,5\n")
    seen = []
    monkeypatch.setattr("knowledge.ingest.ingest", lambda store, paths, progress: seen.append(paths) or
                        SimpleNamespace(summary=lambda: "added 1"))
    settings = SimpleNamespace(products_path=tmp_path / "products.csv")
    assert app.index_if_empty(settings, SimpleNamespace(knowledge=CountingStore(0))) is True
    assert seen == [[tmp_path]]


def test_a_filled_index_or_a_missing_folder_is_left_alone(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("knowledge.ingest.ingest", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ingested")))
    here = SimpleNamespace(products_path=tmp_path / "products.csv")
    assert app.index_if_empty(here, SimpleNamespace(knowledge=CountingStore(3))) is False
    gone = SimpleNamespace(products_path=tmp_path / "nowhere" / "products.csv")
    assert app.index_if_empty(gone, SimpleNamespace(knowledge=CountingStore(0))) is False
    assert "knowledge.ingest" in caplog.text
