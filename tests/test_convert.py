import json

import polars as pl
import pytest
from conftest import tree_hashes

from gom.convert import convert_dataset
from gom.errors import GomError


def _src(path, fmt, **kw):
    return {
        "path": str(path),
        "format": fmt,
        "encoding": kw.pop("encoding", "utf-8"),
        "rename": kw.pop("rename", {}),
        **kw,
    }


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
    counts = convert_dataset(
        "d",
        [_src(tmp_path / "a.tsv", "tsv"), _src(tmp_path / "b.json", "json")],
        tmp_path / "o.parquet",
        tmp_path / "o.json",
    )
    assert counts["rows"] == 2


def _fails(tmp_path, sources, match):
    out = tmp_path / "out.parquet"
    with pytest.raises(GomError, match=match):
        convert_dataset("cocktails", sources, out, tmp_path / "out.stats.json")
    assert not out.exists() and not (tmp_path / "out.stats.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_rename_of_missing_column(tmp_path):
    (tmp_path / "c.csv").write_text("name,ingredients\nx,y\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv", rename={"ingredient": "text"})],
        r"dataset 'cocktails', file '.*c.csv' has no column\(s\) 'ingredient' \(named by its 'rename'\); its columns: name, ingredients",
    )


def test_no_text_column(tmp_path):
    (tmp_path / "c.csv").write_text("name,ingredients\nx,y\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv")],
        r"file '.*c.csv': no 'text' column after renaming; the file has columns: name, ingredients",
    )


def test_text_column_all_empty(tmp_path):
    (tmp_path / "c.csv").write_text("text,b\n,1\n  ,2\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv")],
        r"dataset 'cocktails': column 'text' is empty or null in all 2 rows",
    )


def test_undecodable_bytes_suggest_encoding(tmp_path):
    (tmp_path / "c.csv").write_bytes("text\nok\nJalapeño\n".encode("latin1"))
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv")],
        r"file '.*c.csv': cannot decode byte 0xf1 on line 3 as utf-8; set 'encoding:'",
    )


def test_unparseable_file(tmp_path):
    (tmp_path / "c.parquet").write_text("not parquet")
    _fails(tmp_path, [_src(tmp_path / "c.parquet", "parquet")], r"file '.*c.parquet': cannot be read as parquet")


def test_text_column_of_structs(tmp_path):
    (tmp_path / "c.jsonl").write_text('{"text": {"a": 1}}\n')
    _fails(tmp_path, [_src(tmp_path / "c.jsonl", "jsonl")], r"column 'text' holds Struct")


def _table(tmp_path, sources):
    convert_dataset("d", sources, tmp_path / "o.parquet", tmp_path / "o.json")
    return pl.read_parquet(tmp_path / "o.parquet")


@pytest.mark.parametrize(
    "fmt, body",
    [
        ("csv", "text,code\n00123,1.50\n007,1e5\n1e5,007\n1.50,00123\n"),
        ("tsv", "text\tcode\n00123\t1.50\n007\t1e5\n1e5\t007\n1.50\t00123\n"),
        (
            "json",
            '[{"text": "00123", "code": 1.50}, {"text": "007", "code": 1e5}, {"text": 1e5, "code": "007"}, '
            '{"text": 1.50, "code": "00123"}]',
        ),
        (
            "jsonl",
            '{"text": "00123", "code": 1.50}\n{"text": "007", "code": 1e5}\n'
            '{"text": 1e5, "code": "007"}\n{"text": 1.50, "code": "00123"}\n',
        ),
    ],
)
def test_numbers_keep_their_text(tmp_path, fmt, body):
    (tmp_path / f"a.{fmt}").write_text(body)
    table = _table(tmp_path, [_src(tmp_path / f"a.{fmt}", fmt)])
    assert table["text"].to_list() == ["00123", "007", "1e5", "1.50"]
    assert table["code"].to_list() == ["1.50", "1e5", "007", "00123"]


def test_json_lists_and_booleans(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        '{"text": [1.50, 2], "tags": ["a", "b"], "nums": [7.50e1], "flag": true}\n\n'
        '{"text": ["x"], "tags": [], "nums": [], "flag": "maybe"}\n'
    )
    table = _table(tmp_path, [_src(tmp_path / "a.jsonl", "jsonl")])
    assert table["text"].to_list() == ["1.50, 2", "x"]
    assert table.schema["tags"] == pl.List(pl.String) and table["tags"].to_list() == [["a", "b"], []]
    assert table["nums"].to_list() == [["7.50e1"], []]
    assert table["flag"].to_list() == ["true", "maybe"]


def test_json_objects_keep_all_their_keys(tmp_path):
    (tmp_path / "a.json").write_text('[{"text": "a", "meta": {"k": 1}}, {"text": "b", "meta": {"j": "x"}}]')
    table = _table(tmp_path, [_src(tmp_path / "a.json", "json")])
    assert table["meta"].to_list() == [{"k": "1", "j": None}, {"k": None, "j": "x"}]


