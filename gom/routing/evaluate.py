"""Stage: both routers on the held-out rows; ``routing.method: auto`` keeps the better one, and a
threshold calibrated on the held-out rows makes the router abstain ("no suitable miniModel").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gom.errors import GomError
from gom.io import write_json
from gom.matrices import MATRIX_LIMIT
from gom.routing.index import METHODS, load_index, split_embeddings

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


def held_out_queries(datasets: Mapping[str, Mapping]):
    """(embeddings, true dataset index) of every dataset's held-out rows."""
    return stack_queries([split_embeddings(name, dataset)[1] for name, dataset in datasets.items()])


def stack_queries(held: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(all queries, the index of the dataset each came from), from each dataset's held-out vectors."""
    return np.concatenate(held), np.concatenate([np.full(len(rows), i) for i, rows in enumerate(held)])


def compare_methods(index, queries: np.ndarray, truth: np.ndarray) -> dict[str, dict]:
    """``accuracy`` of every router method of ``index`` on the same queries."""
    return {m: accuracy(index.scores(queries, m), truth, index.names) for m in METHODS}


def choose_method(results: Mapping[str, dict], method: str) -> str:
    """The configured method, or with 'auto' the one with the best top-1 (then balanced) accuracy."""
    if method != "auto":
        return method
    return max(results, key=lambda m: (results[m]["top1_accuracy"], results[m]["balanced_accuracy"]))


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


def most_confused(confusion, names: list[str], top: int = 25) -> list[dict]:
    """The ``top`` (true dataset, chosen dataset) pairs the router confuses most, largest first."""
    counts = np.array(confusion, dtype=np.int64)
    totals = counts.sum(axis=1)
    np.fill_diagonal(counts, 0)
    order = np.argsort(-counts, axis=None, kind="stable")[:top]
    pairs = [divmod(int(k), len(names)) for k in order]
    return [
        {"true": names[i], "chosen": names[j], "queries": int(counts[i, j]), "of": int(totals[i])}
        for i, j in pairs
        if counts[i, j] > 0
    ]


def calibrate(confidence: np.ndarray, false_abstain: float) -> float:
    """The threshold that abstains on at most ``false_abstain`` of the in-domain held-out queries."""
    return float(np.quantile(confidence, false_abstain, method="lower"))


def evaluate_router(
    index_path,
    datasets: Mapping[str, Mapping],
    method: str,
    false_abstain: float,
    out_json,
    out_png,
    embed_settings: dict,
) -> dict:
    """Evaluate both routers on the held-out rows, choose one, calibrate its abstain threshold."""
    from gom.drawing import bar_table, heatmap

    index = load_index(index_path)
    names = list(datasets)
    queries, truth = held_out_queries(datasets)
    if len(truth) == 0:
        raise GomError("no held-out rows to evaluate the router on: raise split.fraction")
    results = compare_methods(index, queries, truth)
    chosen = choose_method(results, method)
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
            "score": "centroid cosine"
            if chosen == "centroid"
            else f"mean similarity-weighted vote of the {index.k} nearest rows",
            "target_false_abstain_rate": false_abstain,
            "false_abstain_rate": float((confidence < threshold).mean()),
            "off_domain_queries": len(OFF_DOMAIN),
            "off_domain_abstain_rate": float((off_conf < threshold).mean()),
        },
        "datasets": names,
        "k": index.k,
    }
    if len(names) > MATRIX_LIMIT:  # an N x N matrix is unreadable: the most confused pairs instead
        pairs = most_confused(report.pop("confusion"), names)
        report["most_confused"] = pairs
        write_json(out_json, report)
        bar_table(
            out_png,
            f"router ({chosen}), {len(names)} datasets: the most confused pairs on held-out rows",
            [f"{p['true']} -> {p['chosen']}" for p in pairs],
            [p["queries"] for p in pairs],
            [f"{p['queries']} of {p['of']} queries" for p in pairs],
        )
    else:
        write_json(out_json, report)
        heatmap(
            out_png,
            np.array(results[chosen]["confusion"], dtype=float),
            names,
            names,
            f"router ({chosen}) on held-out rows: true (row) -> chosen (column)",
            low_is_dark=False,
        )
    return {k: report[k] for k in ("method", "top1_accuracy", "top3_accuracy", "balanced_accuracy")}


def embed_queries(texts: list[str], model: str, embed_settings: dict | None = None, st=None) -> np.ndarray:
    from gom.embedding.encode import load_model

    settings = embed_settings or {}
    st = st or load_model(model, settings.get("device", "auto"), settings.get("max_seq_length"))
    return st.encode(
        texts,
        batch_size=settings.get("batch_size", 64),
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
