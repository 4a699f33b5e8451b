"""Bad input through the real workflow: one clear message, non-zero exit, no partial outputs,
raw data untouched."""

import os

import numpy as np
import pytest
from conftest import run_snakemake, tree_hashes, write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def workdir(tmp_path):
    raw = tmp_path / "datasets" / "raw"
    raw.mkdir(parents=True)
    (raw / "cocktails.csv").write_text(
        'name,ingredients\nMojito,"white rum, lime juice, mint"\nNegroni,"gin, campari, vermouth"\n'
    )
    (raw / "latin.csv").write_bytes("text\nJalapeño\nPiñata\n".encode("latin1"))
    (raw / "notes.txt").write_text("text\nx\n")
    (raw / "empty.csv").write_text("text,n\n,1\n  ,2\n")
    (raw / "one.csv").write_text("text,n\nsame,1\nsame,2\nsame,3\n")
    (raw / "columns.json").write_text('{"text": ["a", "b"], "id": [1, 2]}')
    (raw / "fruit.csv").write_text("text\napple\npear\nplum\ncherry\nbanana\nmango\nkiwi\nlime\n")
    return tmp_path


def cocktails(**source):
    return {"sources": [{"path": "datasets/raw/cocktails.csv", "rename": {"ingredients": "text"}, **source}]}


def assert_fails_cleanly(workdir, proc, message):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert message in out, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    produced = [p for d in ("datasets/processed", "results") for p in (workdir / d).rglob("*") if p.is_file()]
    assert produced == [], produced


# Problems caught while the DAG is built: before any job runs.
CONFIG_CASES = {
    "misspelled key": (
        {"datasets": {"cocktails": {"sourcs": cocktails()["sources"]}}},
        "unknown config key 'datasets.cocktails.sourcs'; did you mean 'sources'?",
    ),
    "misspelled top-level key": (
        {"datasets": {"cocktails": cocktails()}, "embeding": {}},
        "unknown config key 'embeding'; did you mean 'embedding'?",
    ),
    "empty datasets": ({"datasets": {}}, "config key 'datasets' is empty"),
    "invalid name": ({"datasets": {"cock tails": cocktails()}}, "dataset name 'cock tails' is invalid"),
    "missing file": (
        {"datasets": {"c": {"sources": [{"path": "datasets/raw/nope.csv"}]}}},
        "dataset 'c', source 1: file 'datasets/raw/nope.csv' does not exist",
    ),
    "glob matching nothing": (
        {"datasets": {"c": {"sources": [{"path": "datasets/raw/*.parquet"}]}}},
        "dataset 'c', source 1: glob pattern 'datasets/raw/*.parquet' matches no file",
    ),
    "unknown format": (
        {"datasets": {"c": {"sources": [{"path": "datasets/raw/notes.txt"}]}}},
        "file 'datasets/raw/notes.txt' has an unknown format (suffix '.txt')",
    ),
    "names whose edge files collide": (
        {"datasets": {"A": cocktails(), "_B": cocktails()}},
        "dataset name '_B' is invalid: use letters, digits, '_' and '-' only, beginning and ending",
    ),
    "name ending in a newline": ({"datasets": {"ab\n": cocktails()}}, "dataset name 'ab\\n' is invalid"),
    "directory as a source": (
        {"datasets": {"c": {"sources": [{"path": "datasets/raw"}]}}},
        "dataset 'c', source 1: 'datasets/raw' is a directory",
    ),
    "bad lora override": (
        {"datasets": {"c": {**cocktails(), "lora": {"r": 0}}}},
        "config key 'datasets.c.lora.r': 0 is less than the minimum of 1",
    ),
}


def test_duplicate_dataset_name_in_config_file(workdir):
    (workdir / "config.yaml").write_text(
        "datasets:\n  cocktails:\n    sources: [{path: datasets/raw/cocktails.csv}]\n"
        "  cocktails:\n    sources: [{path: datasets/raw/latin.csv}]\n"
    )
    assert_fails_cleanly(workdir, run_snakemake(workdir), "line 4: duplicate key 'cocktails' (first given on line 2)")


# Problems found in the data: the convert job fails, Snakemake removes its outputs.
DATA_CASES = {
    "rename names a missing column": (
        {"datasets": {"cocktails": cocktails(rename={"ingredient": "text"})}},
        "gom: error: dataset 'cocktails', file 'datasets/raw/cocktails.csv' has no column(s) 'ingredient' (named by its 'rename'); "
        "its columns: name, ingredients",
    ),
    "no text column": (
        {"datasets": {"cocktails": {"sources": [{"path": "datasets/raw/cocktails.csv"}]}}},
        "gom: error: dataset 'cocktails', file 'datasets/raw/cocktails.csv': no 'text' column after renaming",
    ),
    "undecodable bytes": (
        {"datasets": {"latin": {"sources": [{"path": "datasets/raw/latin.csv"}]}}},
        "gom: error: dataset 'latin', file 'datasets/raw/latin.csv': cannot decode byte 0xf1 on line 2 as utf-8; "
        "set 'encoding:' on this source",
    ),
    "one distinct text": (
        {"datasets": {"one": {"sources": [{"path": "datasets/raw/one.csv"}]}}},
        "gom: error: dataset 'one' has 3 row(s) with 1 distinct text(s) after dropping empty and duplicate rows: it cannot be split",
    ),
    "JSON object of columns": (
        {"datasets": {"cols": {"sources": [{"path": "datasets/raw/columns.json"}]}}},
        "gom: error: dataset 'cols', file 'datasets/raw/columns.json': looks like a column-oriented JSON object",
    ),
    "text column all empty": (
        {"datasets": {"e": {"sources": [{"path": "datasets/raw/empty.csv"}]}}},
        "gom: error: dataset 'e': column 'text' is empty or null in all 2 rows",
    ),
}


