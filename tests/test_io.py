"""The file helpers every stage shares: JSON that is always JSON, checksums of intermediates,
arrays that never unpickle, paths read from files, and the rule-script boundary."""

import json
import types

import numpy as np
import polars as pl
import pytest
from conftest import write_embeddings, write_processed

from gom.errors import GomError
from gom.io import load_npy, load_npz, read_json, reference_from_file, save_npz, verified, write_json
from gom.snakemake_script import run
from gom.split import split_mask


def test_json_outputs_never_hold_nan(tmp_path):
    with pytest.raises(
        ValueError, match=r"out.json: refusing to write a NaN or infinite number as JSON \(at abstain.threshold\)"
    ):
        write_json(tmp_path / "out.json", {"abstain": {"threshold": float("nan")}})
    assert not (tmp_path / "out.json").exists() and list(tmp_path.iterdir()) == []


def test_read_json_names_file_and_line(tmp_path):
    (tmp_path / "x.json").write_text('{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(GomError, match=r"x.json, line 4, column 1: not valid JSON"):
        read_json(tmp_path / "x.json")


def test_replaced_or_truncated_intermediates_are_named(tmp_path):
    parquet = write_processed(pl.DataFrame({"text": ["a", "b"]}), tmp_path / "d.parquet")
    npy = write_embeddings(np.eye(2, dtype=np.float32), tmp_path / "d.npy")
    assert verified(parquet) == parquet and load_npy(npy).shape == (2, 2)

    np.save(npy, np.eye(2, dtype=np.float32)[::-1])  # same shape, other content
    with pytest.raises(
        GomError,
        match=r"d.npy does not match the checksum recorded in .*d.json when it was written.*"
        r"`snakemake --cores all --forcerun .*d.npy`",
    ):
        load_npy(npy)
    write_embeddings(np.eye(2, dtype=np.float32), npy)
    npy.write_bytes(npy.read_bytes()[:100])  # truncated
    with pytest.raises(GomError, match="d.npy does not match the checksum"):
        load_npy(npy)
    (tmp_path / "d.stats.json").write_text("{}")
    with pytest.raises(GomError, match=r"d.parquet has no checksum recorded in .*d.stats.json"):
        verified(parquet)


def test_npz_checked_on_load_and_never_unpickled(tmp_path):
    save_npz(tmp_path / "p.npz", mean=np.ones(3), names=np.array(["a", "b"]))
    assert list(load_npz(tmp_path / "p.npz")) == ["mean", "names"]
    with open(tmp_path / "p.npz", "wb") as f:
        np.savez(f, mean=np.zeros(3), names=np.array(["a", "b"]), sha256=np.array("0" * 64))
    with pytest.raises(GomError, match="p.npz does not match the checksum stored in it"):
        load_npz(tmp_path / "p.npz")
    with open(tmp_path / "p.npz", "wb") as f:
        np.savez(f, evil=np.array([types.SimpleNamespace()], dtype=object))
    with pytest.raises(GomError, match=r"p.npz cannot be read \(ValueError: Object arrays cannot be loaded"):
        load_npz(tmp_path / "p.npz")
    (tmp_path / "t.npz").write_bytes(b"PK\x03\x04" + b"\0" * 20)
    with pytest.raises(GomError, match="t.npz cannot be read"):
        load_npz(tmp_path / "t.npz")


def test_paths_read_from_files_stay_inside_the_working_directory(tmp_path):
    (tmp_path / "models" / "embedder").mkdir(parents=True)
    for ok in ("default", "Qwen/Qwen3-0.6B", "models/embedder", str(tmp_path / "models" / "embedder")):
        assert reference_from_file(ok, "x", "y", root=tmp_path) == ok
    for bad in ("/etc", "../outside", "~/model", str(tmp_path.parent)):
        with pytest.raises(GomError, match="outside the working directory.*pass --flag"):
            reference_from_file(bad, "index.npz", "pass --flag", root=tmp_path)


@pytest.mark.parametrize("texts", [["same", "same", "same"], ["only"]])
def test_a_dataset_that_cannot_be_split_is_refused(texts):
    with pytest.raises(
        GomError, match=rf"dataset 'd' has {len(texts)} row\(s\) with 1 distinct text\(s\): it cannot be split"
    ):
        split_mask("d", texts, {"fraction": 0.1, "seed": 0})


def _snakemake(tmp_path, **wildcards):
    return types.SimpleNamespace(log=[str(tmp_path / "job.log")], rule="embed", wildcards=wildcards)


def test_script_boundary_turns_any_exception_into_one_line(tmp_path, capsys):
    def broken():
        return {}["missing"]

    with pytest.raises(SystemExit) as exit_:
        run(_snakemake(tmp_path, name="cocktails"), broken)
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"gom: error: rule 'embed' for dataset 'cocktails' failed unexpectedly (KeyError: 'missing'); "
        f"the traceback is in {tmp_path / 'job.log'}"
    ]
    log = (tmp_path / "job.log").read_text()
    assert "Traceback" in log and "KeyError" in log


def test_script_boundary_prints_gom_errors_as_they_are(tmp_path, capsys):
    def bad_input():
        raise GomError("dataset 'x': something is wrong")

    with pytest.raises(SystemExit):
        run(_snakemake(tmp_path, a="x", b="y"), bad_input)
    assert capsys.readouterr().err.strip() == "gom: error: dataset 'x': something is wrong"


def test_embedding_model_directory_naming_foreign_code_is_refused(tmp_path):
    from gom.embedding.encode import load_model

    marker = tmp_path / "ran"
    (tmp_path / "evil_module.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "modules.json").write_text(
        json.dumps([{"idx": 0, "name": "0", "path": "", "type": "evil_module.Model"}])
    )
    with pytest.raises(
        GomError, match="names the module class 'evil_module.Model', which is not part of sentence-transformers"
    ):
        load_model(str(tmp_path))
    assert not marker.exists()


def test_the_split_is_stable_salted_by_its_seed_and_keeps_identical_texts_together():
    from gom.split import eval_mask

    texts = [f"row {i}" for i in range(2000)] + ["row 7"] * 3
    mask = eval_mask(texts, 0.1)
    assert 0.08 < mask.mean() < 0.12
    assert len({bool(m) for t, m in zip(texts, mask) if t == "row 7"}) == 1
    assert (eval_mask(texts[:500], 0.1) == mask[:500]).all()  # adding rows moves no other row
    other = eval_mask(texts, 0.1, seed=1)
    assert 0.08 < other.mean() < 0.12 and (other != mask).sum() > 100
    # seed 0 is the unsalted split that every earlier run used
    import hashlib

    legacy = [
        int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8, person=b"gom-split").digest(), "big") / 2**64 < 0.1
        for t in texts
    ]
    assert mask.tolist() == legacy


def test_paths_from_files_are_judged_against_the_given_root_not_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "work" / "models").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert reference_from_file("models", "x", "y", root=tmp_path / "work") == "models"
    (tmp_path / "elsewhere" / "secret").mkdir()
    assert (
        reference_from_file("secret", "x", "y", root=tmp_path / "work") == "secret"
    )  # not a path under root: a hub-style id
    with pytest.raises(GomError, match="outside the working directory"):
        reference_from_file("../elsewhere/secret", "x", "y", root=tmp_path / "work")
