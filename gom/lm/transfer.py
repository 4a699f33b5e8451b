"""Stage: do the graph's edges predict how miniModels transfer?

Each adapter is evaluated on the held-out rows of a set of datasets (``select_pairs``): its own,
its nearest by one edge metric, and a sample of the others picked by a hash of the pair; while
the datasets are few, every pair. Its base model is evaluated on the same datasets. The loss
improvement of adapter i on dataset j over the base, for i != j, is then rank-correlated
(Spearman) with each edge metric of (i, j).

Losses are kept in a cache keyed by the checksums of what they depend on (the adapter's weights,
the base, the dataset's parquet, templates and split), so the job that follows an added dataset
evaluates only the pairs that involve it: O(N * (neighbours + sample)) evaluations in all. Each
adapter's loss on its own dataset, and its base's, are the ones its training job measured
(``gom.lm.held_out``) where they were measured on the same rows and settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from gom.device import pick_device
from gom.drawing import bar_table, heatmap
from gom.errors import GomError
from gom.io import atomic_path, reference_from_file, sha256_file, verified_checksum, write_json
from gom.lm.generate import read_info, require_safetensors
from gom.lm.held_out import held_out_key, mean_loss, recorded
from gom.lm.loss_cache import SELECTION, base_key, plausible, read_cache, selection_of, vocabulary_size
from gom.lm.source_ranking import edge_validity
from gom.matrices import MATRIX_LIMIT, read_matrix

log = logging.getLogger("gom.lm.transfer")

Pair = tuple[int, int]


def select_pairs(names: list[str], similarity: np.ndarray, neighbours: int, sample: int, seed: int) -> dict[Pair, str]:
    """{(adapter i, dataset j): why}, in order: 'own' (i == j), 'neighbour' (j among i's
    ``neighbours`` most similar, ties to the earlier dataset) or 'sample' (j among the ``sample``
    others with the smallest hash of (seed, names)); 'all' when those cover every pair.

    A dataset appended to ``names`` changes no similarity or hash of an existing pair, so the
    pairs it adds to the selection all involve it."""
    n = len(names)
    if neighbours + sample >= n - 1:
        return {(i, j): "own" if i == j else "all" for i in range(n) for j in range(n)}
    chosen: dict[Pair, str] = {}
    for i, name in enumerate(names):
        others = np.array([j for j in range(n) if j != i])
        hashes = [_pair_hash(seed, name, names[j]) for j in others]
        for j in others[np.argsort(hashes, kind="stable")[:sample]]:
            chosen[(i, int(j))] = "sample"
        row = np.nan_to_num(similarity[i, others].astype(float), nan=-np.inf)
        for j in others[np.argsort(-row, kind="stable")[:neighbours]]:
            chosen[(i, int(j))] = "neighbour"
        chosen[(i, i)] = "own"
    return dict(sorted(chosen.items()))


def _pair_hash(seed: int, a: str, b: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}\0{a}\0{b}".encode(), digest_size=8).digest(), "big")


def cross_losses(
    datasets: Mapping[str, Mapping], pairs: Mapping[Pair, str], cache_path: str | Path
) -> tuple[dict[Pair, float], dict[Pair, float], dict]:
    """(loss of adapter i on dataset j, loss of adapter i's base on dataset j, counts), for the
    ``pairs``; what ``cache_path`` holds is taken from it, the rest evaluated and added to it.

    ``datasets``: one record per dataset with its ``parquet``, ``model_dir`` (its miniModel),
    ``templates``, ``lora`` settings and ``split``."""
    names = list(datasets)
    settings = {name: datasets[name]["lora"] for name in names}
    base_of = [adapter_base(datasets[name]["model_dir"], settings[name]["base_model"]) for name in names]
    base_keys = {base: base_key(base, settings[names[base_of.index(base)]]["revision"]) for base in set(base_of)}
    adapter_keys = [sha256_file(Path(datasets[name]["model_dir"]) / "adapter_model.safetensors") for name in names]
    data_keys = [
        [
            verified_checksum(datasets[name]["parquet"]),
            datasets[name]["templates"],
            datasets[name]["split"],
        ]
        for name in names
    ]

    device = pick_device("auto", "cross-evaluation")

    def key(adapter: str | None, i: int, j: int) -> str:
        """What the loss of adapter i (its base when ``adapter`` is None) on dataset j depends on:
        dataset j's rows are cut at its own lora.max_length, and CUDA evaluates in bf16."""
        parts = [adapter, base_keys[base_of[i]], data_keys[j], settings[names[j]]["max_length"], device]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    keys = {(i, j): (key(adapter_keys[i], i, j), key(None, i, j)) for i, j in pairs}  # adapter's, base's
    wanted = {}  # cache key -> (adapter index or None for the base, i, j)
    for (i, j), (adapter_key, base_of_pair) in keys.items():
        wanted[adapter_key] = (i, i, j)
        wanted[base_of_pair] = (None, i, j)
    vocab = {i: vocabulary_size(base_of[i]) for i in range(len(names))}
    # Each adapter's loss on its own dataset and its base's: what its training job measured.
    trained = {}
    for j, name in enumerate(names):
        values = recorded(
            datasets[name]["model_dir"],
            held_out_key(base_keys[base_of[j]], *data_keys[j], settings[name]["max_length"], device),
        )
        for k, which in ((key(adapter_keys[j], j, j), 1), (key(None, j, j), 2)):
            value = mean_loss(values, which) if values and k in wanted else None
            if value is not None:
                trained[k] = value
    kept, last = read_cache(cache_path)
    usable = plausible({**kept, **trained}, wanted, {a: b for a, b in keys.values()}, vocab)
    trained = {k: v for k, v in trained.items() if k in usable}
    cache = {k: v for k, v in {**kept, **trained}.items() if k not in wanted or k in usable}
    todo = {k: v for k, v in wanted.items() if k not in cache}
    if not todo and last == selection_of(wanted):  # the last run's losses, all cached: a forced run
        log.info("nothing new to evaluate: every pair is evaluated again rather than read back")
        todo = {k: v for k, v in wanted.items() if k not in trained}
    cache[SELECTION] = selection_of(wanted)
    if todo:
        _evaluate(datasets, names, settings, base_of, todo, cache, cache_path, device)
    else:
        write_json(cache_path, cache)
    losses = {p: cache[adapter_key] for p, (adapter_key, _) in keys.items()}
    base_losses = {p: cache[b] for p, (_, b) in keys.items()}
    counts = {
        "evaluated": len(todo),
        "from_cache": len(wanted) - len(todo) - len(trained),
        "from_training": len(trained),
    }
    return losses, base_losses, counts


def _evaluate(datasets, names, settings, base_of, todo, cache, cache_path, device) -> None:
    """Evaluate the ``todo`` losses (cache key -> (adapter or None, i, j)) into ``cache``, one
    base at a time; the cache is saved every 30 s and at the end."""
    rows = _HeldOut(datasets)
    for base in dict.fromkeys(base_of[i] for _, i, _ in todo.values()):
        jobs = {k: v for k, v in todo.items() if base_of[v[1]] == base}
        _evaluate_on(base, jobs, names, datasets, settings, rows, device, cache, cache_path)
    write_json(cache_path, cache)


def _evaluate_on(base, jobs, names, datasets, settings, rows, device, cache, cache_path) -> None:
    """The ``jobs`` of one base: the base's own losses, then each adapter's, one adapter in memory at a time."""

    from gom.lm.loading import attach_adapter, load_base
    from gom.lm.losses import evaluate

    first = names[next(i for _, i, _ in jobs.values())]
    # trust_remote_code comes from the config only, never from a miniModel's gom.json.
    model, tokenizer = load_base(base, settings[first]["revision"], settings[first]["trust_remote_code"], device)
    plain, tokenized = model, {}

    def loss(i: int, j: int) -> float:
        if j not in tokenized:  # dataset j's rows, cut at its own lora.max_length as in training
            tokenized[j] = rows.tokenized(names[j], tokenizer, settings[names[j]]["max_length"])
        mbs = settings[names[i]]["micro_batch_size"]
        value = evaluate(model, tokenized[j], tokenizer.pad_token_id, mbs, device)
        if not np.isfinite(value):
            raise GomError(
                f"cross-evaluation: {'the base' if model is plain else f'adapter {names[i]!r}'} gave a non-finite loss "
                f"({value}) on dataset {names[j]!r}'s held-out rows; retrain it with a lower lora.lr"
            )
        return value

    for k, (adapter, i, j) in jobs.items():
        if adapter is None:
            cache[k] = loss(i, j)
    previous, saved = None, time.monotonic()
    for a in dict.fromkeys(adapter for adapter, _, _ in jobs.values() if adapter is not None):
        name, model_dir = names[a], datasets[names[a]]["model_dir"]
        model = attach_adapter(model, model_dir, adapter_name=name)
        model.set_adapter(name)
        if previous is not None:
            model.delete_adapter(previous)
        mine = {k: (i, j) for k, (adapter, i, j) in jobs.items() if adapter == a}
        cache.update({k: loss(i, j) for k, (i, j) in mine.items()})
        log.info("adapter %s: %s", name, ", ".join(f"{names[j]} {cache[k]:.3f}" for k, (_, j) in mine.items()))
        previous = name
        if time.monotonic() - saved > 30:  # an interrupted job keeps what it evaluated
            write_json(cache_path, cache)
            saved = time.monotonic()


class _HeldOut:
    """Each dataset's held-out (prompt, response) pairs, rendered once when first asked for."""

    def __init__(self, datasets: Mapping[str, Mapping]):
        self.datasets, self.rendered = datasets, {}

    def tokenized(self, name: str, tokenizer, max_length: int):
        from gom.lm.data import load_rows, render_pairs, tokenize

        if name not in self.rendered:
            d = self.datasets[name]
            table, mask = load_rows(name, d["parquet"], d["templates"], d["split"])
            self.rendered[name] = (render_pairs(name, table, d["templates"]), np.flatnonzero(mask).tolist())
        pairs, rows = self.rendered[name]
        return tokenize(name, pairs, rows, tokenizer, max_length, self.datasets[name]["templates"].get("system"))


def adapter_base(model_dir: str | Path, configured: str) -> str:
    """The base that ``model_dir``'s adapter was trained on; its safetensors weights must exist.

    gom.json names the base; a path outside the working directory is only followed when it is
    the one the config names (then the user chose it, not whoever wrote the directory).
    """
    require_safetensors(model_dir)
    value = read_info(model_dir)["base_model"]
    if value == configured:
        return value
    return reference_from_file(
        value,
        f"{Path(model_dir) / 'gom.json'} (base_model)",
        f"rebuild the miniModel from the config with `snakemake --cores all --force {model_dir}`",
    )


def transfer_report(
    datasets: Mapping[str, Mapping],
    matrix_files: dict[str, str | Path],
    selection: Mapping,
    cache: str | Path,
    out_csv,
    out_png,
    out_json,
) -> dict:
    """Write cross_loss.csv (one row per evaluated pair), its picture and edge_validity.json
    (``datasets`` as ``cross_losses`` takes them; ``selection`` is the config's cross_loss)."""
    names = list(datasets)
    matrices = {m: read_matrix(p, names)[1] for m, p in matrix_files.items()}
    pairs = select_pairs(
        names, matrices[selection["metric"]], selection["neighbours"], selection["sample"], selection["seed"]
    )
    losses, base_losses, counts = cross_losses(datasets, pairs, cache)
    table = pl.DataFrame(
        {
            "adapter": [names[i] for i, _ in pairs],
            "dataset": [names[j] for _, j in pairs],
            "chosen": list(pairs.values()),
            "loss": [losses[p] for p in pairs],
            "base_loss": [base_losses[p] for p in pairs],
            "improvement": [base_losses[p] - losses[p] for p in pairs],
        }
    )
    with atomic_path(out_csv) as tmp:
        table.write_csv(tmp, float_precision=5)
    _draw(out_png, names, losses, base_losses)
    validity = edge_validity(names, losses, base_losses, matrices)
    validity["selection"] = dict(selection)
    write_json(out_json, validity)
    return {**counts, "pairs": len(pairs)}


def _draw(path, names: list[str], losses: Mapping[Pair, float], base_losses: Mapping[Pair, float]) -> None:
    """A heatmap of adapters (and the base) by dataset; past MATRIX_LIMIT datasets, the pairs
    with the largest gain over the base instead."""
    n = len(names)
    if n > MATRIX_LIMIT:
        gains = sorted(((base_losses[p] - v, p) for p, v in losses.items() if p[0] != p[1]), reverse=True)[:25]
        bar_table(
            path,
            f"largest held-out loss gains over the base, adapter -> dataset ({len(losses)} pairs evaluated)",
            [f"{names[i]} -> {names[j]}" for _, (i, j) in gains],
            [max(g, 0.0) for g, _ in gains],
            [f"{g:+.3f} (loss {losses[p]:.3f})" for g, p in gains],
        )
        return
    grid = np.full((n + 1, n), np.nan)
    for (i, j), v in losses.items():
        grid[i, j] = v
    for j in range(n):  # the base of the dataset's own adapter
        grid[n, j] = base_losses[(j, j)]
    heatmap(
        path, grid, [f"adapter {m}" for m in names] + ["base"], names, "held-out loss: model (row) on dataset (column)"
    )
