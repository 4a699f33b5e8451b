import re

import pytest
import yaml

from gom.config import load, prepare
from gom.errors import GomError
from gom.schema import check_config_file


def _config(tmp_path, **datasets):
    (tmp_path / "a.csv").write_text("text\nx\n")
    return {"datasets": datasets or {"a": {"sources": [{"path": str(tmp_path / "a.csv")}]}}}


def test_minimal_config_gets_defaults(tmp_path):
    config = _config(tmp_path)
    sources = {name: d["sources"] for name, d in prepare(config).items()}
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


@pytest.mark.parametrize("name", ["has space", "ü", "a/b", "ab\n", "_b", "a_", "-a", "a-"])
def test_invalid_dataset_name(tmp_path, name):
    config = _config(tmp_path)
    config["datasets"][name] = config["datasets"].pop("a")
    with pytest.raises(GomError, match=re.escape(f"dataset name {name!r} is invalid")):
        prepare(config)


@pytest.mark.parametrize(
    ("name", "why"), [("base", "models/base"), ("Embedder", "models/embedder"), ("auto", "calls the router 'auto'")]
)
def test_reserved_dataset_names_are_refused_saying_why(tmp_path, name, why):
    config = _config(tmp_path)
    config["datasets"][name] = config["datasets"].pop("a")
    with pytest.raises(GomError, match=re.escape(f"dataset name '{name}' is reserved (") + ".*" + re.escape(why)):
        prepare(config)


def test_overlong_name(tmp_path):
    config = _config(tmp_path)
    config["datasets"]["x" * 101] = config["datasets"].pop("a")
    with pytest.raises(GomError, match="is 101 characters long; use at most 100"):
        prepare(config)


def test_names_beginning_or_ending_with_a_separator_are_refused(tmp_path):
    for names in (["A", "_B"], ["A_", "B"]):
        config = _config(tmp_path)
        config["datasets"] = {n: config["datasets"]["a"] for n in names}
        with pytest.raises(GomError, match="beginning and ending with a letter or digit"):
            prepare(config)


def test_name_that_yaml_reads_as_a_number(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"datasets:\n  007:\n    sources: [{{path: {tmp_path / 'a.csv'}}}]\n")
    (tmp_path / "a.csv").write_text("text\nx\ny\n")
    with pytest.raises(GomError, match="dataset name 7 was read as a number, not as text.*put the name in quotes"):
        load(path)


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


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("datasets:\n  a:\n    sources: [{path: a.csv}\n  b: x\n")
    with pytest.raises(GomError, match=r"config.yaml, line 4, column 3: not valid YAML: expected ',' or '\]'"):
        check_config_file(path)
    path.write_text("datasets:\n\ta: x\n")
    with pytest.raises(GomError, match=r"config.yaml, line 2, column 1: not valid YAML: found character '\\t'"):
        check_config_file(path)


def test_lora_override_mistakes_are_reported_where_they_were_written(tmp_path):
    config = _config(tmp_path)
    config["datasets"]["a"]["lora"] = {"r": "sixteen"}
    with pytest.raises(GomError, match=r"config key 'datasets.a.lora.r' is 'sixteen'; it must be of type integer"):
        prepare(config)
    config = _config(tmp_path)
    config["datasets"]["a"]["lora"] = {"rr": 8}
    with pytest.raises(GomError, match=r"unknown config key 'datasets.a.lora.rr'; did you mean 'r'\?"):
        prepare(config)
    config = _config(tmp_path)
    config["lora"] = {"rr": 8}
    with pytest.raises(GomError, match=r"unknown config key 'lora.rr'"):
        prepare(config)


def test_same_file_in_two_datasets_warns_naming_both(tmp_path, capsys):
    config = _config(tmp_path)
    config["datasets"]["b"] = {"sources": [{"path": str(tmp_path / "a.csv")}]}
    prepare(config)
    err = capsys.readouterr().err
    assert f"gom: warning: file '{tmp_path / 'a.csv'}' is a source of datasets 'a', 'b'" in err


def test_wrong_enum_value(tmp_path):
    config = _config(tmp_path)
    config["metrics"] = {"enabled": ["mean_cosine", "cosine"]}
    with pytest.raises(GomError, match=r"'metrics.enabled.1' is 'cosine'; it must be one of"):
        prepare(config)


def test_source_problems(tmp_path):
    (tmp_path / "data.xlsx").write_text("x")
    (tmp_path / "raw").mkdir()
    cases = [
        ({"path": "missing.csv"}, "dataset 'a', source 1: file 'missing.csv' does not exist"),
        ({"path": "raw/*.csv"}, "glob pattern 'raw/\\*.csv' matches no file"),
        ({"path": "data.xlsx"}, "file 'data.xlsx' has an unknown format"),
        ({"path": "data.xlsx", "format": "csv", "encoding": "klingon"}, "unknown encoding 'klingon'"),
        (
            {"path": "raw"},
            "dataset 'a', source 1: 'raw' is a directory; name a file, or its files with a glob such as 'raw/\\*.csv'",
        ),
    ]
    for source, message in cases:
        with pytest.raises(GomError, match=message):
            prepare({"datasets": {"a": {"sources": [source]}}}, base_dir=tmp_path)


