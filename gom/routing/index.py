"""The router index: what the router knows and the scorers over it.

Built from every dataset's training rows (never a held-out row): their embeddings, each
dataset's centroid, and, with two datasets or more, two trained linear models
(``gom.routing.linear``). Its ``Choice`` (made on validation rows by ``gom.routing.select``)
says how a query is scored:

- ``centroid``: cosine to each dataset's normalised mean embedding;
- ``knn``: a similarity-weighted vote of the query's k nearest training rows;
- ``linear``: logistic regression over the embedding (log-probabilities);
- ``lexical``: logistic regression over the query's TF-IDF terms;
- ``fusion``: ``weight`` x linear + (1 - weight) x lexical log-probabilities;

optionally smoothed over the dataset graph (``graph_alpha``: each dataset passes that share of
its probability to its nearest datasets by centroid cosine), and how the router decides that a
query belongs to none of the datasets (``abstain_score`` below ``threshold``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
from scipy.special import log_softmax, softmax

from gom import paths
from gom.errors import GomError
from gom.io import load_npz, save_npz
from gom.routing.linear import Lexical, Linear

METHODS = ("centroid", "knn", "linear", "lexical", "fusion")
ABSTAIN_SCORES = ("nearest_row", "nearest_rows", "centroid", "router")
# What each abstain score measures, for reports.
ABSTAIN_MEANING = {
    "nearest_row": "cosine of the nearest training row",
    "nearest_rows": "mean cosine of the k nearest training rows",
    "centroid": "cosine of the nearest dataset centroid",
    "router": "the chosen router's top probability",
}
CENTROID_TEMPERATURE = 0.05  # centroid cosines -> probabilities, for graph smoothing only


@dataclass
class Choice:
    """How the index scores a query: made on validation rows (``gom.routing.select``)."""

    router: str = "knn"
    k: int = 10
    weight: float = 0.5  # fusion: the semantic (linear) share
    graph_alpha: float = 0.0  # 0: no graph smoothing
    graph_neighbours: int = 5
    abstain_score: str = "nearest_rows"
    threshold: float | None = None  # None: never abstain

    @classmethod
    def from_dict(cls, d: dict) -> Choice:
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})


@dataclass
class Index:
    names: list[str]
    model: str
    centroids: np.ndarray  # datasets x dim, unit rows
    vectors: np.ndarray  # training rows x dim, unit rows
    labels: np.ndarray  # dataset index of each row
    rows: np.ndarray | None = None  # each vector's row number in its dataset's processed table
    linear: Linear | None = None
    lexical: Lexical | None = None
    choice: Choice = field(default_factory=Choice)

    # -- compatibility with callers that name a vector-only method and k directly --
    @property
    def k(self) -> int:
        return self.choice.k

    @property
    def method(self) -> str:
        return self.choice.router

    def similarities(self, queries: np.ndarray) -> np.ndarray:
        return queries @ self.vectors.T

    def scores(
        self, queries: np.ndarray, method: str | None = None, texts: list[str] | None = None, sims=None, choice=None
    ) -> np.ndarray:
        """queries x datasets scores (higher is better) for unit-normalised query embeddings
        (and the query texts, for the lexical and fusion routers). ``sims``: the queries x rows
        similarities when the caller has them (the router computes them in torch)."""
        choice = choice or self.choice
        router = method or choice.router
        central = queries @ self.centroids.T
        if router == "centroid":
            raw = central
        elif router == "knn":
            raw = self._votes(self.similarities(queries) if sims is None else sims, central, choice.k)
        elif router == "linear":
            raw = self._linear().log_proba(queries)
        elif router == "lexical":
            raw = self._lexical().log_proba(_texts(texts, queries))
        elif router == "fusion":
            semantic, lexical = self._linear().log_proba(queries), self._lexical().log_proba(_texts(texts, queries))
            raw = choice.weight * semantic + (1 - choice.weight) * lexical
        else:
            raise GomError(f"unknown router method '{router}' (known: {', '.join(METHODS)})")
        if choice.graph_alpha > 0:
            return np.log(self.smooth(probabilities(router, raw), choice.graph_alpha, choice.graph_neighbours) + 1e-12)
        return raw

    def _votes(self, sims: np.ndarray, central: np.ndarray, k: int) -> np.ndarray:
        k = min(k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        votes = np.zeros_like(central)
        rows = np.arange(len(sims))[:, None]
        np.add.at(votes, (np.broadcast_to(rows, top.shape), self.labels[top]), sims[rows, top])
        # The vote decides; the centroid score (in [-1, 1], scaled far below one vote) breaks ties.
        return votes / k + 1e-3 * central

    def smooth(self, p: np.ndarray, alpha: float, neighbours: int) -> np.ndarray:
        """Probabilities with ``alpha`` of each dataset's mass passed to its ``neighbours`` nearest
        datasets (centroid cosine, non-negative, row-normalised)."""
        return (1 - alpha) * p + alpha * p @ self.graph(neighbours)

    def graph(self, neighbours: int) -> np.ndarray:
        cached = getattr(self, "_graph", None)
        if cached is not None and cached[0] == neighbours:
            return cached[1]
        n = len(self.names)
        sim = np.clip(self.centroids @ self.centroids.T, 0, None)
        np.fill_diagonal(sim, -1)
        keep = min(neighbours, n - 1)
        adjacency = np.zeros((n, n))
        if keep > 0:
            top = np.argpartition(-sim, keep - 1, axis=1)[:, :keep]
            rows = np.arange(n)[:, None]
            adjacency[rows, top] = np.clip(sim[rows, top], 0, None)
        totals = adjacency.sum(axis=1, keepdims=True)
        adjacency = np.divide(adjacency, totals, out=np.eye(n), where=totals > 0)
        self._graph = (neighbours, adjacency)
        return adjacency

    def in_domain(self, queries: np.ndarray, scores: np.ndarray, sims=None, choice=None) -> np.ndarray:
        """How much each query looks like the datasets (higher: more in-domain), by the choice's
        abstain score."""
        choice = choice or self.choice
        kind = choice.abstain_score
        if kind == "centroid":
            return (queries @ self.centroids.T).max(axis=1)
        if kind == "router":
            return probabilities(choice.router if choice.graph_alpha == 0 else "linear", scores).max(axis=1)
        sims = self.similarities(queries) if sims is None else sims
        if kind == "nearest_row":
            return sims.max(axis=1)
        if kind == "nearest_rows":
            k = min(choice.k, sims.shape[1])
            return np.partition(-sims, k - 1, axis=1)[:, :k].mean(axis=1) * -1
        raise GomError(f"unknown abstain score '{kind}' (known: {', '.join(ABSTAIN_SCORES)})")

    def _linear(self) -> Linear:
        if self.linear is None:
            raise GomError("this router index has no linear model (it needs two datasets or more)")
        return self.linear

    def _lexical(self) -> Lexical:
        if self.lexical is None:
            raise GomError("this router index has no lexical model (it needs two datasets or more)")
        return self.lexical

    @classmethod
    def from_rows(
        cls, names: list[str], rows: list[np.ndarray], model: str, k: int, row_numbers: list[np.ndarray] | None = None
    ) -> Index:
        """An index over each dataset's (training) row embeddings, in ``names`` order."""
        centroids = []
        for train in rows:
            mean = train.astype(np.float64).mean(axis=0)
            centroids.append(mean / np.linalg.norm(mean))
        labels = np.concatenate([np.full(len(train), i, dtype=np.int32) for i, train in enumerate(rows)])
        numbers = None if row_numbers is None else np.concatenate(row_numbers).astype(np.int64)
        return cls(
            names,
            model,
            np.array(centroids, dtype=np.float32),
            np.concatenate(rows).astype(np.float32),
            labels,
            rows=numbers,
            choice=Choice(k=k),
        )

    def save(self, out: str | Path) -> None:
        arrays = {
            "names": np.array(self.names),
            "model": np.array(self.model),
            "centroids": self.centroids,
            "vectors": self.vectors,
            "labels": self.labels,
            "choice": np.array(json.dumps(asdict(self.choice))),
        }
        if self.rows is not None:
            arrays["rows"] = self.rows
        for part in (self.linear, self.lexical):
            if part is not None:
                arrays.update(part.arrays())
        save_npz(out, **arrays)


