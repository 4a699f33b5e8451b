"""Reading one table file (csv, tsv, json, jsonl, parquet) exactly as it is written.

Text formats keep every value's characters: csv/tsv columns are strings and JSON numbers keep
their literal text, so '00123' stays '00123'; parquet keeps its writer's types. Every way a file
can be other than it seems (a byte-order mark, UTF-16 without one, a ragged row, a repeated
column, a JSON shape that is not an array of records) is one GomError naming file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
from pathlib import Path

import polars as pl

from gom.errors import GomError, first_line

# UTF-32 first: its little-endian mark starts with UTF-16's.
BOMS = [
    (codecs.BOM_UTF8, "UTF-8", "utf-8"),
    (codecs.BOM_UTF32_LE, "UTF-32 LE", "utf-32"),
    (codecs.BOM_UTF32_BE, "UTF-32 BE", "utf-32"),
    (codecs.BOM_UTF16_LE, "UTF-16 LE", "utf-16"),
    (codecs.BOM_UTF16_BE, "UTF-16 BE", "utf-16"),
]


RECORDS = 'a .json source must be an array of records like [{"text": ...}, ...]'


def _decode(path: Path, encoding: str, where: str) -> str:
    """Read a text file, naming a mismatched byte-order mark or the first undecodable byte."""
    raw = path.read_bytes()
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise GomError(
            f"{where}: unknown encoding '{encoding}'; set 'encoding:' on this source to one Python knows (e.g. "
            "utf-8, latin1, cp1252, utf-16)"
        ) from None
    label, family = next(((label, family) for bom, label, family in BOMS if raw.startswith(bom)), (None, ""))
    if label and (
        not codec.startswith(family) or codec.endswith(("-le", "-be")) and not label.lower().endswith(codec[-2:])
    ):
        raise GomError(
            f"{where}: the file starts with a {label} byte-order mark but is read as {encoding}; set 'encoding: {family}' on this source"
        )
    nul = raw.find(b"\0", 0, 4096)
    if nul >= 0 and not codec.startswith(("utf-16", "utf-32")):
        raise GomError(
            f"{where}: byte {nul} is a NUL byte, which text in {encoding} does not hold: the file is UTF-16 or UTF-32 "
            "without a byte-order mark (set e.g. 'encoding: utf-16-le' on this source), or not a text file at all"
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        bad = raw[e.start : e.start + 1].hex()
        raise GomError(
            f"{where}: cannot decode byte 0x{bad} on line {line} as {encoding}; "
            f"set 'encoding:' on this source (e.g. encoding: latin1 or cp1252)"
        ) from None
    return text.removeprefix("\ufeff")


def read_table(path: Path, fmt: str, encoding: str, delimiter: str | None, where: str) -> pl.DataFrame:
    """Parse one csv/tsv/json/jsonl/parquet file; GomError naming ``where`` when it cannot be read.

    Text formats keep every value as the file writes it: csv/tsv columns and JSON numbers are
    strings (so '00123' stays '00123'); parquet keeps its writer's types.
    """
    if fmt == "parquet":
        return _polars(lambda: pl.read_parquet(path), fmt, where)
    text = _decode(path, encoding, where)
    if fmt in ("csv", "tsv"):
        sep = delimiter or ("\t" if fmt == "tsv" else ",")
        _check_fields(text, sep, where)
        return _polars(lambda: pl.read_csv(io.BytesIO(text.encode()), separator=sep, infer_schema=False), fmt, where)
    if fmt == "jsonl":
        return _records_frame(*_jsonl_records(text, where), where)
    return _records_frame(_json_records(text, where), lambda i: f"in the record at index {i}", where)


def _polars(read, fmt: str, where: str) -> pl.DataFrame:
    try:
        return read()
    except Exception as e:  # polars/pyarrow parse errors: say which file, keep their detail
        first = first_line(e) or type(e).__name__
        raise GomError(f"{where}: cannot be read as {fmt}: {first}") from None


def _check_fields(text: str, sep: str, where: str) -> None:
    """Refuse a repeated column name, or a row whose field count differs from the header's
    (polars renames the one and pads the other with nulls, silently)."""
    csv.field_size_limit(sys.maxsize)  # a long text field must not turn the check off
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next((row for row in reader if row), [])  # polars skips blank lines before the header too
        header_line, start = reader.line_num, reader.line_num + 1
        repeated = sorted({c for c in header if header.count(c) > 1})
        if repeated:
            raise GomError(
                f"{where}: the header (line {header_line}) names column(s) {', '.join(map(repr, repeated))} "
                "more than once; give every column its own name"
            )
        for row in reader:
            if row and len(row) != len(header):
                raise GomError(
                    f"{where}: line {start} has {len(row)} fields but the header (line {header_line}) has {len(header)}; "
                    f"quote values that contain '{sep}' or fix that line (or set 'delimiter:' if it is not '{sep}')"
                )
            start = reader.line_num + 1
    except csv.Error:  # polars reads the file and reports
        pass


class _Number(str):
    """A JSON number, kept as its literal text."""


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list) -> dict:
    """A JSON object; a key given twice is refused (json would silently keep the last value)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        keys = [k for k, _ in pairs]
        raise _DuplicateKey(next(k for k in keys if keys.count(k) > 1))
    return record


