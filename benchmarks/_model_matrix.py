"""Every miniModel on every held-out row of a finished workflow: the per-row numbers that the
transfer, routing and GNN measurements of bench_transfer.py are computed from.

Run inside the workflow's working directory after `snakemake` has built the miniModels, the
router index and the edge matrices. Loss = mean cross-entropy per response token of a row (the
measure of results/routing/quality.json), computed with the workflow's own loss code
(gom.routing.quality), so a row's loss here is the loss the workflow would report for it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import yaml

from gom import paths
from gom.config import prepare
from gom.lm.data import Example
from gom.lm.losses import example_losses
from gom.matrices import read_matrix
from gom.routing.compose import UNSURE
from gom.routing.data import HELD_OUT, routing_rows
from gom.routing.index import route_probabilities
from gom.routing.index_file import load_index
from gom.routing.quality import _Losses


def workflow_datasets(workdir: Path) -> dict[str, dict]:
    """The config's resolved dataset records joined with the files the stages read."""
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    records = prepare(config, [workdir / "config.yaml"], base_dir=workdir)
    return config, {
        name: {
            **record,
            "parquet": paths.PROCESSED.format(name=name),
            "embeddings": paths.EMBEDDINGS.format(name=name),
            "model_dir": paths.MINIMODEL.format(name=name),
        }
        for name, record in records.items()
    }


def model_matrix(workdir: Path) -> dict[str, np.ndarray]:
    """Arrays (the working directory must be ``workdir``): ``names``; per held-out row its
    ``labels`` (dataset), ``numbers`` (row), router ``probabilities``; ``loss`` (rows x adapters),
    ``base_loss`` (rows), ``query_loss`` (rows x adapters: each adapter's loss on the query text
    itself, what a re-ranker can see), ``composed_loss`` (rows; the top two adapters merged as
    the routing-quality stage merges them, NaN where the router is sure) and one edge matrix per
    metric (``matrix_<metric>``)."""
    config, datasets = workflow_datasets(workdir)
    names = list(datasets)
    held = routing_rows(datasets, (HELD_OUT,))
    index = load_index(paths.ROUTER_INDEX)
    scores = index.scores(held.vectors, texts=held.texts)
    p = route_probabilities(index.choice, scores)
    losses = _Losses(datasets, "cpu")
    n, rows = len(names), len(held.labels)
    start = time.perf_counter()
    loss = np.column_stack([losses.adapter_losses(np.full(rows, a), held.labels, held.numbers) for a in range(n)])
    base = losses.base_losses(held.labels, held.numbers)
    print(f"  {rows} rows x {n + 1} models: {time.perf_counter() - start:.0f} s", flush=True)
    query = np.column_stack([_query_losses(losses, a, held.texts) for a in range(n)])
    unsure = np.flatnonzero(p.max(axis=1) < UNSURE)
    composed = np.full(rows, np.nan)
    start = time.perf_counter()
    composed[unsure] = losses.composed_losses(p[unsure], held.labels[unsure], held.numbers[unsure])
    print(f"  {len(unsure)} unsure rows composed: {time.perf_counter() - start:.0f} s", flush=True)
    out = {
        "names": np.array(names),
        "labels": held.labels,
        "numbers": held.numbers,
        "probabilities": p,
        "router": np.array(index.choice.router),
        "loss": loss,
        "base_loss": base,
        "query_loss": query,
        "composed_loss": composed,
    }
    for metric in config["metrics"]["enabled"]:
        out[f"matrix_{metric}"] = read_matrix(paths.MATRIX.format(metric=metric), names)[1]
    return out


def _query_losses(losses: _Losses, adapter: int, texts: list[str]) -> np.ndarray:
    """Adapter ``adapter``'s mean cross-entropy per token of each query text (every token but the
    first predicted): how well the miniModel knows the question, before any answer exists."""
    model, tokenizer = losses._model(losses.base_of[adapter], (adapter,), (1.0,))
    examples = []
    for k, text in enumerate(texts):
        ids = tokenizer.encode(text, add_special_tokens=False)[:128] or [tokenizer.pad_token_id]
        examples.append(Example(ids, ids if len(ids) > 1 else [-100], k))
    return example_losses(model, examples, tokenizer.pad_token_id, 16, "cpu")