def test_blank_lines_before_csv_header(tmp_path):
    (tmp_path / "c.csv").write_text("\ntext,n\na,1\nb,2,3\n")
    _fails(tmp_path, [_src(tmp_path / "c.csv", "csv")], r"line 4 has 3 fields but the header \(line 2\) has 2")
    (tmp_path / "c.csv").write_text("\ntext,n\na,1\nb,2\n")
    assert _table(tmp_path, [_src(tmp_path / "c.csv", "csv")])["text"].to_list() == ["a", "b"]


@pytest.mark.parametrize(
    "body, match",
    [
        (
            '{"recipes": [{"text": "a"}, {"text": "b"}]}',
            r"file '.*a.json': is a JSON object with key 'recipes' holding a list, not an array of records; "
            r".*extract the list of records into its own file as a JSON array of records \(or as JSON lines",
        ),
        ('{"text": ["a", "b"], "id": [1, 2]}', r"looks like a column-oriented JSON object .*orient=\"records\""),
        (
            '{"text": {"0": "a", "1": "b"}, "id": {"0": 1, "1": 2}}',
            r"looks like a column-oriented JSON object .*orient=\"records\"",
        ),
        ('[{"text": "a"}, "b"]', r"the item at index 1 of the JSON array is a string, not an object"),
        ("[]", r"file '.*a.json': holds no records"),
        ("12", r"holds a number, not an array of records"),
        ('{"text": "a"}', r"is a single JSON object, not an array of records"),
        ('[{"text": "a"},]', r"is not valid JSON: .* \(line 1, column 16\)"),
    ],
)
def test_json_must_be_array_of_records(tmp_path, body, match):
    (tmp_path / "a.json").write_text(body)
    _fails(tmp_path, [_src(tmp_path / "a.json", "json")], match)


def test_own_source_file_column(tmp_path):
    (tmp_path / "c.csv").write_text("text,source_file\na,x\nb,y\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv")],
        r"dataset 'cocktails', file '.*c.csv': the file has a column 'source_file', but gom adds 'source_file' "
        r"itself .*rename: \{source_file: original_source_file\}",
    )
    table = _table(tmp_path, [_src(tmp_path / "c.csv", "csv", rename={"source_file": "origin"})])
    assert table["origin"].to_list() == ["x", "y"]
    assert table["source_file"].to_list() == [str(tmp_path / "c.csv")] * 2


def test_rename_clashes(tmp_path):
    (tmp_path / "c.csv").write_text("a,b,text\n1,2,3\n4,5,6\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv", rename={"a": "x", "b": "x"})],
        r"file '.*c.csv': after 'rename' 2 columns would be named 'x': 'a' \(renamed\), 'b' \(renamed\); rename only one of them to 'x'",
    )
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv", rename={"a": "text"})],
        r"file '.*c.csv': after 'rename' 2 columns would be named 'text': 'a' \(renamed\), 'text' \(already in "
        r"the file\); .*rename: \{a: text, text: text_original\}",
    )
    table = _table(tmp_path, [_src(tmp_path / "c.csv", "csv", rename={"a": "text", "text": "text_original"})])
    assert table.columns == ["text", "b", "text_original", "source_file"]


def test_column_types_clash_between_files(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "a", "tags": ["x", "y"]}\n')
    (tmp_path / "b.csv").write_text("text,tags\nb,x\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "a.jsonl", "jsonl"), _src(tmp_path / "b.csv", "csv")],
        r"dataset 'cocktails': column 'tags' has types that cannot be merged: List\(String\) in '.*a.jsonl'; String in '.*b.csv'; ",
    )


@pytest.mark.parametrize(
    "fmt, body, match",
    [
        (
            "jsonl",
            '{"text": "a", "tags": ["x"]}\n\n{"text": "b", "tags": "y"}\n',
            r"file '.*a.jsonl': column 'tags' holds an array on line 1 but a string on line 3",
        ),
        (
            "jsonl",
            '{"text": "a", "tags": [["x"]]}\n{"text": "b", "tags": ["y"]}\n',
            r"column 'tags' mixes kinds of values inside its arrays or objects",
        ),
        (
            "json",
            '[{"text": "a", "tags": "y"}, {"text": "b"}, {"text": "c", "tags": {"k": 1}}]',
            r"column 'tags' holds a string in the record at index 0 but an object in the record at index 2",
        ),
    ],
)
def test_mixed_kinds_in_one_json_column(tmp_path, fmt, body, match):
    (tmp_path / f"a.{fmt}").write_text(body)
    _fails(tmp_path, [_src(tmp_path / f"a.{fmt}", fmt)], match)


@pytest.mark.parametrize(
    "body, match",
    [
        ('{"text": "a"}\n\n{"text": "b",}\n', r"file '.*a.jsonl': line 3 is not valid JSON: .*\(column 14\)"),
        ('{"text": "a"}\n["b"]\n', r"file '.*a.jsonl': line 2 holds an array, not a JSON object"),
        ("\n\n", r"holds no records"),
    ],
)
def test_jsonl_bad_lines(tmp_path, body, match):
    (tmp_path / "a.jsonl").write_text(body)
    _fails(tmp_path, [_src(tmp_path / "a.jsonl", "jsonl")], match)


