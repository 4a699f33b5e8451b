"""Stage: the frozen and the fine-tuned embedder on the same held-out rows (routing top-1 always;
retrieval or similarity metrics for the pair shapes).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from gom.config import check_settings
from gom.device import set_threads
from gom.embedding.finetune import MANIFEST, _st_modules
from gom.embedding.finetune_data import (
    Split,
    build_split,
    cap_training_rows,
    dataset_splits,
)
from gom.errors import GomError
from gom.io import atomic_path, read_json, write_json

log = logging.getLogger("gom.embedder")


def routing_scores(model, splits: dict, k: int, method: str, label: str | None = None, batch_size: int = 64) -> dict:
    """Held-out routing top-1 with ``model``: the centroid and knn routers of ``gom.routing.index``
    built from the training rows' embeddings, asked for the held-out rows' datasets (and labels,
    when grouping by one). ``routing_top1`` is the router ``method`` names (knn for 'auto', and
    for the routers that are not vector-only; no choice is made on these rows)."""
    from gom.embedding.encode import encode_unique
    from gom.routing.index import Index
    from gom.routing.metrics import accuracy

    names = list(splits)
    vectors = {
        n: encode_unique(model, df["text"].to_list(), batch_size=batch_size, progress=False)
        for n, (df, _) in splits.items()
    }
    out = {}
    index = Index.from_rows(names, [vectors[n][~splits[n][1]] for n in names], model="", k=k)
    held = [vectors[n][splits[n][1]] for n in names]
    queries, truth = np.concatenate(held), np.concatenate([np.full(len(rows), i) for i, rows in enumerate(held)])
    for m in ("centroid", "knn"):
        result = accuracy(index.scores(queries, m), truth, names)
        out[f"routing_top1_{m}"] = result["top1_accuracy"]
        out[f"routing_balanced_{m}"] = result["balanced_accuracy"]
    out["routing_top1"] = out["routing_top1_centroid" if method == "centroid" else "routing_top1_knn"]
    if label:
        labels = {
            n: np.array([None if v is None else str(v) for v in df[label].to_list()], dtype=object)
            for n, (df, _) in splits.items()
        }
        train_rows = {lab: [] for arr in labels.values() for lab in sorted(set(arr) - {None})}
        held_rows, held_labels = [], []
        for n, (_, held) in splits.items():
            for v, lab, h in zip(vectors[n], labels[n], held):
                if lab is None:
                    continue
                if h:
                    held_rows.append(v)
                    held_labels.append(lab)
                else:
                    train_rows[lab].append(v)
        present = {lab: i for i, lab in enumerate(sorted(lab for lab, rows in train_rows.items() if rows))}
        if held_rows and len(present) >= 2:
            by_label = Index.from_rows(list(present), [np.array(train_rows[lab]) for lab in present], model="", k=k)
            truth_l = np.array([present.get(lab, -1) for lab in held_labels])
            scores = by_label.scores(np.array(held_rows), "centroid")
            out["label_top1_centroid"] = float((scores.argmax(axis=1) == truth_l).mean())
    return out


def pair_scores(model, split: Split, shape: str, batch_size: int = 64) -> dict:
    """The library's evaluator for ``shape`` (pairs or scored_pairs), on the held-out pairs."""
    evaluation = _st_modules()[1]
    held = split.held
    if shape == "pairs":
        corpus_texts = list(dict.fromkeys(held["positive"]))
        queries = {f"q{i}": a for i, a in enumerate(held["anchor"])}
        corpus = {f"d{i}": t for i, t in enumerate(corpus_texts)}
        doc_id = {t: f"d{i}" for i, t in enumerate(corpus_texts)}
        relevant: dict[str, set] = {}
        for i, p in enumerate(held["positive"]):
            relevant.setdefault(f"q{i}", set()).add(doc_id[p])
        ev = evaluation.InformationRetrievalEvaluator(
            queries,
            corpus,
            relevant,
            name="held_out",
            batch_size=batch_size,
            show_progress_bar=False,
            mrr_at_k=[10],
            ndcg_at_k=[10],
            accuracy_at_k=[1],
            precision_recall_at_k=[10],
            map_at_k=[10],
        )
        scores = ev(model)
        return {"mrr@10": _metric(scores, "mrr@10"), "ndcg@10": _metric(scores, "ndcg@10")}
    ev = evaluation.EmbeddingSimilarityEvaluator(
        held["sentence1"],
        held["sentence2"],
        held["score"],
        name="held_out",
        batch_size=batch_size,
        show_progress_bar=False,
    )
    return {"spearman": _metric(ev(model), "spearman_cosine")}


def _metric(scores: dict, suffix: str) -> float:
    """One value of an evaluator's result dict, whose keys carry name and similarity prefixes."""
    matches = [v for k, v in scores.items() if k.endswith(suffix) and "cosine" in k]
    if not matches:
        raise GomError(f"the evaluator reported no '{suffix}' (keys: {', '.join(sorted(scores))})")
    return float(matches[0])


def evaluate_embedder(
    datasets: Mapping[str, Mapping],
    settings: dict,
    finetuned: str | Path,
    routing: dict,
    out_json: str | Path,
    out_csv: str | Path,
    threads: int | None = None,
) -> dict:
    """Score the frozen base and the fine-tuned model on the same held-out rows; write eval.json
    ({"frozen": ..., "finetuned": ...}, same keys) and a table for the report."""

    from gom.embedding.encode import load_model

    set_threads(threads)
    settings = check_settings(settings, list(datasets))
    # held-out pairs for the pair shapes' evaluators; groups are scored by routing alone
    split = build_split(settings, datasets) if settings["data"] != "groups" else None
    label = settings.get("label_column") if settings["data"] == "groups" else None
    # the index rows are capped like the training rows (evaluation at scale); held-out rows never are
    splits = cap_training_rows(
        dataset_splits(datasets, ("text", label) if label else ("text",)),
        settings.get("max_rows_per_dataset"),
        settings["seed"],
    )
    results = {}
    for which, path in (("frozen", settings["base"]), ("finetuned", str(finetuned))):
        model = load_model(path, settings["device"], settings["max_seq_length"])
        scores = routing_scores(model, splits, routing["k"], routing["method"], label)
        if split is not None:
            scores.update(pair_scores(model, split, settings["data"]))
        results[which] = scores
        log.info("%s: %s", which, scores)
    report = {
        **results,
        "data": settings["data"],
        "loss": settings["loss"],
        "held_out_queries": int(sum(int(held.sum()) for _, held in splits.values())),
        "training": read_json(Path(finetuned) / MANIFEST) if (Path(finetuned) / MANIFEST).exists() else None,
    }
    write_json(out_json, report)
    table = pl.DataFrame(
        {
            "metric": list(results["frozen"]),
            "frozen": [round(results["frozen"][m], 4) for m in results["frozen"]],
            "finetuned": [round(results["finetuned"][m], 4) for m in results["frozen"]],
        }
    ).with_columns((pl.col("finetuned") - pl.col("frozen")).round(4).alias("change"))
    with atomic_path(out_csv) as tmp:
        table.write_csv(tmp)
    return {
        "frozen_routing_top1": results["frozen"]["routing_top1"],
        "finetuned_routing_top1": results["finetuned"]["routing_top1"],
    }