@pytest.mark.parametrize("case", [*CONFIG_CASES, *DATA_CASES])
def test_bad_input_fails_cleanly(workdir, case):
    config, message = {**CONFIG_CASES, **DATA_CASES}[case]
    write_config(workdir, config)
    before = tree_hashes(workdir / "datasets/raw")
    assert_fails_cleanly(workdir, run_snakemake(workdir), message)
    assert tree_hashes(workdir / "datasets/raw") == before


def test_embedding_model_that_cannot_be_loaded_offline(workdir):
    write_config(workdir, {"datasets": {"cocktails": cocktails()}, "embedding": {"model": "nobody/no-such-model"}})
    proc = run_snakemake(workdir)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "gom: error: embedding.model 'nobody/no-such-model' could not be loaded" in out
    assert "set embedding.model to a local sentence-transformers directory" in out
    assert not (workdir / "results/embeddings/cocktails.npy").exists()


def test_finetune_pairs_naming_a_missing_column(workdir):
    config = {
        "datasets": {
            "cocktails": cocktails(),
            "other": {"sources": [{"path": "datasets/raw/latin.csv", "encoding": "latin1"}]},
        },
        "embedding": {
            "finetune": {"data": "pairs", "pairs": {"dataset": "cocktails", "anchor": "text", "positive": "recipe"}}
        },
    }
    write_config(workdir, config)
    proc = run_snakemake(workdir, "results/embedder/eval.json")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (
        "gom: error: embedding.finetune.pairs: dataset 'cocktails' has no column(s) 'recipe' (named by embedding.finetune.pairs); "
        "its columns: name, text, source_file" in out
    ), out[-3000:]
    assert "Traceback" not in out
    assert not (workdir / "models/embedder").exists() and not list((workdir / "models").glob(".embedder*"))


def test_finetune_config_that_does_not_fit_together(workdir):
    write_config(workdir, {"datasets": {"cocktails": cocktails()}, "embedding": {"finetune": {"data": "scored_pairs"}}})
    assert_fails_cleanly(
        workdir,
        run_snakemake(workdir),
        "embedding.finetune.data is 'scored_pairs' but embedding.finetune.pairs is missing",
    )


def test_yaml_syntax_error_is_reported_with_line_and_column(workdir):
    (workdir / "config.yaml").write_text("datasets:\n  c:\n    sources: [{path: datasets/raw/cocktails.csv}\n  d: x\n")
    assert_fails_cleanly(
        workdir, run_snakemake(workdir), "config.yaml, line 4, column 3: not valid YAML: expected ',' or ']'"
    )


def test_same_file_in_two_datasets_is_a_warning_naming_both(workdir):
    write_config(workdir, {"datasets": {"c": cocktails(), "d": cocktails()}})
    proc = run_snakemake(workdir, "-n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "gom: warning: file '" in proc.stderr and "cocktails.csv' is a source of datasets 'c', 'd'" in proc.stderr


def test_a_replaced_intermediate_is_named_not_used(workdir):
    write_config(
        workdir,
        {
            "datasets": {"cocktails": cocktails(), "fruit": {"sources": [{"path": "datasets/raw/fruit.csv"}]}},
            "routing": {"k": 2},
        },
    )
    run_snakemake(workdir, "results/routing/index.npz", check=True)
    npy = workdir / "results/embeddings/fruit.npy"
    stat = npy.stat()
    vectors = np.load(npy)
    np.save(npy, vectors[::-1])  # same shape, other rows; then the old timestamp, so Snakemake sees nothing new
    os.utime(npy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    proc = run_snakemake(workdir, "results/routing/index.npz", "--forcerun", "route_index")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (
        "gom: error: results/embeddings/fruit.npy does not match the checksum recorded in results/embeddings/fruit.json"
        in out
    )
    assert "`snakemake --cores all --forcerun results/embeddings/fruit.npy`" in out
    assert "Traceback" not in out and not (workdir / "results/routing/index.npz").exists()
    npy.write_bytes(npy.read_bytes()[:200])  # truncated
    proc = run_snakemake(workdir, "results/routing/index.npz", "--forcerun", "route_index")
    assert "gom: error: results/embeddings/fruit.npy does not match the checksum" in proc.stdout + proc.stderr
