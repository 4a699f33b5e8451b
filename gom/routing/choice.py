"""What a router index chooses and how it finds neighbours: the routers, the abstain scores, the
``Choice`` made on validation rows, and each query's nearest index rows."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

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
class Neighbours:
    """Each query's k most similar index rows, most similar first: all that the knn router and
    the nearest-row abstain scores need, without keeping a queries x rows matrix."""

    values: np.ndarray  # queries x k cosine similarities, descending
    indices: np.ndarray  # queries x k row indices

    @classmethod
    def of(cls, sims: np.ndarray, k: int) -> Neighbours:
        k = max(1, min(k, sims.shape[1]))
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-values, axis=1, kind="stable")
        return cls(np.take_along_axis(values, order, axis=1), np.take_along_axis(top, order, axis=1))
