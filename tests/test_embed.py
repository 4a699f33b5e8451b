import json

import numpy as np
import polars as pl
import pytest
from conftest import write_processed

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
    info = embed_dataset("d", tmp_path / "d.parquet", tmp_path / "d.npy", tmp_path / "d.json", device="cpu", threads=2)
    vectors = np.load(tmp_path / "d.npy")
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    assert info["unique_texts"] == 2 and json.loads((tmp_path / "d.json").read_text())["dim"] == 384
