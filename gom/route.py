"""Stage: route a query to the miniModel of the dataset it belongs to.

The index holds the embeddings of every dataset's training rows only (the held-out rows of
``gom.split`` never enter it) and two routers over them:

- ``centroid``: cosine to each dataset's normalised mean embedding;
- ``knn``: a similarity-weighted vote of the query's k nearest training rows (ties and
  datasets without a neighbour are ordered by centroid score).

Both are evaluated on the held-out rows; ``routing.method: auto`` keeps the better one. A
query whose best score falls below a threshold calibrated on the held-out rows gets "no
suitable miniModel" (and, when generating, the base model).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gom.errors import GomError
from gom.io import dumps, load_npy, load_npz, read_json, reference_from_file, save_npz, verified, write_json
from gom.split import split_mask

METHODS = ("centroid", "knn")

# Questions about nothing the sample domains (or most domain datasets) cover, used to report how
# often the calibrated threshold abstains off-domain. They never influence the threshold.
OFF_DOMAIN = [
    "How do I reset the password of my wifi router?",
    "What is the capital of Australia?",
    "Explain the difference between TCP and UDP.",
    "Who won the football world cup in 1998?",
    "How do I change a flat tyre on a bicycle?",
    "What does a Kubernetes pod do?",
    "Write a haiku about the ocean at night.",
    "How many moons does Jupiter have?",
    "What is the derivative of sin(x)?",
    "Recommend a good science fiction novel.",
    "How do I file my income tax return?",
    "What causes the northern lights?",
    "Translate 'good morning' into Japanese.",
    "How does a mortgage interest rate work?",
    "What is the best way to learn the guitar?",
    "Why is the sky blue?",
    "How do I fix a merge conflict in git?",
    "What is the population of Brazil?",
    "Summarise the plot of Hamlet.",
    "How do vaccines train the immune system?",
]


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

    def scores(self, queries: np.ndarray, method: str | None = None) -> np.ndarray:
        """queries x datasets scores (higher is better) for unit-normalised query embeddings."""
        method = method or self.method
        central = queries @ self.centroids.T
        if method == "centroid":
            return central
        sims = queries @ self.vectors.T
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
    def from_rows(cls, names: list[str], rows: list[np.ndarray], model: str, k: int) -> "Index":
        """An index over each dataset's (training) row embeddings, in ``names`` order."""
        centroids = []
        for train in rows:
            mean = train.astype(np.float64).mean(axis=0)
            centroids.append(mean / np.linalg.norm(mean))
        labels = np.concatenate([np.full(len(train), i, dtype=np.int32) for i, train in enumerate(rows)])
        return cls(names, model, np.array(centroids, dtype=np.float32), np.concatenate(rows).astype(np.float32), labels, k=k)


def split_embeddings(name: str, parquet: str | Path, embeddings: str | Path, eval_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows) of one dataset's embeddings, by the shared split."""
    texts = pl.read_parquet(verified(parquet), columns=["text"])["text"].to_list()
    rows = load_npy(embeddings)
    if len(rows) != len(texts):
        raise GomError(f"dataset '{name}': {embeddings} has {len(rows)} rows, {parquet} has {len(texts)}; re-run embed")
    held = split_mask(name, texts, eval_fraction)
    return rows[~held], rows[held]


def build_index(names: list[str], parquets: list[str | Path], embeddings: list[str | Path], eval_fractions: list[float], model: str, k: int, out: str | Path) -> dict:
    """Write the router index (``out``, .npz) from each dataset's training rows."""
    rows = [split_embeddings(*split)[0] for split in zip(names, parquets, embeddings, eval_fractions)]
    index = Index.from_rows(names, rows, model, k)
    save_npz(out, names=np.array(names), model=np.array(model), centroids=index.centroids,
             vectors=index.vectors, labels=index.labels, k=np.int64(k))
    return {"training_rows": {name: len(train) for name, train in zip(names, rows)}}


