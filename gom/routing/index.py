"""The router index: every dataset's training-row embeddings (the held-out rows of ``gom.split``
never enter it), its centroids, and two scorers over them:

- ``centroid``: cosine to each dataset's normalised mean embedding;
- ``knn``: a similarity-weighted vote of the query's k nearest training rows (ties and
  datasets without a neighbour are ordered by centroid score).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gom import paths
from gom.errors import GomError
from gom.io import load_npy, load_npz, read_json, save_npz, verified
from gom.split import split_mask

METHODS = ("centroid", "knn")


@dataclass
class Index:
    names: list[str]
    model: str
    centroids: np.ndarray  # datasets x dim, unit rows
    vectors: np.ndarray  # training rows x dim, unit rows
    labels: np.ndarray  # dataset index of each row
    method: str = "centroid"
    k: int = 10
    threshold: float | None = None

    def scores(self, queries: np.ndarray, method: str | None = None, row_similarities=None) -> np.ndarray:
        """queries x datasets scores (higher is better) for unit-normalised query embeddings.
        ``row_similarities(queries)`` may replace the queries x rows product (the router does
        it in torch's thread pool, which numpy's BLAS threads would otherwise fight)."""
        method = method or self.method
        central = queries @ self.centroids.T
        if method == "centroid":
            return central
        sims = row_similarities(queries) if row_similarities else queries @ self.vectors.T
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        votes = np.zeros_like(central)
        rows = np.arange(len(queries))[:, None]
        np.add.at(votes, (np.broadcast_to(rows, top.shape), self.labels[top]), sims[rows, top])
        # The vote decides; the centroid score (in [-1, 1], scaled far below one vote) breaks ties.
        return votes / k + 1e-3 * central

    def confidence(self, scores: np.ndarray) -> np.ndarray:
        return scores.max(axis=1)

    @classmethod
    def from_rows(cls, names: list[str], rows: list[np.ndarray], model: str, k: int) -> Index:
        """An index over each dataset's (training) row embeddings, in ``names`` order."""
        centroids = []
        for train in rows:
            mean = train.astype(np.float64).mean(axis=0)
            centroids.append(mean / np.linalg.norm(mean))
        labels = np.concatenate([np.full(len(train), i, dtype=np.int32) for i, train in enumerate(rows)])
        return cls(
            names, model, np.array(centroids, dtype=np.float32), np.concatenate(rows).astype(np.float32), labels, k=k
        )


def split_embeddings(name: str, dataset: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows) of one dataset's embeddings (its record's ``parquet``,
    ``embeddings`` and ``split``), by the shared split."""
    parquet, embeddings, split = dataset["parquet"], dataset["embeddings"], dataset["split"]
    texts = pl.read_parquet(verified(parquet), columns=["text"])["text"].to_list()
    rows = load_npy(embeddings)
    if len(rows) != len(texts):
        raise GomError(f"dataset '{name}': {embeddings} has {len(rows)} rows, {parquet} has {len(texts)}; re-run embed")
    held = split_mask(name, texts, split)
    return rows[~held], rows[held]


def build_index(datasets: Mapping[str, Mapping], model: str, k: int, out: str | Path) -> dict:
    """Write the router index (``out``, .npz) from each dataset's training rows
    (``datasets``: one record per dataset with its ``parquet``, ``embeddings`` and ``split``)."""
    names = list(datasets)
    rows = [split_embeddings(name, datasets[name])[0] for name in names]
    index = Index.from_rows(names, rows, model, k)
    save_npz(
        out,
        names=np.array(names),
        model=np.array(model),
        centroids=index.centroids,
        vectors=index.vectors,
        labels=index.labels,
        k=np.int64(k),
    )
    return {"training_rows": {name: len(train) for name, train in zip(names, rows)}}


def load_index(path: str | Path, choice: str | Path | None = None) -> Index:
    """The index, with the method and threshold chosen by evaluation when ``choice`` (eval.json) exists."""
    path = Path(path)
    if not path.exists():
        raise GomError(f"no router index at {path}: build it with `snakemake --cores all {paths.ROUTER_EVAL}`")
    z = load_npz(path)
    index = Index(list(map(str, z["names"])), str(z["model"]), z["centroids"], z["vectors"], z["labels"], k=int(z["k"]))
    check_index(index, path)
    if choice is not None:
        if not Path(choice).exists():
            raise GomError(
                f"the router is not evaluated yet ({choice} is missing): build it with `snakemake --cores all {choice}`"
            )
        chosen = read_json(choice)
        method, threshold = chosen.get("method"), (chosen.get("abstain") or {}).get("threshold")
        if (
            method not in METHODS
            or not isinstance(threshold, (int, float))
            or isinstance(threshold, bool)
            or not np.isfinite(threshold)
        ):
            raise GomError(
                f"{choice} does not hold a router method and a numeric abstain threshold: rebuild it with "
                f"`snakemake --cores all --forcerun {choice}`"
            )
        index.method, index.threshold = method, float(threshold)
    return index


def check_index(index: Index, path: str | Path) -> None:
    """Refuse an index whose names could lead outside models/ or whose arrays do not fit together."""
    from gom.config import check_names

    rebuild = f"rebuild it with `snakemake --cores all --forcerun {path}`"
    try:
        check_names(index.names)
    except GomError as e:
        raise GomError(f"{path} holds a dataset name that gom never writes ({e}): {rebuild}") from None
    n, dim = index.centroids.shape if index.centroids.ndim == 2 else (-1, -1)
    fits = (
        n == len(index.names)
        and index.vectors.ndim == 2
        and index.vectors.shape[1] == dim
        and index.labels.shape == (len(index.vectors),)
        and index.k >= 1
        and (len(index.labels) == 0 or 0 <= index.labels.min() and index.labels.max() < n)
    )
    if not fits:
        raise GomError(f"{path}: its names, centroids, vectors and labels do not fit together: {rebuild}")
    if not (np.isfinite(index.centroids).all() and np.isfinite(index.vectors).all()):
        raise GomError(f"{path} holds NaN or infinite embeddings: {rebuild}")
