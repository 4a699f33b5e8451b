"""The LoRA defaults for the real base (smollm2), chosen on validation rows, never on held-out ones.

Each sample dataset's training rows (the held-out rows of the project's split removed first, so
they are never seen) are split again by hash into fit rows and validation rows
(``split.fraction`` = 0.15, salt 1). Every candidate learning rate and rank trains on the fit
rows for the same number of optimiser steps (MAX_STEPS of 8 examples, the sample config's
budget) and is scored on the validation rows: the mean validation loss over the datasets, and
train_lora's own wall time (a function timing). The default is the lowest mean validation loss.

    python benchmarks/bench_lora_defaults.py --workdir WORKDIR

WORKDIR is a working directory where the default workflow has run (it reads
datasets/processed/*.parquet and models/base/smollm2).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gom.config import load  # noqa: E402
from gom.io import record_checksum  # noqa: E402
from gom.lm.trainer import train_lora  # noqa: E402
from gom.split import split_mask  # noqa: E402

# (lr, r); alpha = 2r, one epoch capped at MAX_STEPS optimiser steps of 8 examples (the sample
# config's time budget), so every candidate costs the same time.
CANDIDATES = [(2e-4, 16), (1e-3, 16), (3e-3, 16)]
MAX_STEPS = 20
VALIDATION = {"fraction": 0.15, "seed": 1}


def fit_parquet(workdir: Path, name: str, split: dict, out: Path) -> Path:
    """The dataset's training rows only (its held-out rows dropped), with a recorded checksum."""
    table = pl.read_parquet(workdir / f"datasets/processed/{name}.parquet")
    held = split_mask(name, table["text"].to_list(), split)
    path = out / f"{name}.parquet"
    table.filter(pl.Series(~held)).write_parquet(path)
    record_checksum(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/lora_defaults.json")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    _, datasets = load(workdir / "config.yaml", base_dir=workdir)
    base = str(workdir / "models/base/smollm2")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        parquets = {name: fit_parquet(workdir, name, d["split"], tmp) for name, d in datasets.items()}
        for lr, r in CANDIDATES:
            row = {"lr": lr, "r": r, "max_steps": MAX_STEPS, "datasets": {}}
            for name, d in datasets.items():
                settings = {**d["lora"], "lr": lr, "epochs": 1, "max_steps": MAX_STEPS, "batch_size": 8}
                settings |= {"r": r, "alpha": 2 * r}
                metrics = train_lora(
                    name,
                    parquets[name],
                    tmp / f"model_{name}",
                    tmp / f"{name}.pt",
                    d["templates"],
                    settings,
                    base,
                    VALIDATION,
                    threads=2,
                )
                row["datasets"][name] = {
                    k: metrics[k] for k in ("eval_loss", "base_eval_loss", "wall_seconds", "steps", "eval_examples")
                }
            row["mean_validation_loss"] = float(np.mean([m["eval_loss"] for m in row["datasets"].values()]))
            row["train_seconds"] = float(sum(m["wall_seconds"] for m in row["datasets"].values()))
            results.append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print("\n| lr | r | " + " | ".join(datasets) + " | mean validation loss | training s (3 jobs) |")
    print("|---|---|" + "---|" * len(datasets) + "---|---|")
    for row in results:
        cells = " | ".join(f"{m['base_eval_loss']:.3f} → {m['eval_loss']:.3f}" for m in row["datasets"].values())
        print(
            f"| {row['lr']:g} | {row['r']} | {cells} | {row['mean_validation_loss']:.3f} | {row['train_seconds']:.0f} |"
        )


if __name__ == "__main__":
    main()