def probabilities(router: str, scores: np.ndarray) -> np.ndarray:
    """A router's scores as probabilities over the datasets."""
    if router == "centroid":
        return softmax(scores / CENTROID_TEMPERATURE, axis=1)
    if router == "knn":
        votes = np.clip(scores, 0, None) + 1e-6
        return votes / votes.sum(axis=1, keepdims=True)
    return np.exp(log_softmax(scores, axis=1))


def _texts(texts: list[str] | None, queries: np.ndarray) -> list[str]:
    if texts is None or len(texts) != len(queries):
        raise GomError("the lexical and fusion routers need the query texts beside their embeddings")
    return texts


def load_index(path: str | Path) -> Index:
    """The index written by the route_index job, with the choice made on validation rows."""
    path = Path(path)
    if not path.exists():
        raise GomError(f"no router index at {path}: build it with `snakemake --cores all {paths.ROUTER_INDEX}`")
    z = load_npz(path)
    rebuild = f"rebuild it with `snakemake --cores all --forcerun {path}`"
    if "choice" not in z:
        raise GomError(f"{path} was written by an older gom (it holds no router choice): {rebuild}")
    try:
        choice = Choice.from_dict(json.loads(str(z["choice"])))
    except (ValueError, TypeError) as e:
        raise GomError(f"{path}: its router choice is not readable ({e}): {rebuild}") from None
    index = Index(
        list(map(str, z["names"])),
        str(z["model"]),
        z["centroids"],
        z["vectors"],
        z["labels"],
        rows=z["rows"] if "rows" in z else None,
        linear=Linear.from_arrays(z),
        lexical=Lexical.from_arrays(z),
        choice=choice,
    )
    check_index(index, path)
    return index


