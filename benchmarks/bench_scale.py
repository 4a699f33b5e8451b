"""How the workflow scales with the number of datasets, measured on the real workflow.

On N synthetic datasets of 50 rows (their own topic words plus shared ones):

1. `snakemake -n` to the graph and the router: wall time and peak memory, and how many jobs.
2. Convert, embed and profile every dataset (`snakemake` with the profiles as targets): wall
   time per dataset.
3. From finished profiles to the graph and the router (shards, one edge job per dataset, the
   graph job, route_index, route_eval): wall time of the real `snakemake` run.
4. Adding the (N+1)-th dataset at the end of config.yaml: the jobs a dry run lists, then the wall
   time of the run that makes them (convert, embed, profile, its edges, graph, router).

Every step is a real `snakemake --cores 2` process (start-up, DAG and jobs all counted).

Run: python benchmarks/bench_scale.py [--datasets 1000] [--rows 50] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _routing import route_latency  # noqa: E402

TARGETS = ["results/graph/graph.graphml", "results/routing/eval.json"]


def write_datasets(workdir: Path, count: int, rows: int, seed: int = 0) -> list[str]:
    """``count`` raw CSV files, each a dataset of ``rows`` short texts on its own topic."""
    rng = np.random.default_rng(seed)
    shared = [f"common{i}" for i in range(2000)]
    raw = workdir / "datasets/raw"
    raw.mkdir(parents=True, exist_ok=True)
    names = []
    for d in range(count):
        name = f"ds{d:04d}"
        topic = [f"t{d}w{i}" for i in range(40)]
        texts = {" ".join(list(rng.choice(topic, 4)) + list(rng.choice(shared, 3))) + f" #{r}" for r in range(rows)}
        pl.DataFrame({"text": sorted(texts)}).write_csv(raw / f"{name}.csv")
        names.append(name)
    return names


def write_config(workdir: Path, names: list[str]) -> None:
    config = {"datasets": {n: {"sources": [{"path": f"datasets/raw/{n}.csv"}]} for n in names}}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(workdir: Path, *args: str) -> tuple[float, float, str]:
    """(wall seconds, peak memory of the snakemake process in MB, output) of one real run."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS_KB %M", sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
        + ["--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    seconds = time.perf_counter() - start
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{out[-4000:]}")
    peak = re.findall(r"MAXRSS_KB (\d+)", out)
    return seconds, int(peak[-1]) / 1024 if peak else float("nan"), out


def planned(out: str) -> dict[str, int]:
    """Jobs per rule from a dry run's summary table."""
    table = {}
    for line in out.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if m and m.group(1) not in ("total", "MAXRSS_KB"):
            table[m.group(1)] = int(m.group(2))
    return table


def scale_latency(workdir: Path, queries: int = 200) -> dict:
    """p50/p95 of one query at a time through the runtime router (embedding included; a function
    timing in this process), and the wall time of `gom neighbours` (a whole CLI process)."""
    texts = pl.read_parquet(next((workdir / "datasets/processed").glob("*.parquet")))["text"].to_list()
    texts = (texts * (queries // max(len(texts), 1) + 1))[:queries]
    out = route_latency(workdir / "results/routing", texts)
    name = sorted(p.stem for p in (workdir / "results/profiles").glob("*.npz"))[0]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gom.cli", "neighbours", name], cwd=workdir, check=True, capture_output=True)
    out["neighbours_cli_s"] = time.perf_counter() - start
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--workdir", type=Path, help="keep the working directory here (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--latency-only", action="store_true", help="only time routing in an existing --workdir")
    args = parser.parse_args()
    if args.latency_only:
        print(json.dumps(scale_latency(args.workdir), indent=2))
        return
    n = args.datasets
    results = {"datasets": n, "rows_each": args.rows, "cores": 2}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        names = write_datasets(workdir, n + 1, args.rows)
        write_config(workdir, names[:n])

        seconds, peak, out = snakemake(workdir, "-n", *TARGETS)
        results["dry_run"] = {"seconds": seconds, "peak_mb": peak, "jobs": planned(out)}
        print(f"snakemake -n, {n} datasets, nothing built: {seconds:.1f} s, {peak:.0f} MB; jobs {planned(out)}")

        profiles = [f"results/profiles/{name}.npz" for name in names[:n]]
        seconds, peak, out = snakemake(workdir, *profiles)
        results["datasets_to_profiles"] = {"seconds": seconds, "per_dataset_seconds": seconds / n, "jobs": planned(out)}
        print(
            f"convert + embed + profile (real workflow): {seconds:.0f} s, {seconds / n:.2f} s per dataset; {planned(out)}"
        )

        seconds, peak, out = snakemake(workdir, "-n", *TARGETS)
        results["dry_run_from_profiles"] = {"seconds": seconds, "peak_mb": peak, "jobs": planned(out)}
        print(f"snakemake -n from profiles: {seconds:.1f} s, {peak:.0f} MB; jobs {planned(out)}")

        seconds, peak, out = snakemake(workdir, *TARGETS)
        results["profiles_to_graph_and_router"] = {"seconds": seconds, "peak_mb": peak}
        stamp = {p.name: p.stat().st_mtime_ns for p in (workdir / "results/edges").iterdir()}
        print(f"profiles -> graph and router (real workflow): {seconds:.0f} s")

        write_config(workdir, names)
        seconds, peak, out = snakemake(workdir, "-n", *TARGETS)
        results["add_one_dry_run"] = {"seconds": seconds, "jobs": planned(out)}
        print(f"adding dataset {n + 1}: dry run {seconds:.1f} s, jobs {planned(out)}")
        seconds, peak, out = snakemake(workdir, *TARGETS)
        results["add_one_run"] = {"seconds": seconds, "peak_mb": peak}
        touched = [k for k, v in stamp.items() if (workdir / "results/edges" / k).stat().st_mtime_ns != v]
        results["add_one_existing_edge_files_rewritten"] = len(touched)
        pairs = np.load(workdir / f"results/edges/{names[n]}.npz")["partners"].size
        results["add_one_new_pairs"] = int(pairs)
        print(
            f"adding dataset {n + 1}: {seconds:.0f} s; {pairs} new pairs; existing edge files rewritten: {len(touched)}"
        )
        results["routing"] = scale_latency(workdir)
        print(f"routing at {n + 1} datasets: {results['routing']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