def load_index(path: str | Path, choice: str | Path | None = None) -> Index:
    """The index, with the method and threshold chosen by evaluation when ``choice`` (eval.json) exists."""
    path = Path(path)
    if not path.exists():
        raise GomError(f"no router index at {path}: build it with `snakemake --cores all results/routing/eval.json`")
    z = load_npz(path)
    index = Index(list(map(str, z["names"])), str(z["model"]), z["centroids"], z["vectors"], z["labels"], k=int(z["k"]))
    check_index(index, path)
    if choice is not None:
        if not Path(choice).exists():
            raise GomError(f"the router is not evaluated yet ({choice} is missing): build it with `snakemake --cores all {choice}`")
        chosen = read_json(choice)
        method, threshold = chosen.get("method"), (chosen.get("abstain") or {}).get("threshold")
        if method not in METHODS or not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not np.isfinite(threshold):
            raise GomError(f"{choice} does not hold a router method and a numeric abstain threshold: rebuild it with `snakemake --cores all --forcerun {choice}`")
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
    fits = (n == len(index.names) and index.vectors.ndim == 2 and index.vectors.shape[1] == dim
            and index.labels.shape == (len(index.vectors),) and index.k >= 1
            and (len(index.labels) == 0 or 0 <= index.labels.min() and index.labels.max() < n))
    if not fits:
        raise GomError(f"{path}: its names, centroids, vectors and labels do not fit together: {rebuild}")
    if not (np.isfinite(index.centroids).all() and np.isfinite(index.vectors).all()):
        raise GomError(f"{path} holds NaN or infinite embeddings: {rebuild}")


def held_out_queries(names, parquets, embeddings, eval_fractions):
    """(embeddings, true dataset index) of every dataset's held-out rows."""
    vectors, truth = [], []
    for i, split in enumerate(zip(names, parquets, embeddings, eval_fractions)):
        _, held = split_embeddings(*split)
        vectors.append(held)
        truth.append(np.full(len(held), i))
    return np.concatenate(vectors), np.concatenate(truth)


def accuracy(scores: np.ndarray, truth: np.ndarray, names: list[str]) -> dict:
    order = np.argsort(-scores, axis=1)
    top1 = order[:, 0]
    recall = {n: float((top1[truth == i] == i).mean()) if (truth == i).any() else None for i, n in enumerate(names)}
    confusion = np.zeros((len(names), len(names)), dtype=int)
    np.add.at(confusion, (truth, top1), 1)
    present = [r for r in recall.values() if r is not None]
    return {
        "top1_accuracy": float((top1 == truth).mean()),
        "top3_accuracy": float((order[:, :3] == truth[:, None]).any(axis=1).mean()),
        "balanced_accuracy": float(np.mean(present)),
        "per_dataset_recall": recall,
        "n_queries": int(len(truth)),
        "confusion": confusion.tolist(),
    }


def calibrate(confidence: np.ndarray, false_abstain: float) -> float:
    """The threshold that abstains on at most ``false_abstain`` of the in-domain held-out queries."""
    return float(np.quantile(confidence, false_abstain, method="lower"))


def evaluate_router(index_path, names, parquets, embeddings, eval_fractions, method: str, false_abstain: float, out_json, out_png, embed_settings: dict) -> dict:
    """Evaluate both routers on the held-out rows, choose one, calibrate its abstain threshold."""
    from gom.drawing import heatmap

    index = load_index(index_path)
    queries, truth = held_out_queries(names, parquets, embeddings, eval_fractions)
    if len(truth) == 0:
        raise GomError("no held-out rows to evaluate the router on: raise lora.eval_fraction")
    results = {m: accuracy(index.scores(queries, m), truth, names) for m in METHODS}
    chosen = max(METHODS, key=lambda m: (results[m]["top1_accuracy"], results[m]["balanced_accuracy"])) if method == "auto" else method
    confidence = index.confidence(index.scores(queries, chosen))
    threshold = calibrate(confidence, false_abstain)
    off = embed_queries(OFF_DOMAIN, index.model, embed_settings)
    off_conf = index.confidence(index.scores(off, chosen))
    report = {
        "method": chosen,
        "chosen_by": "config" if method != "auto" else "best held-out top-1 accuracy",
        **results[chosen],
        "methods": {m: {k: v for k, v in r.items() if k != "confusion"} for m, r in results.items()},
        "abstain": {
            "threshold": threshold,
            "score": "centroid cosine" if chosen == "centroid" else f"mean similarity-weighted vote of the {index.k} nearest rows",
            "target_false_abstain_rate": false_abstain,
            "false_abstain_rate": float((confidence < threshold).mean()),
            "off_domain_queries": len(OFF_DOMAIN),
            "off_domain_abstain_rate": float((off_conf < threshold).mean()),
        },
        "datasets": names,
        "k": index.k,
    }
    write_json(out_json, report)
    heatmap(out_png, np.array(results[chosen]["confusion"], dtype=float), names, names,
            f"router ({chosen}) on held-out rows: true (row) -> chosen (column)", low_is_dark=False)
    return {k: report[k] for k in ("method", "top1_accuracy", "top3_accuracy", "balanced_accuracy")}


