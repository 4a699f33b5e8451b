import json

import numpy as np
import polars as pl
import pytest
from conftest import write_processed

from gom.embedding import encode
from gom.embedding.encode import embed_dataset, encode_unique, load_model, resolve_model
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
    files = {"parquet": tmp_path / "d.parquet", "embeddings": tmp_path / "d.npy", "meta": tmp_path / "d.json"}
    info = embed_dataset("d", **files, batch={"d": files}, cache=tmp_path / "cache", device="cpu", threads=2)
    vectors = np.load(tmp_path / "d.npy")
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    assert info["unique_texts"] == 2 and json.loads((tmp_path / "d.json").read_text())["dim"] == 384


def test_a_batch_loads_the_model_once_and_embeds_only_what_is_out_of_date(tmp_path, monkeypatch):
    loads = []
    monkeypatch.setattr(encode, "load_model", lambda *a, **k: loads.append(a) or _Model())
    batch = {}
    for name, texts in {"a": ["x", "yy"], "b": ["zzz"], "c": ["w", "w", "vvvv"]}.items():
        write_processed(pl.DataFrame({"text": texts}), tmp_path / f"{name}.parquet")
        batch[name] = {
            k: tmp_path / f"{name}.{ext}"
            for k, ext in [("parquet", "parquet"), ("embeddings", "npy"), ("meta", "json")]
        }
    batch["d"] = {
        k: tmp_path / f"d.{ext}" for k, ext in [("parquet", "parquet"), ("embeddings", "npy"), ("meta", "json")]
    }
    cache = tmp_path / "cache"

    def embed(name):
        return embed_dataset(name, **batch[name], batch=batch, cache=cache, device="cpu")

    # the first job embeds a, b and c (d is not converted yet) with one model load; b and c then move theirs
    assert embed("a")["datasets_per_model_load"] == 3 and len(loads) == 1
    assert embed("c")["datasets_per_model_load"] == 3 and embed("b")["datasets_per_model_load"] == 3
    assert len(loads) == 1 and not list(cache.glob("*.npy"))
    assert lengths(batch["c"]["embeddings"]) == [1, 1, 4]

    # d arrives: its job embeds d alone, the others being up to date
    write_processed(pl.DataFrame({"text": ["qq"]}), batch["d"]["parquet"])
    assert embed("d")["datasets_per_model_load"] == 1 and len(loads) == 2

    # b's data changes and a's settings differ: b's job embeds both, a's job moves its vectors
    write_processed(pl.DataFrame({"text": ["zz", "q"]}), batch["b"]["parquet"])
    meta = json.loads(batch["a"]["meta"].read_text())
    batch["a"]["meta"].write_text(json.dumps({**meta, "settings": {**meta["settings"], "max_seq_length": 8}}))
    assert embed("b")["datasets_per_model_load"] == 2 and embed("a")["datasets_per_model_load"] == 2
    assert len(loads) == 3 and lengths(batch["b"]["embeddings"]) == [2, 1]

    # c changes: d's job, run again, embeds d and c; c's cached vectors, tampered with, are not taken
    write_processed(pl.DataFrame({"text": ["p", "pp"]}), batch["c"]["parquet"])
    assert embed("d")["datasets_per_model_load"] == 2 and len(loads) == 4
    np.save(cache / "c.npy", np.zeros((2, 2), dtype=np.float32))
    assert embed("c")["datasets_per_model_load"] == 1 and len(loads) == 5
    assert lengths(batch["c"]["embeddings"]) == [1, 2]


class _Model:
    """Unit vectors whose direction says the text's length (embeddings are normalised)."""

    device = "cpu"

    def encode(self, texts, **kw):
        v = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def lengths(path) -> list[int]:
    """The text lengths that _Model's vectors in ``path`` encode."""
    v = np.load(path)
    return np.rint(v[:, 0] / v[:, 1]).astype(int).tolist()