def check_index(index: Index, path: str | Path) -> None:
    """Refuse an index whose names could lead outside models/, whose arrays do not fit together
    or whose choice names a scorer it cannot run."""
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
        and (index.rows is None or index.rows.shape == index.labels.shape)
        and (len(index.labels) == 0 or 0 <= index.labels.min() and index.labels.max() < n)
        and (index.linear is None or index.linear.coef.shape == (n, dim))
        and (index.lexical is None or index.lexical.coef.shape == (n, len(index.lexical.vocabulary)))
    )
    if not fits:
        raise GomError(f"{path}: its names, centroids, vectors and labels do not fit together: {rebuild}")
    if not (np.isfinite(index.centroids).all() and np.isfinite(index.vectors).all()):
        raise GomError(f"{path} holds NaN or infinite embeddings: {rebuild}")
    c = index.choice
    threshold_ok = c.threshold is None or (
        isinstance(c.threshold, (int, float)) and not isinstance(c.threshold, bool) and np.isfinite(c.threshold)
    )
    usable = (
        c.router in METHODS
        and c.abstain_score in ABSTAIN_SCORES
        and isinstance(c.k, int)
        and c.k >= 1
        and 0 <= c.weight <= 1
        and 0 <= c.graph_alpha < 1
        and threshold_ok
        and (c.router not in ("linear", "fusion") or index.linear is not None)
        and (c.router not in ("lexical", "fusion") or index.lexical is not None)
    )
    if not usable:
        raise GomError(f"{path}: its router choice {asdict(c)} is not one gom can run: {rebuild}")