_decoder = json.JSONDecoder(parse_int=_Number, parse_float=_Number, parse_constant=_Number, object_pairs_hook=_object)


def _loads(text: str, where: str, at: str = ""):
    """Parse JSON text keeping numbers' characters; one GomError for a repeated key or runaway nesting."""
    try:
        return _decoder.decode(text)
    except _DuplicateKey as e:
        raise GomError(f"{where}: {at}an object gives the key {e.args[0]!r} twice; give every key once") from None
    except RecursionError:
        raise GomError(f"{where}: {at}the JSON is nested too deeply to read") from None


def _what(value) -> str:
    """A JSON value's kind, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, _Number):
        return "a number"
    return "a string" if isinstance(value, str) else "an array" if isinstance(value, list) else "an object"


def _json_records(text: str, where: str) -> list[dict]:
    """The records of a .json file, which must be an array of objects."""
    try:
        data = _loads(text, where)
    except json.JSONDecodeError as e:
        hint = (
            "; if it holds one JSON object per line, set 'format: jsonl' on this source"
            if e.msg == "Extra data"
            else ""
        )
        raise GomError(f"{where}: is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno}){hint}") from None
    if isinstance(data, list):
        if not data:
            raise GomError(f"{where}: holds no records (an empty JSON array)")
        bad = next((i for i, r in enumerate(data) if not isinstance(r, dict)), None)
        if bad is not None:
            raise GomError(
                f"{where}: the item at index {bad} of the JSON array is {_what(data[bad])}, not an object; {RECORDS}"
            )
        return data
    if not isinstance(data, dict):
        raise GomError(f"{where}: holds {_what(data)}, not an array of records; {RECORDS}")
    lists = [k for k, v in data.items() if isinstance(v, list)]
    columns = data and (
        all(isinstance(v, dict) for v in data.values())
        or len(lists) == len(data)
        and not any(isinstance(x, dict) for k in lists for x in data[k])
    )
    if columns:
        raise GomError(
            f"{where}: looks like a column-oriented JSON object (keys {', '.join(map(repr, list(data)[:5]))} each hold a whole column), "
            f'not an array of records; {RECORDS}: write it with one object per record, e.g. pandas df.to_json(path, orient="records")'
        )
    if lists:
        keys = (
            f"key {lists[0]!r} holding a list"
            if len(lists) == 1
            else f"keys {', '.join(map(repr, lists))} holding lists"
        )
        raise GomError(
            f"{where}: is a JSON object with {keys}, not an array of records; {RECORDS}: "
            f"extract the list of records into its own file as a JSON array of records (or as JSON lines, one record per line)"
        )
    raise GomError(f"{where}: is a single JSON object, not an array of records; {RECORDS}")


def _jsonl_records(text: str, where: str):
    """The records of a .jsonl file and a function naming a record's line; blank lines are skipped."""
    records, lines = [], []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = _loads(line, where, f"line {n}: ")
        except json.JSONDecodeError as e:
            raise GomError(
                f"{where}: line {n} is not valid JSON: {e.msg} (column {e.colno}); each line must be one JSON object"
            ) from None
        if not isinstance(record, dict):
            raise GomError(
                f"{where}: line {n} holds {_what(record)}, not a JSON object; each line must be one record like "
                f'{{"text": ...}} (a file holding one JSON array is format json)'
            )
        records.append(record)
        lines.append(n)
    if not records:
        raise GomError(f"{where}: holds no records")
    return records, lambda i: f"on line {lines[i]}"


def _records_frame(records: list[dict], at, where: str) -> pl.DataFrame:
    """One column per key; a column must hold one kind of value (scalars, arrays or objects)."""
    columns = {}
    for name in dict.fromkeys(k for r in records for k in r):
        values = [r.get(name) for r in records]
        first = {}  # kind -> index of its first record
        for i, v in enumerate(values):
            if v is not None:
                first.setdefault(list if isinstance(v, list) else dict if isinstance(v, dict) else str, i)
        if len(first) > 1:
            i, j = sorted(first.values())[:2]
            raise GomError(
                f"{where}: column '{name}' holds {_what(values[i])} {at(i)} but {_what(values[j])} {at(j)}; "
                f"give it the same kind of value in every record"
            )
        if str in first and any(isinstance(v, bool) for v in values) and any(isinstance(v, str) for v in values):
            values = [
                ("true" if v else "false") if isinstance(v, bool) else v for v in values
            ]  # as the file writes them
        try:
            if dict in first or list in first and any(isinstance(x, dict) for v in values if v for x in v):
                # pl.Series takes an object's fields from its first values; rows give the union of keys
                column = pl.from_dicts([{name: v} for v in values], infer_schema_length=None)[name]
            else:
                column = pl.Series(name, values)
        except Exception as e:  # e.g. an array of arrays in one record and of strings in another
            raise GomError(
                f"{where}: column '{name}' mixes kinds of values inside its arrays or objects "
                f"({first_line(e)}); give it the same kind of value in every record"
            ) from None
        columns[name] = column.cast(pl.List(pl.String)) if column.dtype == pl.List(pl.Null) else column
    return pl.DataFrame(columns)
