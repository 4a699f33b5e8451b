import json

import polars as pl
import pytest

from conftest import tree_hashes
from gom.convert import convert_dataset
from gom.errors import GomError


def _src(path, fmt, **kw):
    return {"path": str(path), "format": fmt, "encoding": kw.pop("encoding", "utf-8"), "rename": kw.pop("rename", {}), **kw}


def test_merges_formats_strips_and_drops(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_bytes("Zutaten;note\n  Jalapeño, lime  ;x\n;empty\nmint;y\nmint;y\n".encode("latin1"))
    (raw / "b.jsonl").write_text('{"text": ["lime", "salt"], "note": "list"}\n{"text": [], "note": "blank"}\n')
    pl.DataFrame({"ingredients": ["rum, lime", "mint"], "note": ["p", "y"]}).write_parquet(raw / "c.parquet")
    before = tree_hashes(raw)
    sources = [
        _src(raw / "a.csv", "csv", encoding="latin1", delimiter=";", rename={"Zutaten": "text"}),
        _src(raw / "b.jsonl", "jsonl"),
        _src(raw / "c.parquet", "parquet", rename={"ingredients": "text"}),
    ]
    counts = convert_dataset("mix", sources, tmp_path / "out.parquet", tmp_path / "out.stats.json")
    table = pl.read_parquet(tmp_path / "out.parquet")
    assert table["text"].to_list() == ["Jalapeño, lime", "mint", "lime, salt", "rum, lime"]
    assert table.columns == ["text", "note", "source_file"]
    assert counts == json.loads((tmp_path / "out.stats.json").read_text())
    assert counts["rows_read"] == 8
    assert counts["dropped_empty_text"] == 2
    assert counts["dropped_duplicates"] == 2  # mint;y twice in a.csv, and again in c.parquet
    assert counts["rows"] == 4
    assert [s["rows"] for s in counts["sources"]] == [4, 2, 2]
    assert tree_hashes(raw) == before


def test_tsv_and_json_array(tmp_path):
    (tmp_path / "a.tsv").write_text("text\tn\nonion\t1\n")
    (tmp_path / "b.json").write_text('[{"text": "leek", "n": 2}]')
    counts = convert_dataset("d", [_src(tmp_path / "a.tsv", "tsv"), _src(tmp_path / "b.json", "json")], tmp_path / "o.parquet", tmp_path / "o.json")
    assert counts["rows"] == 2


def _fails(tmp_path, sources, match):
    out = tmp_path / "out.parquet"
    with pytest.raises(GomError, match=match):
        convert_dataset("cocktails", sources, out, tmp_path / "out.stats.json")
    assert not out.exists() and not (tmp_path / "out.stats.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_rename_of_missing_column(tmp_path):
    (tmp_path / "c.csv").write_text("name,ingredients\nx,y\n")
    _fails(tmp_path, [_src(tmp_path / "c.csv", "csv", rename={"ingredient": "text"})],
           r"dataset 'cocktails', file '.*c.csv': 'rename' names missing column\(s\) 'ingredient'; the file has columns: name, ingredients")


def test_no_text_column(tmp_path):
    (tmp_path / "c.csv").write_text("name,ingredients\nx,y\n")
    _fails(tmp_path, [_src(tmp_path / "c.csv", "csv")], r"file '.*c.csv': no 'text' column after renaming; the file has columns: name, ingredients")


def test_text_column_all_empty(tmp_path):
    (tmp_path / "c.csv").write_text("text,b\n,1\n  ,2\n")
    _fails(tmp_path, [_src(tmp_path / "c.csv", "csv")], r"dataset 'cocktails': column 'text' is empty or null in all 2 rows")


def test_undecodable_bytes_suggest_encoding(tmp_path):
    (tmp_path / "c.csv").write_bytes("text\nok\nJalapeño\n".encode("latin1"))
    _fails(tmp_path, [_src(tmp_path / "c.csv", "csv")], r"file '.*c.csv': cannot decode byte 0xf1 on line 3 as utf-8; set 'encoding:'")


def test_unparseable_file(tmp_path):
    (tmp_path / "c.parquet").write_text("not parquet")
    _fails(tmp_path, [_src(tmp_path / "c.parquet", "parquet")], r"file '.*c.parquet': cannot be read as parquet")


def test_text_column_of_structs(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"text": {"a": 1}}\n')
    _fails(tmp_path, [_src(tmp_path / "c.jsonl", "jsonl")], r"column 'text' holds Struct")
