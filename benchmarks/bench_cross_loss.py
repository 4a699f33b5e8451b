"""Cross-evaluation at growing N, measured on the real workflow: how many adapter/dataset pairs
rule cross_loss evaluates for N datasets, and for the (N+1)-th appended to config.yaml, against
the N^2 of evaluating every adapter on every dataset.

N synthetic datasets of 40 rows (benchmarks/bench_scale.py's), the tiny base, one epoch per
miniModel. Steps, each a real `snakemake --cores 2` run:

1. everything up to results/training/cross_loss.csv for N datasets (training included; the
   cross_loss job's own time is read from its benchmark file);
2. the (N+1)-th dataset appended: the jobs a dry run lists, and the cross_loss job's time and
   counts (pairs evaluated now / taken from results/training/cross_loss_cache.json).

Run: python benchmarks/bench_cross_loss.py [--datasets 60] [--neighbours 10] [--sample 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import planned, snakemake, write_datasets  # noqa: E402

TARGET = "results/training/cross_loss.csv"


def write_config(workdir: Path, names: list[str], neighbours: int, sample: int) -> None:
    config = {
        "datasets": {n: {"sources": [{"path": f"datasets/raw/{n}.csv"}]} for n in names},
        "lora": {
            "base_model": "tiny",
            "lr": 0.005,
            "epochs": 1,
            "max_length": 64,
        },  # named: the default is the real base
        "cross_loss": {"neighbours": neighbours, "sample": sample},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def cross_loss_run(workdir: Path) -> dict:
    """The cross_loss job's counts (its log) and wall time (its benchmark file)."""
    log = (workdir / "logs/cross_loss.log").read_text()
    counts = ast.literal_eval(re.findall(r"transfer_report done: (\{.*\})", log)[-1])
    seconds = float((workdir / "logs/benchmarks/cross_loss.tsv").read_text().splitlines()[1].split("\t")[0])
    return {**counts, "job_seconds": seconds}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=60)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--neighbours", type=int, default=10)
    parser.add_argument("--sample", type=int, default=10)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    n, results = args.datasets, {"datasets": args.datasets, "neighbours": args.neighbours, "sample": args.sample}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        names = write_datasets(workdir, n + 1, args.rows)
        for label, count in (("first", n), ("add_one", n + 1)):
            write_config(workdir, names[:count], args.neighbours, args.sample)
            _, _, out = snakemake(workdir, "-n", TARGET)
            jobs = planned(out)
            seconds, _, _ = snakemake(workdir, TARGET)
            run = cross_loss_run(workdir)
            results[label] = {"workflow_seconds": seconds, "jobs": jobs, **run, "all_pairs_would_be": count * count}
            print(
                f"{count} datasets: workflow {seconds:.0f} s; cross_loss job {run['job_seconds']:.1f} s, "
                f"{run['pairs']} pairs ({count * count} if every pair), evaluated {run['evaluated']} "
                f"(base losses included), from cache {run['from_cache']}, from training {run['from_training']}; jobs {jobs}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
