"""Stage: score the router on the held-out rows, once, after every choice was made on
validation rows (``gom.routing.select``): accuracy, abstention on the held-out rows and on the
test half of the off-domain queries, and every router side by side at the settings it scored
best with on validation (reported, never chosen from).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from gom.errors import GomError
from gom.io import read_json, write_json
from gom.matrices import MATRIX_LIMIT
from gom.routing.data import HELD_OUT, routing_rows
from gom.routing.index import ABSTAIN_MEANING, Choice
from gom.routing.index_file import load_index
from gom.routing.metrics import abstention, accuracy
from gom.routing.offdomain import calibration_part, read_queries


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


def evaluate_router(
    index_path,
    selection_path,
    datasets: Mapping[str, Mapping],
    off_domain: str | None,
    out_json,
    out_png,
    embed_settings: dict,
) -> dict:
    """The chosen router on the held-out rows and the off-domain test queries."""
    from gom.drawing import bar_table, heatmap

    index = load_index(index_path)
    selection = read_json(selection_path)
    names = list(datasets)
    if names != index.names:
        raise GomError(f"{index_path} routes to {index.names}, the config lists {names}: rebuild the index")
    held = routing_rows(datasets, (HELD_OUT,))
    if len(held.labels) == 0:
        raise GomError("no held-out rows to evaluate the router on: raise split.fraction")
    off = read_queries(off_domain)
    test = [q for q, c in zip(off, calibration_part(off)) if not c]
    off_vectors = embed_queries(test, index.model, embed_settings)
    choice = index.choice
    k = max([choice.k] + [s.get("k", 1) for s in selection.get("per_router", {}).values()])
    near, off_near = index.neighbours(held.vectors, k), index.neighbours(off_vectors, k)
    scores = index.scores(held.vectors, texts=held.texts, neighbours=near)
    result = accuracy(scores, held.labels, names)
    inside = index.in_domain(held.vectors, scores, near)
    outside = index.in_domain(off_vectors, index.scores(off_vectors, texts=test, neighbours=off_near), off_near)
    methods = {}
    for router, settings in selection.get("per_router", {}).items():
        trial = replace(Choice.from_dict(settings), threshold=None)
        r = accuracy(index.scores(held.vectors, texts=held.texts, neighbours=near, choice=trial), held.labels, names)
        methods[router] = {k: r[k] for k in ("top1_accuracy", "top3_accuracy", "balanced_accuracy")} | {
            "settings": settings
        }
    report = {
        "method": choice.router,
        "choice": selection["choice"],
        "chosen_on": selection["chosen_on"],
        "validation": selection["validation"],
        "held_out": "scored once here, after the choice; no choice reads these rows",
        **result,
        "methods": methods,
        "abstain": {
            "score": choice.abstain_score,
            "meaning": ABSTAIN_MEANING[choice.abstain_score],
            "target_false_abstain_rate": selection.get("target_false_abstain_rate"),
            **abstention(inside, outside, choice.threshold),
            "off_domain_set": "test half (the calibration half took part in choosing the abstain score)",
        },
        "validation_candidates": selection["candidates"],
        "graph_smoothing": selection["graph_smoothing"],
        "abstain_candidates_on_validation": selection["abstain_candidates"],
        "datasets": names,
        "k": choice.k,
    }
    report["abstain"]["in_domain_queries"] = int(len(inside))
    if len(names) > MATRIX_LIMIT:  # an N x N matrix is unreadable: the most confused pairs instead
        pairs = most_confused(report.pop("confusion"), names)
        report["most_confused"] = pairs
        write_json(out_json, report)
        bar_table(
            out_png,
            f"router ({choice.router}), {len(names)} datasets: the most confused pairs on held-out rows",
            [f"{p['true']} -> {p['chosen']}" for p in pairs],
            [p["queries"] for p in pairs],
            [f"{p['queries']} of {p['of']} queries" for p in pairs],
        )
    else:
        write_json(out_json, report)
        heatmap(
            out_png,
            np.array(result["confusion"], dtype=float),
            names,
            names,
            f"router ({choice.router}) on held-out rows: true (row) -> chosen (column)",
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