@pytest.mark.parametrize(
    "encoding, label, family",
    [
        ("utf-16-le", "UTF-16 LE", "utf-16"),
        ("utf-16-be", "UTF-16 BE", "utf-16"),
        ("utf-32-le", "UTF-32 LE", "utf-32"),
        ("utf-32-be", "UTF-32 BE", "utf-32"),
    ],
)
def test_byte_order_marks(tmp_path, encoding, label, family):
    (tmp_path / "c.csv").write_bytes("\ufefftext,n\nJalapeño,1\nlime,2\n".encode(encoding))
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv")],
        rf"file '.*c.csv': the file starts with a {label} byte-order mark but is read as utf-8; set 'encoding: {family}' on this source",
    )
    table = _table(tmp_path, [_src(tmp_path / "c.csv", "csv", encoding=family)])
    assert table["text"].to_list() == ["Jalapeño", "lime"] and table.columns[0] == "text"


@pytest.mark.parametrize(
    "fmt, body, match",
    [
        (
            "csv",
            'text,n\n"a\nb",1\nc,2,3\n',
            r"file '.*c.csv': line 4 has 3 fields but the header \(line 1\) has 2; quote values that contain ','",
        ),
        ("csv", "text,n\na,1\n\nb\n", r"line 4 has 1 fields but the header \(line 1\) has 2"),
        ("tsv", "text\tn\na\t1\t2\n", r"file '.*c.tsv': line 2 has 3 fields but the header \(line 1\) has 2"),
    ],
)
def test_ragged_rows(tmp_path, fmt, body, match):
    (tmp_path / f"c.{fmt}").write_text(body)
    _fails(tmp_path, [_src(tmp_path / f"c.{fmt}", fmt)], match)


def test_needs_two_distinct_texts(tmp_path):
    (tmp_path / "c.csv").write_text("text,n\nmint,1\n mint ,1\nmint,2\n,3\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv")],
        r"dataset 'cocktails' has 2 row\(s\) with 1 distinct text\(s\) after dropping empty and duplicate "
        r"rows: it cannot be split.*add rows with other texts",
    )


def test_unknown_encoding(tmp_path):
    (tmp_path / "c.csv").write_text("text\na\nb\n")
    _fails(
        tmp_path,
        [_src(tmp_path / "c.csv", "csv", encoding="utf-99")],
        r"file '.*c.csv': unknown encoding 'utf-99'; set 'encoding:'",
    )


@pytest.mark.parametrize(
    "name, raw, encoding, match",
    [
        (
            "bom.csv",
            b"\xef\xbb\xbftext\nJalape\xc3\xb1o\nlime\n",
            "latin1",
            r"starts with a UTF-8 byte-order mark but is read as latin1; set 'encoding: utf-8'",
        ),
        (
            "le.csv",
            "text\nmint\nlime\n".encode("utf-16-le"),
            "utf-8",
            r"byte 1 is a NUL byte.*set e.g. 'encoding: utf-16-le'",
        ),
        (
            "be.csv",
            "\ufefftext\nmint\nlime\n".encode("utf-16-be"),
            "utf-16-le",
            r"starts with a UTF-16 BE byte-order mark but is read as utf-16-le",
        ),
        (
            "dup.csv",
            b"text,text\nx,1\ny,2\n",
            "utf-8",
            r"the header \(line 1\) names column\(s\) 'text' more than once",
        ),
        ("dup.jsonl", b'{"text": "a", "text": "b"}\n', "utf-8", r"line 1: an object gives the key 'text' twice"),
        ("lines.json", b'{"text": "a"}\n{"text": "b"}\n', "utf-8", r"Extra data .*set 'format: jsonl'"),
        ("deep.json", b"[" * 100000 + b"]" * 100000, "utf-8", r"nested too deeply"),
        ("header.csv", b"text,n\n", "utf-8", r"dataset 'cocktails': has no rows"),
    ],
)
def test_more_files_that_are_not_what_they_seem(tmp_path, name, raw, encoding, match):
    (tmp_path / name).write_bytes(raw)
    fmt = name.rsplit(".", 1)[1]
    _fails(tmp_path, [_src(tmp_path / name, fmt, encoding=encoding)], match)


def test_long_fields_keep_the_ragged_row_check(tmp_path):
    (tmp_path / "c.csv").write_text("text,id\n" + "x" * 200_000 + ",1\ndef\nghi,3\n")
    _fails(tmp_path, [_src(tmp_path / "c.csv", "csv")], r"line 3 has 1 fields but the header \(line 1\) has 2")


def test_categorical_parquet_text(tmp_path):
    pl.DataFrame({"text": ["mint", "lime"]}, schema={"text": pl.Categorical}).write_parquet(tmp_path / "c.parquet")
    assert _table(tmp_path, [_src(tmp_path / "c.parquet", "parquet")])["text"].to_list() == ["mint", "lime"]
