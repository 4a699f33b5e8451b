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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import log_softmax, softmax

from gom.errors import GomError
from gom.io import save_npz
from gom.routing.choice import (  # noqa: F401 (the index's vocabulary, imported from here by its users)
    ABSTAIN_MEANING,
    ABSTAIN_SCORES,
    CENTROID_TEMPERATURE,
    METHODS,
    Choice,
    Neighbours,
)
from gom.routing.linear import Lexical, Linear

NEIGHBOUR_CHUNK = 2048  # queries per block when finding neighbours (a block x rows matrix at a time)


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

    def neighbours(self, queries: np.ndarray, k: int) -> Neighbours:
        """The ``k`` nearest index rows of each query, found block by block."""
        parts = [
            Neighbours.of(queries[i : i + NEIGHBOUR_CHUNK] @ self.vectors.T, k)
            for i in range(0, len(queries), NEIGHBOUR_CHUNK)
        ]
        if not parts:
            return Neighbours(np.zeros((0, 1), np.float32), np.zeros((0, 1), np.int64))
        return Neighbours(np.concatenate([p.values for p in parts]), np.concatenate([p.indices for p in parts]))

    def scores(
        self,
        queries: np.ndarray,
        method: str | None = None,
        texts: list[str] | None = None,
        neighbours: Neighbours | None = None,
        choice=None,
    ) -> np.ndarray:
        """queries x datasets scores (higher is better) for unit-normalised query embeddings
        (and the query texts, for the lexical and fusion routers). ``neighbours``: each query's
        nearest rows when the caller has them (at least k; the router finds them in torch)."""
        choice = choice or self.choice
        router = method or choice.router
        central = queries @ self.centroids.T
        if router == "centroid":
            raw = central
        elif router == "knn":
            raw = self._votes(neighbours or self.neighbours(queries, choice.k), central, choice.k)
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

    def _votes(self, neighbours: Neighbours, central: np.ndarray, k: int) -> np.ndarray:
        k = min(k, len(self.labels))
        if neighbours.indices.shape[1] < k:
            raise GomError(f"{neighbours.indices.shape[1]} neighbours were found for a {k}-nearest vote")
        top, values = neighbours.indices[:, :k], neighbours.values[:, :k]
        votes = np.zeros_like(central)
        rows = np.arange(len(top))[:, None]
        np.add.at(votes, (np.broadcast_to(rows, top.shape), self.labels[top]), values)
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

    def in_domain(
        self, queries: np.ndarray, scores: np.ndarray, neighbours: Neighbours | None = None, choice=None
    ) -> np.ndarray:
        """How much each query looks like the datasets (higher: more in-domain), by the choice's
        abstain score."""
        choice = choice or self.choice
        kind = choice.abstain_score
        if kind == "centroid":
            return (queries @ self.centroids.T).max(axis=1)
        if kind == "router":
            return route_probabilities(choice, scores).max(axis=1)
        neighbours = neighbours or self.neighbours(queries, choice.k)
        if kind == "nearest_row":
            return neighbours.values[:, 0]
        if kind == "nearest_rows":
            return neighbours.values[:, : min(choice.k, len(self.labels))].mean(axis=1)
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


def route_probabilities(choice: Choice, scores: np.ndarray) -> np.ndarray:
    """The probabilities behind a choice's scores (graph smoothing turns any router's into log-probabilities)."""
    return probabilities(choice.router if choice.graph_alpha == 0 else "linear", scores)


def _texts(texts: list[str] | None, queries: np.ndarray) -> list[str]:
    if texts is None or len(texts) != len(queries):
        raise GomError("the lexical and fusion routers need the query texts beside their embeddings")
    return texts
