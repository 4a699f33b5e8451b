import json

import numpy as np
import polars as pl
import pytest
from conftest import write_processed

from gom.embedding import encode
from gom.embedding.encode import embed_batch, embed_dataset, encode_unique, load_model, resolve_model
from gom.errors import GomError


class CountingModel:
    """Stands in for SentenceTransformer.encode to count what is encoded."""

    def __init__(self):
        self.seen = []

    def encode(self, texts, **kw):
        self.seen.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float64)


def test_identical_texts_are_encoded_once_and_rows_keep_their_order():
    model = CountingModel()
    out = encode_unique(model, ["bb", "a", "bb", "ccc", "a"], progress=False)
    assert sorted(model.seen) == ["a", "bb", "ccc"]
    assert out.dtype == np.float32
    assert out[:, 0].tolist() == [2, 1, 2, 3, 1]


def test_default_model_is_the_bundled_one():
    path = resolve_model("default")
    assert (json.loads(open(f"{path}/config.json").read())["model_type"]) == "bert"
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == path


def test_unloadable_model_says_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        GomError,
        match=r"embedding.model 'nobody/no-such-model' could not be loaded.*local sentence-transformers directory",
    ):
        load_model("nobody/no-such-model", device="cpu")


def test_embed_dataset_with_the_bundled_model(tmp_path):
    texts = ["lime juice, white rum, mint", "carrot, onion, celery", "lime juice, white rum, mint"]
    write_processed(pl.DataFrame({"text": texts}), tmp_path / "d.parquet")
    info = embed_dataset(
        "d",
        tmp_path / "d.parquet",
        tmp_path / "d.npy",
        tmp_path / "d.json",
        tmp_path / "cache",
        device="cpu",
        threads=2,
    )
    vectors = np.load(tmp_path / "d.npy")
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    assert info["unique_texts"] == 2 and json.loads((tmp_path / "d.json").read_text())["dim"] == 384


def test_a_batch_loads_the_model_once_and_embeds_only_what_is_out_of_date(tmp_path, monkeypatch):
    loads = []
    monkeypatch.setattr(encode, "load_model", lambda *a, **k: loads.append(a) or _Model())
    records = {}
    for name, texts in {"a": ["x", "yy"], "b": ["zzz"], "c": ["w", "w", "vvvv"]}.items():
        write_processed(pl.DataFrame({"text": texts}), tmp_path / f"{name}.parquet")
        records[name] = {
            k: tmp_path / f"{name}.{ext}"
            for k, ext in [("parquet", "parquet"), ("embeddings", "npy"), ("meta", "json")]
        }
    cache, manifest = tmp_path / "cache", tmp_path / "batch.json"

    summary = embed_batch(records, cache, manifest, device="cpu")
    assert len(loads) == 1 and summary["embedded"] == ["a", "b", "c"] and summary["up_to_date"] == []
    for name, d in records.items():  # rule embed moves each into place, without loading the model
        info = embed_dataset(name, d["parquet"], d["embeddings"], d["meta"], cache, device="cpu")
        assert info["datasets_per_model_load"] == 3 and not (cache / f"{name}.npy").exists()
    assert len(loads) == 1
    assert np.load(records["c"]["embeddings"])[:, 0].tolist() == [1, 1, 4]

    # b's data changes and a's settings differ: the batch embeds those two again, c is left be
    write_processed(pl.DataFrame({"text": ["zz", "q"]}), records["b"]["parquet"])
    meta = json.loads(records["a"]["meta"].read_text())
    records["a"]["meta"].write_text(json.dumps({**meta, "settings": {**meta["settings"], "max_seq_length": 8}}))
    summary = embed_batch(records, cache, manifest, device="cpu")
    assert len(loads) == 2 and summary["embedded"] == ["a", "b"] and summary["up_to_date"] == ["c"]
    assert json.loads(manifest.read_text())["embedded"] == ["a", "b"]

    # a cached file that does not match its record is not taken: the dataset is embedded anew
    cached = cache / "b.npy"
    np.save(cached, np.zeros((2, 2), dtype=np.float32))
    info = embed_dataset(
        "b", records["b"]["parquet"], records["b"]["embeddings"], records["b"]["meta"], cache, device="cpu"
    )
    assert len(loads) == 3 and info["datasets_per_model_load"] == 1
    assert np.load(records["b"]["embeddings"])[:, 0].tolist() == [2, 1]


class _Model:
    device = "cpu"

    def encode(self, texts, **kw):
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
