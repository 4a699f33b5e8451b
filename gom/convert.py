"""Stage 1, convert: a dataset's raw source files -> one clean parquet file plus row counts.

Raw files are only ever read. Every source is decoded with its own encoding, renamed, and
must end up with a ``text`` column; the merged table is stripped, rows with empty text and
exact duplicates are dropped, and the counts of what was dropped are written beside it.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from gom.errors import GomError
from gom.io import atomic_path, write_json

TEXT = "text"
SOURCE = "source_file"


def _decode(path: Path, encoding: str, where: str) -> bytes:
    """Read a text file and re-encode it as UTF-8, naming the first undecodable byte."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        bad = raw[e.start : e.start + 1].hex()
        raise GomError(
            f"{where}: cannot decode byte 0x{bad} on line {line} as {encoding}; "
            f"set 'encoding:' on this source (e.g. encoding: latin1 or cp1252)"
        ) from None
    return text.encode("utf-8")


def read_source(source: dict, where: str) -> pl.DataFrame:
    """Read one resolved source file into a DataFrame, columns renamed."""
    path = Path(source["path"])
    where = f"{where}, file '{path}'"
    df = read_table(path, source["format"], source.get("encoding", "utf-8"), source.get("delimiter"), where)
    rename = source.get("rename") or {}
    missing = [old for old in rename if old not in df.columns]
    if missing:
        raise GomError(
            f"{where}: 'rename' names missing column(s) {', '.join(map(repr, missing))}; "
            f"the file has columns: {', '.join(df.columns)}"
        )
    df = df.rename(rename)
    if TEXT not in df.columns:
        raise GomError(
            f"{where}: no '{TEXT}' column after renaming; the file has columns: "
            f"{', '.join(df.columns)}. Add e.g. rename: {{{df.columns[0] if df.columns else 'column'}: {TEXT}}}"
        )
    return df.with_columns(_as_text(df[TEXT], where)).with_columns(pl.lit(str(path)).alias(SOURCE))


def read_table(path: Path, fmt: str, encoding: str, delimiter: str | None, where: str) -> pl.DataFrame:
    """Parse one csv/tsv/json/jsonl/parquet file; GomError naming ``where`` when it cannot be read."""
    try:
        if fmt == "parquet":
            df = pl.read_parquet(path)
        else:
            data = io.BytesIO(_decode(path, encoding, where))
            if fmt in ("csv", "tsv"):
                sep = delimiter or ("\t" if fmt == "tsv" else ",")
                df = pl.read_csv(data, separator=sep, infer_schema_length=10000)
            elif fmt == "jsonl":
                df = pl.read_ndjson(data)
            else:
                df = pl.read_json(data)
    except GomError:
        raise
    except Exception as e:  # polars/pyarrow parse errors: say which file, keep their detail
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GomError(f"{where}: cannot be read as {fmt}: {first}") from None
    return df


def _as_text(col: pl.Series, where: str) -> pl.Series:
    """The text column as strings; list columns (e.g. JSON ingredient lists) become 'a, b, c'."""
    if col.dtype == pl.String:
        return col
    if isinstance(col.dtype, pl.List) and col.dtype.inner == pl.String:
        return col.list.join(", ")
    if col.dtype.is_numeric() or col.dtype == pl.Boolean or col.dtype == pl.Null:
        return col.cast(pl.String)
    raise GomError(f"{where}: column '{TEXT}' holds {col.dtype} values; it must hold text")


def convert_dataset(name: str, sources: list[dict], parquet: str | Path, stats: str | Path) -> dict:
    """Merge ``sources`` into ``parquet`` and write the counts to ``stats``; returns the counts."""
    where = f"dataset '{name}'"
    frames = []
    per_source = []
    for source in sources:
        df = read_source(source, where)
        frames.append(df)
        per_source.append({"path": source["path"], "format": source["format"], "rows": df.height})
    merged = pl.concat(frames, how="diagonal_relaxed")
    rows_read = merged.height

    strings = [c for c, t in merged.schema.items() if t == pl.String and c != SOURCE]
    merged = merged.with_columns(pl.col(strings).str.strip_chars())
    cleaned = merged.filter(pl.col(TEXT).is_not_null() & (pl.col(TEXT) != ""))
    dropped_empty = rows_read - cleaned.height
    if cleaned.height == 0:
        raise GomError(
            f"{where}: column '{TEXT}' is empty or null in all {rows_read} rows "
            f"(files: {', '.join(s['path'] for s in sources)})"
        )
    content = [c for c in cleaned.columns if c != SOURCE]
    deduped = cleaned.unique(subset=content, keep="first", maintain_order=True)

    counts = {
        "dataset": name,
        "sources": per_source,
        "rows_read": rows_read,
        "dropped_empty_text": dropped_empty,
        "dropped_duplicates": cleaned.height - deduped.height,
        "rows": deduped.height,
        "unique_texts": deduped[TEXT].n_unique(),
        "columns": deduped.columns,
    }
    with atomic_path(parquet) as tmp:
        deduped.write_parquet(tmp)
    write_json(stats, counts)
    return counts
