"""The graph's similarity matrices as CSV files: written by the graph stage, read by the
cross-evaluation and by ``gom neighbours`` (the recommender view).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from gom import paths
from gom.errors import GomError
from gom.io import atomic_path

# Above this many datasets an N x N picture is unreadable: reports list pairs instead.
MATRIX_LIMIT = 30


def write_matrix(path: str | Path, names: list[str], matrix: np.ndarray) -> None:
    table = pl.DataFrame({"dataset": names, **{n: matrix[:, i] for i, n in enumerate(names)}})
    with atomic_path(path) as tmp:
        table.write_csv(tmp, float_precision=6)


def read_matrix(path: str | Path, names: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """(dataset names, matrix) of a matrix CSV, rows and columns in ``names`` order when given."""
    table = pl.read_csv(path)
    order = table["dataset"].to_list()
    mat = table.drop("dataset").to_numpy()
    if names is None:
        return order, mat
    unknown = [n for n in names if n not in order]
    if unknown:
        raise GomError(
            f"{path} has no row for dataset(s) {', '.join(map(repr, unknown))}: rebuild it with `snakemake --cores all --forcerun {path}`"
        )
    idx = [order.index(n) for n in names]
    return list(names), mat[np.ix_(idx, idx)]


def neighbours(name: str, metric: str, graph_dir: str | Path = paths.GRAPH_DIR) -> list[tuple[str, float]]:
    """Other datasets ordered by similarity to ``name`` under ``metric`` (the recommender view)."""
    path = Path(graph_dir) / f"matrix_{metric}.csv"
    if not path.exists():
        known = sorted(p.stem.removeprefix("matrix_") for p in Path(graph_dir).glob("matrix_*.csv"))
        hint = f"; metrics built: {', '.join(known)}" if known else f": build it with `snakemake --cores all {path}`"
        raise GomError(f"no similarity matrix for metric '{metric}' at {path}{hint}")
    names, matrix = read_matrix(path)
    if name not in names:
        raise GomError(f"unknown dataset '{name}'; the graph has: {', '.join(names)}")
    row = matrix[names.index(name)]
    return sorted(((n, float(v)) for n, v in zip(names, row) if n != name), key=lambda x: -x[1])