def embed_queries(texts: list[str], model: str, embed_settings: dict | None = None, st=None) -> np.ndarray:
    from gom.embed import load_model

    settings = embed_settings or {}
    st = st or load_model(model, settings.get("device", "auto"), settings.get("max_seq_length"))
    return st.encode(texts, batch_size=settings.get("batch_size", 64), convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)


class Router:
    """Index + embedding model, loaded once; ``route`` ranks the miniModels for queries."""

    def __init__(self, results_dir: str | Path = "results/routing", device: str = "cpu", embedding_model: str | None = None):
        """``embedding_model`` (the user's choice) replaces the model the index names, which is
        only followed when it is a hub name or a path inside the working directory."""
        from gom.embed import load_model

        results_dir = Path(results_dir)
        self.index = load_index(results_dir / "index.npz", results_dir / "eval.json")
        model = embedding_model or reference_from_file(
            self.index.model, f"the router index {results_dir / 'index.npz'}", f"pass --embedding-model {self.index.model} to use it"
        )
        self.model = load_model(model, device)
        dim = self.model.get_sentence_embedding_dimension()
        if dim is not None and dim != self.index.centroids.shape[1]:
            raise GomError(
                f"embedding model '{model}' gives {dim}-dimensional vectors but the router index "
                f"{results_dir / 'index.npz'} holds {self.index.centroids.shape[1]}-dimensional ones: use the model it was built with ('{self.index.model}')"
            )

    def route(self, queries: list[str], top_k: int = 3) -> list[dict]:
        vectors = self.model.encode(queries, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False, batch_size=64)
        scores = self.index.scores(vectors)
        out = []
        for q, row in zip(queries, scores):
            order = np.argsort(-row)[:top_k]
            best = float(row[order[0]])
            abstain = self.index.threshold is not None and best < self.index.threshold
            out.append({
                "query": q,
                "choice": None if abstain else self.index.names[order[0]],
                "abstained": bool(abstain),
                "threshold": self.index.threshold,
                "method": self.index.method,
                "ranking": [{"model": self.index.names[i], "score": float(row[i])} for i in order],
            })
        return out


def neighbours(name: str, metric: str, graph_dir: str | Path = "results/graph") -> list[tuple[str, float]]:
    """Other datasets ordered by similarity to ``name`` under ``metric`` (the recommender view)."""
    path = Path(graph_dir) / f"matrix_{metric}.csv"
    if not path.exists():
        known = sorted(p.stem.removeprefix("matrix_") for p in Path(graph_dir).glob("matrix_*.csv"))
        hint = f"; metrics built: {', '.join(known)}" if known else f": build it with `snakemake --cores all {path}`"
        raise GomError(f"no similarity matrix for metric '{metric}' at {path}{hint}")
    table = pl.read_csv(path)
    names = table["dataset"].to_list()
    if name not in names:
        raise GomError(f"unknown dataset '{name}'; the graph has: {', '.join(names)}")
    row = table.filter(pl.col("dataset") == name).drop("dataset").row(0, named=True)
    return sorted(((n, float(v)) for n, v in row.items() if n != name), key=lambda x: -x[1])


