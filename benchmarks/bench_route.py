"""Routing on the sample data: what validation chose, held-out accuracy and abstention, and
latency on CPU: one query at a time (embedding included) and 1,000 queries batched, per router.

Builds the router on the sample datasets with the real workflow (in a temporary directory),
loads it once, then times queries taken from the datasets' held-out rows.

Run: python benchmarks/bench_route.py [--threads 2] [--quality] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _routing import latency_table, report_summary, route_latency  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--single", type=int, default=300, help="single queries timed")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--quality", action="store_true", help="also train the miniModels and score routing against the oracle"
    )
    args = parser.parse_args()

    import polars as pl

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(REPO / "datasets/raw", tmp / "datasets/raw")
        shutil.copy(REPO / "config.yaml", tmp / "config.yaml")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "-s",
                str(REPO / "Snakefile"),
                "-d",
                str(tmp),
                "--cores",
                str(args.threads),
                "results/routing/eval.json",
                *(["results/routing/quality.json"] if args.quality else []),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        texts = [
            t
            for p in sorted((tmp / "datasets/processed").glob("*.parquet"))
            for t in pl.read_parquet(p)["text"].to_list()
        ]
        rng = np.random.default_rng(0)
        queries = [texts[i] for i in rng.integers(0, len(texts), size=1000)]
        report = json.loads((tmp / "results/routing/eval.json").read_text())
        print(report_summary(report, "sample data"))
        quality = None
        if args.quality:
            quality = json.loads((tmp / "results/routing/quality.json").read_text())
            print(
                f"routed loss {quality['routed_loss']:.3f}, oracle {quality['oracle_loss']:.3f}, base "
                f"{quality['base_loss']:.3f}: {quality['percent_of_oracle']:.1f}% of the oracle's gain; composition: "
                f"{quality['composition']['why']} ({quality['composition']['validation_rows_unsure']} unsure rows)"
            )
        results = {
            "eval": report,
            "quality": quality,
            "threads": args.threads,
            **route_latency(tmp / "results/routing", queries[: args.single], threads=args.threads),
        }
    print(
        f"\n## routing latency on CPU ({args.threads} threads), embedding included; chosen router: {results['chosen']}"
    )
    print(latency_table(results))
    print("goal: p50 at most 20 ms on 2 cores with the chosen router")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
