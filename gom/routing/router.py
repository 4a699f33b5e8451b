"""The runtime router: index and embedding model loaded once, queries ranked against them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gom import paths
from gom.errors import GomError
from gom.io import reference_from_file
from gom.routing.index import load_index


class Router:
    """Index + embedding model, loaded once; ``route`` ranks the miniModels for queries."""

    def __init__(
        self, results_dir: str | Path = paths.ROUTING_DIR, device: str = "cpu", embedding_model: str | None = None
    ):
        """``embedding_model`` (the user's choice) replaces the model the index names, which is
        only followed when it is a hub name or a path inside the working directory."""
        from gom.embedding.encode import load_model

        results_dir = Path(results_dir)
        self.index = load_index(results_dir / "index.npz", results_dir / "eval.json")
        model = embedding_model or reference_from_file(
            self.index.model,
            f"the router index {results_dir / 'index.npz'}",
            f"pass --embedding-model {self.index.model} to use it",
        )
        self.model = load_model(model, device)
        # The knn product, one query at a time, runs in torch (rows as dim x rows, contiguous):
        # numpy's BLAS threads spinning beside torch's doubled the query time on 2 cores.
        self._rows = torch.from_numpy(np.ascontiguousarray(self.index.vectors.T))
        dim = getattr(self.model, "get_embedding_dimension", self.model.get_sentence_embedding_dimension)()
        if dim is not None and dim != self.index.centroids.shape[1]:
            raise GomError(
                f"embedding model '{model}' gives {dim}-dimensional vectors but the router index "
                f"{results_dir / 'index.npz'} holds {self.index.centroids.shape[1]}-dimensional ones: use the "
                f"model it was built with ('{self.index.model}')"
            )

    def _similarities(self, queries: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return (torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32)) @ self._rows).numpy()

    def route(self, queries: list[str], top_k: int = 3) -> list[dict]:
        vectors = self.model.encode(
            queries, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False, batch_size=64
        )
        scores = self.index.scores(vectors, row_similarities=self._similarities)
        out = []
        for q, row in zip(queries, scores):
            order = np.argsort(-row)[:top_k]
            best = float(row[order[0]])
            abstain = self.index.threshold is not None and best < self.index.threshold
            out.append(
                {
                    "query": q,
                    "choice": None if abstain else self.index.names[order[0]],
                    "abstained": bool(abstain),
                    "threshold": self.index.threshold,
                    "method": self.index.method,
                    "ranking": [{"model": self.index.names[i], "score": float(row[i])} for i in order],
                }
            )
        return out
