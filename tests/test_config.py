import pytest
import yaml

from gom.config import check_config_file, load, prepare
from gom.errors import GomError


def _config(tmp_path, **datasets):
    (tmp_path / "a.csv").write_text("text\nx\n")
    return {"datasets": datasets or {"a": {"sources": [{"path": str(tmp_path / "a.csv")}]}}}


def test_minimal_config_gets_defaults(tmp_path):
    config = _config(tmp_path)
    sources = prepare(config)
    assert config["embedding"]["model"] == "default"
    assert config["metrics"]["enabled"] == ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]
    assert config["graph"]["top_k"] == 5
    assert sources["a"] == [{"path": str(tmp_path / "a.csv"), "format": "csv", "encoding": "utf-8", "rename": {}}]


def test_misspelled_key_suggests_the_right_one(tmp_path):
    config = _config(tmp_path)
    config["embeding"] = {"model": "x"}
    with pytest.raises(GomError, match=r"unknown config key 'embeding'; did you mean 'embedding'\?"):
        prepare(config)
    config = _config(tmp_path)
    config["datasets"]["a"]["sources"][0]["renmae"] = {"a": "text"}
    with pytest.raises(GomError, match=r"'datasets.a.sources.0.renmae'; did you mean 'rename'"):
        prepare(config)


@pytest.mark.parametrize("datasets", [None, {}])
def test_empty_datasets(datasets):
    with pytest.raises(GomError, match="'datasets' is empty"):
        prepare({"datasets": datasets})


@pytest.mark.parametrize("name", ["has space", "a__b", "ü", "a/b"])
def test_invalid_dataset_name(tmp_path, name):
    config = _config(tmp_path)
    config["datasets"][name] = config["datasets"].pop("a")
    with pytest.raises(GomError, match=f"dataset name '{name}' is invalid"):
        prepare(config)


def test_names_differing_only_in_case(tmp_path):
    config = _config(tmp_path)
    config["datasets"]["A"] = config["datasets"]["a"]
    with pytest.raises(GomError, match="differ only in case"):
        prepare(config)


def test_duplicate_dataset_in_yaml_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("datasets:\n  a:\n    sources: [{path: a.csv}]\n  a:\n    sources: [{path: b.csv}]\n")
    with pytest.raises(GomError, match=r"line 4: duplicate key 'a' \(first given on line 2\)"):
        check_config_file(path)


def test_wrong_enum_value(tmp_path):
    config = _config(tmp_path)
    config["metrics"] = {"enabled": ["mean_cosine", "cosine"]}
    with pytest.raises(GomError, match=r"'metrics.enabled.1' is 'cosine'; it must be one of"):
        prepare(config)


def test_source_problems(tmp_path):
    (tmp_path / "data.xlsx").write_text("x")
    cases = [
        ({"path": "missing.csv"}, "dataset 'a', source 1: file 'missing.csv' does not exist"),
        ({"path": "raw/*.csv"}, "glob pattern 'raw/\\*.csv' matches no file"),
        ({"path": "data.xlsx"}, "file 'data.xlsx' has an unknown format"),
        ({"path": "data.xlsx", "format": "csv", "encoding": "klingon"}, "unknown encoding 'klingon'"),
    ]
    for source, message in cases:
        with pytest.raises(GomError, match=message):
            prepare({"datasets": {"a": {"sources": [source]}}}, base_dir=tmp_path)


def test_glob_expands_to_sorted_files(tmp_path):
    (tmp_path / "raw").mkdir()
    for name in ("b.csv", "a.csv", "c.tsv"):
        (tmp_path / "raw" / name).write_text("text\nx\n")
    sources = prepare({"datasets": {"d": {"sources": [{"path": "raw/*.?sv"}]}}}, base_dir=tmp_path)
    assert [(s["path"], s["format"]) for s in sources["d"]] == [("raw/a.csv", "csv"), ("raw/b.csv", "csv"), ("raw/c.tsv", "tsv")]


def test_load_reads_and_completes_a_file(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"datasets": {"a": {"sources": [{"path": "a.jsonl"}]}}}))
    config, sources = load(tmp_path / "config.yaml", base_dir=tmp_path)
    assert sources["a"][0]["format"] == "jsonl"
    assert config["embedding"]["batch_size"] == 64
