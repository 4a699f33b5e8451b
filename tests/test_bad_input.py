"""Bad input through the real workflow: one clear message, non-zero exit, no partial outputs,
raw data untouched."""

import pytest

from conftest import run_snakemake, tree_hashes, write_config

pytestmark = pytest.mark.slow


@pytest.fixture
def workdir(tmp_path):
    raw = tmp_path / "datasets" / "raw"
    raw.mkdir(parents=True)
    (raw / "cocktails.csv").write_text('name,ingredients\nMojito,"white rum, lime juice, mint"\nNegroni,"gin, campari, vermouth"\n')
    (raw / "latin.csv").write_bytes("text\nJalapeño\n".encode("latin1"))
    (raw / "notes.txt").write_text("text\nx\n")
    (raw / "empty.csv").write_text("text,n\n,1\n  ,2\n")
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
    "misspelled key": ({"datasets": {"cocktails": {"sourcs": cocktails()["sources"]}}},
                       "unknown config key 'datasets.cocktails.sourcs'; did you mean 'sources'?"),
    "misspelled top-level key": ({"datasets": {"cocktails": cocktails()}, "embeding": {}},
                                 "unknown config key 'embeding'; did you mean 'embedding'?"),
    "empty datasets": ({"datasets": {}}, "config key 'datasets' is empty"),
    "invalid name": ({"datasets": {"cock tails": cocktails()}}, "dataset name 'cock tails' is invalid"),
    "missing file": ({"datasets": {"c": {"sources": [{"path": "datasets/raw/nope.csv"}]}}},
                     "dataset 'c', source 1: file 'datasets/raw/nope.csv' does not exist"),
    "glob matching nothing": ({"datasets": {"c": {"sources": [{"path": "datasets/raw/*.parquet"}]}}},
                              "dataset 'c', source 1: glob pattern 'datasets/raw/*.parquet' matches no file"),
    "unknown format": ({"datasets": {"c": {"sources": [{"path": "datasets/raw/notes.txt"}]}}},
                       "file 'datasets/raw/notes.txt' has an unknown format (suffix '.txt')"),
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
        "gom: error: dataset 'cocktails', file 'datasets/raw/cocktails.csv': 'rename' names missing column(s) 'ingredient'; "
        "the file has columns: name, ingredients",
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
    config = {"datasets": {"cocktails": cocktails(), "other": {"sources": [{"path": "datasets/raw/latin.csv", "encoding": "latin1"}]}},
              "embedding": {"finetune": {"data": "pairs", "pairs": {"dataset": "cocktails", "anchor": "text", "positive": "recipe"}}}}
    write_config(workdir, config)
    proc = run_snakemake(workdir, "results/embedder/eval.json")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "gom: error: embedding.finetune.pairs: dataset 'cocktails' has no column 'recipe' (named by embedding.finetune.pairs); " \
           "its columns: name, text, source_file" in out, out[-3000:]
    assert "Traceback" not in out
    assert not (workdir / "models/embedder").exists() and not list((workdir / "models").glob(".embedder*"))


def test_finetune_config_that_does_not_fit_together(workdir):
    write_config(workdir, {"datasets": {"cocktails": cocktails()}, "embedding": {"finetune": {"data": "scored_pairs"}}})
    assert_fails_cleanly(workdir, run_snakemake(workdir), "embedding.finetune.data is 'scored_pairs' but embedding.finetune.pairs is missing")
