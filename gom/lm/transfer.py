"""Stage: do the graph's edges predict how miniModels transfer?

Every adapter is evaluated on every dataset's held-out rows (with that dataset's templates),
next to its base model. The loss improvement of adapter i on dataset j over the base, for
i != j, is then rank-correlated (Spearman) with each edge metric of (i, j).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from gom.drawing import heatmap
from gom.io import atomic_path, reference_from_file, write_json
from gom.lm.generate import read_info, require_safetensors
from gom.matrices import read_matrix

log = logging.getLogger("gom.lm.transfer")


def cross_losses(datasets: Mapping[str, Mapping]) -> tuple[np.ndarray, dict[str, list[float]], list[str]]:
    """losses[i, j] of adapter i on dataset j; each base model's losses on every dataset; adapter i's base.

    ``datasets``: one record per dataset with its ``parquet``, ``model_dir`` (its miniModel),
    ``templates``, ``lora`` settings and ``split``."""
    from peft import PeftModel

    from gom.device import pick_device
    from gom.lm.data import load_rows, render_pairs, tokenize
    from gom.lm.loading import load_base
    from gom.lm.trainer import evaluate

    device = pick_device("auto", "cross-evaluation")
    names = list(datasets)
    n = len(names)
    model_dirs = [datasets[name]["model_dir"] for name in names]
    settings = {name: datasets[name]["lora"] for name in names}
    losses, base_rows = np.full((n, n), np.nan), {}
    base_of = [adapter_base(d, settings[name]["base_model"]) for name, d in zip(names, model_dirs)]
    bases: dict[str, list[int]] = {}
    for i, base in enumerate(base_of):
        bases.setdefault(base, []).append(i)
    held_pairs = {}
    for name in names:
        table, held_out = load_rows(
            name, datasets[name]["parquet"], datasets[name]["templates"], datasets[name]["split"]
        )
        held_pairs[name] = (render_pairs(name, table, datasets[name]["templates"]), np.flatnonzero(held_out).tolist())
    for base, members in bases.items():
        first = names[members[0]]
        # trust_remote_code comes from the config only, never from a miniModel's gom.json.
        model, tokenizer = load_base(base, settings[first]["revision"], settings[first]["trust_remote_code"], device)
        held = {
            name: tokenize(name, pairs, rows, tokenizer, settings[name]["max_length"])
            for name, (pairs, rows) in held_pairs.items()
        }
        model = PeftModel.from_pretrained(model, model_dirs[members[0]], adapter_name=first)
        for i in members[1:]:
            model.load_adapter(model_dirs[i], adapter_name=names[i])
        mbs = settings[first]["micro_batch_size"]
        with model.disable_adapter():
            base_rows[base] = [evaluate(model, held[name], tokenizer.pad_token_id, mbs, device) for name in names]
        for i in members:
            model.set_adapter(names[i])
            for j, name in enumerate(names):
                losses[i, j] = evaluate(model, held[name], tokenizer.pad_token_id, mbs, device)
            log.info("adapter %s: %s", names[i], ", ".join(f"{d} {v:.3f}" for d, v in zip(names, losses[i])))
    return losses, base_rows, base_of


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


def edge_validity(
    names: list[str], losses: np.ndarray, base_losses: np.ndarray, matrices: dict[str, np.ndarray]
) -> dict:
    """Spearman correlation of each metric with the cross-dataset loss improvement over the base."""
    from scipy.stats import spearmanr

    off = ~np.eye(len(names), dtype=bool)
    improvement = (base_losses - losses)[off]
    result = {
        "pairs": int(off.sum()),
        "improvement_over_base": {
            f"{a}->{b}": float(base_losses[i, j] - losses[i, j])
            for i, a in enumerate(names)
            for j, b in enumerate(names)
            if i != j
        },
        "metrics": {},
        "note": "Spearman rank correlation over ordered pairs (adapter trained on a, evaluated on b's held-out rows); "
        "improvement = base eval loss - adapter eval loss. With few datasets the p-values are weak evidence.",
    }
    for metric, mat in matrices.items():
        x = mat[off]
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(improvement) == 0:
            result["metrics"][metric] = {
                "spearman": None,
                "p_value": None,
                "why": "fewer than 3 pairs or a constant series",
            }
            continue
        rho, p = spearmanr(x, improvement)
        result["metrics"][metric] = {"spearman": float(rho), "p_value": float(p)}
    return result


def transfer_report(
    datasets: Mapping[str, Mapping], matrix_files: dict[str, str | Path], out_csv, out_png, out_json
) -> dict:
    """Write cross_loss.csv, its heatmap and edge_validity.json (``datasets`` as ``cross_losses`` takes them)."""
    names = list(datasets)
    losses, base_rows, base_of = cross_losses(datasets)
    base_losses = np.array([base_rows[b] for b in base_of])  # row i: adapter i's base on each dataset
    rows = [*losses, *base_rows.values()]
    labels = [f"adapter {n}" for n in names] + (["base"] if len(base_rows) == 1 else [f"base {b}" for b in base_rows])
    table = pl.DataFrame({"model": labels, **{n: [float(r[j]) for r in rows] for j, n in enumerate(names)}})
    with atomic_path(out_csv) as tmp:
        table.write_csv(tmp, float_precision=5)
    heatmap(out_png, np.vstack(rows), labels, names, "held-out loss: model (row) on dataset (column)")
    validity = edge_validity(names, losses, base_losses, {m: read_matrix(p, names)[1] for m, p in matrix_files.items()})
    write_json(out_json, validity)
    return validity