def test_glob_expands_to_sorted_files(tmp_path):
    (tmp_path / "raw").mkdir()
    for name in ("b.csv", "a.csv", "c.tsv"):
        (tmp_path / "raw" / name).write_text("text\nx\n")
    sources = prepare({"datasets": {"d": {"sources": [{"path": "raw/*.?sv"}]}}}, base_dir=tmp_path)["d"]["sources"]
    assert [(s["path"], s["format"]) for s in sources] == [
        ("raw/a.csv", "csv"),
        ("raw/b.csv", "csv"),
        ("raw/c.tsv", "tsv"),
    ]


def test_load_reads_and_completes_a_file(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"datasets": {"a": {"sources": [{"path": "a.jsonl"}]}}}))
    config, datasets = load(tmp_path / "config.yaml", base_dir=tmp_path)
    sources = {name: d["sources"] for name, d in datasets.items()}
    assert sources["a"][0]["format"] == "jsonl"
    assert config["embedding"]["batch_size"] == 64


def test_split_section_defaults_overrides_and_the_moved_key(tmp_path):
    from gom.config import split_of

    config = _config(tmp_path)
    config["datasets"]["b"] = {"sources": config["datasets"]["a"]["sources"], "split": {"fraction": 0.3}}
    prepare(config)
    assert split_of(config, "a") == {"fraction": 0.1, "seed": 0}
    assert split_of(config, "b") == {"fraction": 0.3, "seed": 0}
    config = _config(tmp_path)
    config["lora"] = {"eval_fraction": 0.2}
    with pytest.raises(GomError, match=r"config key 'lora.eval_fraction' has moved to split.fraction"):
        prepare(config)
    config = _config(tmp_path)
    config["split"] = {"fraction": 0.7}
    with pytest.raises(GomError, match=r"config key 'split.fraction': 0.7 is greater than the maximum of 0.5"):
        prepare(config)


def test_every_enum_in_the_schema_is_the_registry_in_the_code():
    from gom.config import FORMATS_BY_SUFFIX, LOSSES
    from gom.edges import METRICS
    from gom.routing.index import METHODS
    from gom.schema import load_schema

    schema = load_schema()
    props, defs = schema["properties"], schema["$defs"]
    assert props["metrics"]["properties"]["enabled"]["items"]["enum"] == list(METRICS)
    assert set(defs["finetune"]["properties"]["loss"]["enum"]) - {None} == {
        loss for ls in LOSSES.values() for loss in ls
    }
    assert defs["finetune"]["properties"]["data"]["enum"] == list(LOSSES)
    per_shape = {}  # the allOf rules: which losses each data shape allows
    for rule in defs["finetune"]["allOf"]:
        loss = rule["then"].get("properties", {}).get("loss")
        if loss:
            per_shape[rule["if"]["properties"]["data"]["const"]] = [x for x in loss["enum"] if x is not None]
    assert per_shape == {shape: list(losses) for shape, losses in LOSSES.items()}
    formats = sorted(set(FORMATS_BY_SUFFIX.values()))
    assert sorted(defs["source"]["properties"]["format"]["enum"]) == formats
    assert sorted(defs["finetune"]["properties"]["pairs"]["properties"]["format"]["enum"]) == formats
    assert props["routing"]["properties"]["method"]["enum"] == ["auto", *METHODS]


@pytest.mark.parametrize(
    "finetune, message",
    [
        ({"data": "pairs", "pairs": {"anchor": "a", "positive": "b"}}, "give exactly one of 'dataset'"),
        (
            {"data": "pairs", "pairs": {"dataset": "fruit", "path": "p.csv", "anchor": "a", "positive": "b"}},
            "give exactly one of 'dataset'",
        ),
        ({"data": "groups", "loss": "cosine"}, "embedding.finetune.loss 'cosine' does not fit data 'groups'"),
        ({"loss": "cosent"}, "embedding.finetune.loss 'cosent' does not fit data 'groups'"),
        (
            {"data": "pairs", "loss": "cosent", "pairs": {"dataset": "a", "anchor": "a", "positive": "b"}},
            "embedding.finetune.loss 'cosent' does not fit data 'pairs'",
        ),
        ({"data": "groups", "pairs": {"dataset": "fruit", "anchor": "a", "positive": "b"}}, "pairs is set but"),
    ],
)
def test_finetune_keys_that_do_not_fit_together_are_refused_by_the_schema(tmp_path, finetune, message):
    """The cross-key rules live in the schema, so the whole-config check already refuses them."""
    from gom.schema import check_schema

    config = _config(tmp_path)
    config["embedding"] = {"finetune": finetune}
    with pytest.raises(GomError, match=re.escape(message)):
        check_schema(config)
