"""Routing latency on CPU: one query at a time (embedding included) and 1,000 queries batched.

Builds the router on the sample datasets with the real workflow (in a temporary directory),
loads it once, then times queries taken from the datasets' held-out rows.

Run: python benchmarks/bench_route.py [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--single", type=int, default=300, help="single queries timed")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import polars as pl
    import torch

    torch.set_num_threads(args.threads)
    from gom.routing.router import Router

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
        results = {"threads": args.threads}
        for method in ("centroid", "knn"):
            router = Router(tmp / "results/routing", device="cpu")
            router.index.method = method
            router.route(queries[:20])  # warm-up
            latencies = []
            for q in queries[: args.single]:
                start = time.perf_counter()
                router.route([q])
                latencies.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            router.route(queries)
            batched = time.perf_counter() - start
            results[method] = {
                "p50_ms": float(np.percentile(latencies, 50)),
                "p95_ms": float(np.percentile(latencies, 95)),
                "batched_1000_s": batched,
                "batched_queries_per_s": 1000 / batched,
            }
        results["chosen"] = json.loads((tmp / "results/routing/eval.json").read_text())["method"]
    print(
        f"\n## routing latency on CPU ({args.threads} threads), embedding included; chosen router: {results['chosen']}"
    )
    print(f"{'router':<10} {'p50 ms':>8} {'p95 ms':>8} {'1000 batched s':>15} {'queries/s':>10}")
    for method in ("centroid", "knn"):
        r = results[method]
        print(
            f"{method:<10} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['batched_1000_s']:>15.2f} {r['batched_queries_per_s']:>10.0f}"
        )
    print("goal: p50 at most 20 ms on 2 cores")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
