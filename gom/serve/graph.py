"""The similarity graph as the server hands it out (``GET /v1/graph``): nodes with their rows,
community and adapter metrics, placed by a layout computed once; edges with every metric."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from gom import paths
from gom.errors import GomError, first_line
from gom.io import read_json
from gom.matrices import read_matrix

# Beyond this many datasets every pair is too many edges for a page: each node keeps its top-k.
ALL_PAIRS_UP_TO = 150
TOP_K = 10
ADAPTER_KEYS = (
    "eval_loss",
    "base_eval_loss",
    "eval_perplexity",
    "base_eval_perplexity",
    "train_examples",
    "eval_examples",
)
PREFERRED = ("centroid_cosine", "mean_cosine")


def _number(value, digits: int = 6):
    """A finite number rounded to ``digits`` decimals (the page needs no more), else None."""
    return round(float(value), digits) if isinstance(value, int | float) and math.isfinite(value) else None


def _matrices(graph_dir: Path, names: list[str]) -> dict[str, np.ndarray]:
    found = sorted(graph_dir.glob("matrix_*.csv"))
    if not found:
        raise GomError(f"no similarity matrices in {graph_dir}/: build the graph with `snakemake --cores all`")
    return {p.stem.removeprefix("matrix_"): read_matrix(p, names)[1] for p in found}


def _communities(graph_dir: Path) -> dict[str, tuple[int, str]]:
    import polars as pl

    path = graph_dir / Path(paths.COMMUNITIES).name
    if not path.is_file():
        return {}
    rebuild = f"rebuild it with `snakemake --cores all --force {paths.COMMUNITIES}`"
    try:
        table = pl.read_csv(path, infer_schema=False)
    except Exception as e:
        raise GomError(f"{path} cannot be read as CSV ({first_line(e)}): {rebuild}") from None
    missing = [c for c in ("dataset", "community", "community_label") if c not in table.columns]
    if missing:
        raise GomError(f"{path} has no column {', '.join(map(repr, missing))}: {rebuild}")
    out = {}
    for k, (d, c, label) in enumerate(table.select("dataset", "community", "community_label").iter_rows()):
        try:
            community = int(c) if c is not None and c.strip().isascii() else None
        except ValueError:
            community = None
        if community is None:
            raise GomError(f"{path}, row {k + 1}: community {c!r} of dataset {d!r} is not an integer: {rebuild}")
        out[d] = (community, "" if label is None else label)
    return out


def _adapter(models_dir: Path, name: str) -> dict | None:
    d = models_dir / name
    if not (d / "adapter_config.json").is_file():
        return None
    config = read_json(d / "adapter_config.json")
    metrics = read_json(d / "metrics.json") if (d / "metrics.json").is_file() else {}
    out = {"rank": config.get("r") if isinstance(config, dict) else None}
    if isinstance(metrics, dict):
        out.update({k: _number(metrics.get(k)) for k in ADAPTER_KEYS})
    return out


def _rows(name: str) -> int | None:
    path = Path(paths.STATS.format(name=name))
    stats = read_json(path) if path.is_file() else {}
    rows = stats.get("rows") if isinstance(stats, dict) else None
    return rows if isinstance(rows, int) else None


def _edges(names: list[str], matrices: dict[str, np.ndarray], top_k: int | None) -> list[dict]:
    n = len(names)
    if top_k is None:
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:  # each node's top-k under any metric
        pairs = set()
        for m in matrices.values():
            scores = np.where(np.isfinite(m), m, -np.inf)
            np.fill_diagonal(scores, -np.inf)
            for i, row in enumerate(np.argsort(-scores, axis=1)[:, :top_k]):
                pairs.update((min(i, j), max(i, j)) for j in row if np.isfinite(scores[i, j]))
        pairs = sorted(pairs)
    return [
        {
            "source": names[i],
            "target": names[j],
            "metrics": {metric: _number(float(m[i, j]), 4) for metric, m in matrices.items()},
        }
        for i, j in pairs
    ]


def _layout(names: list[str], edges: list[dict], metric: str, seed: int = 0) -> list[tuple[float, float]]:
    import random

    import igraph as ig

    g = ig.Graph(n=len(names))
    index = {name: i for i, name in enumerate(names)}
    # A placement from the strongest links: each node's few nearest under the chosen metric.
    strongest: dict[str, list[tuple[float, int, int]]] = {}
    for e in edges:
        value = e["metrics"].get(metric)
        if value is not None:
            i, j = index[e["source"]], index[e["target"]]
            strongest.setdefault(e["source"], []).append((value, i, j))
            strongest.setdefault(e["target"], []).append((value, i, j))
    kept = {(i, j): v for links in strongest.values() for v, i, j in sorted(links, reverse=True)[:5]}
    g.add_edges(list(kept))
    weights = np.clip(np.array(list(kept.values()), dtype=float), 1e-3, None)  # the layout needs positive weights
    random.seed(seed)
    lay = g.layout_fruchterman_reingold(weights=list(weights) if weights.size else None, niter=500)
    return [(round(x, 4), round(y, 4)) for x, y in lay.coords]


def graph_payload(graph_dir: str | Path, models_dir: str | Path, names: list[str], top_k: int | None = None) -> dict:
    """What ``GET /v1/graph`` answers: computed once when the server starts."""
    graph_dir, models_dir = Path(graph_dir), Path(models_dir)
    matrices = _matrices(graph_dir, names)
    default = next((m for m in PREFERRED if m in matrices), next(iter(matrices)))
    if top_k is None and len(names) > ALL_PAIRS_UP_TO:
        top_k = TOP_K
    edges = _edges(names, matrices, top_k)
    communities = _communities(graph_dir)
    coords = _layout(names, edges, default)
    nodes = [
        {
            "id": name,
            "rows": _rows(name),
            "community": communities.get(name, (None, None))[0],
            "community_label": communities.get(name, (None, None))[1],
            "x": x,
            "y": y,
            "adapter": _adapter(models_dir, name),
        }
        for name, (x, y) in zip(names, coords)
    ]
    return {"metrics": list(matrices), "default_metric": default, "nodes": nodes, "edges": edges, "edges_top_k": top_k}
