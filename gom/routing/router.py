"""The runtime router: index and embedding model loaded once, queries ranked against them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import torch

from gom import paths
from gom.errors import GomError
from gom.io import reference_from_file, verified
from gom.routing.compose import composition_kept, mix
from gom.routing.index import ABSTAIN_MEANING, Neighbours, route_probabilities
from gom.routing.index_file import load_index


class Router:
    """Index + embedding model, loaded once; ``route`` ranks the miniModels for queries."""

    compose = False  # set by __init__ from route_quality's verdict; a Router built without it never merges

    def __init__(
        self,
        results_dir: str | Path = paths.ROUTING_DIR,
        device: str = "cpu",
        embedding_model: str | None = None,
        compose: bool = True,
    ):
        """``embedding_model`` (the user's choice) replaces the model the index names, which is
        only followed when it is a hub name or a path inside the working directory. ``compose``:
        name the top two miniModels to merge where the router is unsure, if route_quality kept that
        for this index (``gom.routing.compose``)."""
        from gom.embedding.encode import load_model

        results_dir = Path(results_dir)
        self.index = load_index(results_dir / "index.npz")
        quality = results_dir / Path(paths.ROUTER_QUALITY).name
        self.compose = compose and composition_kept(quality, results_dir / "index.npz")
        model = embedding_model or reference_from_file(
            self.index.model,
            f"the router index {results_dir / 'index.npz'}",
            f"pass --embedding-model {self.index.model} to use it",
        )
        self.model = load_model(model, device)
        # The product with the index rows, one query at a time, runs in torch (rows as dim x rows,
        # contiguous): numpy's BLAS threads spinning beside torch's doubled the query time on 2 cores.
        self._rows = torch.from_numpy(np.ascontiguousarray(self.index.vectors.T))
        if self.index.lexical is not None:
            self.index.lexical.features([""])  # builds the vectorizer once, not on the first query
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

    def _score(self, queries: list[str]):
        vectors = self.model.encode(
            queries, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False, batch_size=16
        )
        choice = self.index.choice
        needs_rows = choice.router == "knn" or choice.abstain_score in ("nearest_row", "nearest_rows")
        near = Neighbours.of(self._similarities(vectors), choice.k) if needs_rows else None
        scores = self.index.scores(vectors, texts=queries, neighbours=near)
        return vectors, scores, self.index.in_domain(vectors, scores, near)

    def route(self, queries: list[str], top_k: int = 3) -> list[dict]:
        _, scores, in_domain = self._score(queries)
        threshold = self.index.choice.threshold
        p = route_probabilities(self.index.choice, scores) if self.compose else None
        out = []
        for i, (q, row, fit) in enumerate(zip(queries, scores, in_domain)):
            order = np.argsort(-row)[:top_k]
            abstain = threshold is not None and fit < threshold
            parts = mix(p[i]) if self.compose and not abstain else None
            out.append(
                {
                    "query": q,
                    "choice": None if abstain else self.index.names[order[0]],
                    "abstained": bool(abstain),
                    "in_domain_score": float(fit),
                    "threshold": threshold,
                    "method": self.index.method,
                    "ranking": [{"model": self.index.names[i], "score": float(row[i])} for i in order],
                    # where the router is unsure and composing was kept: the miniModels to merge
                    "mix": [{"model": self.index.names[d], "weight": w} for d, w in parts] if parts else None,
                }
            )
        return out

    def explain(self, query: str, rows: int = 3, terms: int = 8, processed: str = paths.PROCESSED) -> dict:
        """Why the router ranks the query as it does: for the chosen and the runner-up dataset,
        its nearest training rows (text from the processed tables) and the query's terms that
        raise its lexical score most."""
        vectors, scores, in_domain = self._score([query])
        sims = self._similarities(vectors)
        order = np.argsort(-scores[0])[:2]
        index, choice = self.index, self.index.choice
        explained = []
        for rank, d in enumerate(order):
            name = index.names[d]
            members = np.flatnonzero(index.labels == d)
            nearest = members[np.argsort(-sims[0, members])[:rows]]
            explained.append(
                {
                    "rank": rank + 1,
                    "model": name,
                    "score": float(scores[0, d]),
                    "nearest_rows": [
                        {"similarity": round(float(sims[0, i]), 4), **self._row_text(name, i, processed)}
                        for i in nearest
                    ],
                    "terms": index.lexical.terms(query, int(d), terms) if index.lexical is not None else [],
                }
            )
        threshold = choice.threshold
        return {
            "query": query,
            "method": choice.router,
            "choice": None if threshold is not None and in_domain[0] < threshold else index.names[order[0]],
            "in_domain_score": float(in_domain[0]),
            "abstain_score": ABSTAIN_MEANING[choice.abstain_score],
            "threshold": threshold,
            "datasets": explained,
        }

    def _row_text(self, name: str, i: int, processed: str) -> dict:
        if self.index.rows is None:
            return {"row": None, "text": None}
        number = int(self.index.rows[i])
        path = Path(processed.format(name=name))
        if not hasattr(self, "_tables"):
            self._tables = {}
        if name not in self._tables:
            if not path.exists():
                raise GomError(
                    f"--explain reads the training rows' texts from {path}, which is missing: re-run convert"
                )
            self._tables[name] = pl.read_parquet(verified(path), columns=["text"])["text"]
        table = self._tables[name]
        if number >= len(table):
            raise GomError(f"{path} has {len(table)} rows, the router index names row {number}: rebuild the router")
        return {"row": number, "text": table[number]}
