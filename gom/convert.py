"""Stage 1, convert: a dataset's raw source files -> one clean parquet file plus row counts.

Raw files are only ever read (``gom.tables``). Every source is decoded with its own encoding,
renamed, and must end up with a ``text`` column; the merged table is stripped, rows with empty
text and exact duplicates are dropped, and the counts of what was dropped are written beside
it with the parquet's checksum.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from gom.errors import GomError, first_line, require_columns
from gom.io import atomic_path, sha256_file, write_json
from gom.split import refuse_unsplittable
from gom.tables import read_table

TEXT = "text"
SOURCE = "source_file"


def read_source(source: dict, where: str) -> pl.DataFrame:
    """Read one resolved source file into a DataFrame, columns renamed."""
    path = Path(source["path"])
    where = f"{where}, file '{path}'"
    df = read_table(path, source["format"], source.get("encoding", "utf-8"), source.get("delimiter"), where)
    rename = source.get("rename") or {}
    require_columns(df.columns, rename, where, "its 'rename'")
    names = [rename.get(c, c) for c in df.columns]
    for name in names:
        clash = [c for c, n in zip(df.columns, names) if n == name]
        if len(clash) > 1:
            renamed = [c for c in clash if c in rename]
            kept = [c for c in clash if c not in rename]
            fix = (
                f"also rename the file's own '{kept[0]}' away, e.g. rename: {{{renamed[0]}: {name}, {kept[0]}: {kept[0]}_original}}"
                if kept
                else f"rename only one of them to '{name}'"
            )
            raise GomError(
                f"{where}: after 'rename' {len(clash)} columns would be named '{name}': "
                + ", ".join(f"'{c}' (renamed)" if c in rename else f"'{c}' (already in the file)" for c in clash)
                + f"; {fix}"
            )
    df = df.rename(rename)
    if SOURCE in df.columns:
        raise GomError(
            f"{where}: the file has a column '{SOURCE}', but gom adds '{SOURCE}' itself to record which file each row "
            f"came from; rename yours on this source, e.g. rename: {{{SOURCE}: original_{SOURCE}}}"
        )
    if TEXT not in df.columns:
        raise GomError(
            f"{where}: no '{TEXT}' column after renaming; the file has columns: "
            f"{', '.join(df.columns)}. Add e.g. rename: {{{df.columns[0] if df.columns else 'column'}: {TEXT}}}"
        )
    return df.with_columns(_as_text(df[TEXT], where)).with_columns(pl.lit(str(path)).alias(SOURCE))


def _as_text(col: pl.Series, where: str) -> pl.Series:
    """The text column as strings; list columns (e.g. JSON ingredient lists) become 'a, b, c'."""
    if col.dtype == pl.String:
        return col
    if col.dtype in (pl.Categorical,) or isinstance(col.dtype, pl.Enum):
        return col.cast(pl.String)
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
    try:
        merged = pl.concat(frames, how="diagonal_relaxed")
    except pl.exceptions.PolarsError as e:
        raise _type_clash(frames, sources, where, e) from None
    rows_read = merged.height

    strings = [c for c, t in merged.schema.items() if t == pl.String and c != SOURCE]
    merged = merged.with_columns(pl.col(strings).str.strip_chars())
    cleaned = merged.filter(pl.col(TEXT).is_not_null() & (pl.col(TEXT) != ""))
    dropped_empty = rows_read - cleaned.height
    if rows_read == 0:
        raise GomError(f"{where}: has no rows (files: {', '.join(s['path'] for s in sources)})")
    if cleaned.height == 0:
        raise GomError(
            f"{where}: column '{TEXT}' is empty or null in all {rows_read} rows "
            f"(files: {', '.join(s['path'] for s in sources)})"
        )
    content = [c for c in cleaned.columns if c != SOURCE]
    deduped = cleaned.unique(subset=content, keep="first", maintain_order=True)
    distinct = deduped[TEXT].n_unique()
    if distinct < 2:  # every later stage needs a training part and a held-out part
        refuse_unsplittable(name, deduped.height, distinct, " after dropping empty and duplicate rows")

    counts = {
        "dataset": name,
        "sources": per_source,
        "rows_read": rows_read,
        "dropped_empty_text": dropped_empty,
        "dropped_duplicates": cleaned.height - deduped.height,
        "rows": deduped.height,
        "unique_texts": distinct,
        "columns": deduped.columns,
    }
    with atomic_path(parquet) as tmp:
        deduped.write_parquet(tmp)
    counts["sha256"] = sha256_file(parquet)  # verified by every stage that reads the parquet
    write_json(stats, counts)
    return counts


def _type_clash(frames: list[pl.DataFrame], sources: list[dict], where: str, error: Exception) -> GomError:
    """Name the column whose types differ between files so that they cannot be merged."""
    for col in dict.fromkeys(c for f in frames for c in f.columns):
        having = [(s["path"], f.select(col)) for s, f in zip(sources, frames) if col in f.columns]
        try:
            pl.concat([f for _, f in having], how="vertical_relaxed")
        except pl.exceptions.PolarsError:
            types = {}
            for path, f in having:
                types.setdefault(str(f[col].dtype), []).append(f"'{path}'")
            found = "; ".join(f"{t} in {', '.join(paths)}" for t, paths in types.items())
            return GomError(
                f"{where}: column '{col}' has types that cannot be merged: {found}; give it one type in every file, "
                f"or rename it on one source so that they stay separate columns"
            )
    return GomError(f"{where}: the files cannot be merged: {first_line(error)}")
