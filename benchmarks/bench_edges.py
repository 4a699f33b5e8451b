"""Benchmarks of the similarity-graph stages; prints a table (and --json writes the numbers).

1. mean_cosine through mean vectors vs the prototype's sklearn cosine_similarity(A, B).mean(),
   side by side on random 384-d rows (value, time, peak memory) at 5k, 10k and 20k rows.
2. All pairs of 100 synthetic datasets of 10,000 rows: profile, edge and graph compute; the
   edges each dataset's job computes at once, side by side with one pair at a time.
3. `snakemake -n` of a 100-dataset config (100 edge jobs, one per dataset), and a no-op
   re-run of the sample workflow.

Run: python benchmarks/bench_edges.py [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from itertools import combinations
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gom.edge_jobs import save_edges  # noqa: E402
from gom.edges import METRICS, edges_to_set, pair_metrics  # noqa: E402
from gom.graph import build_similarity_graph  # noqa: E402
from gom.profile_sets import ProfileSet  # noqa: E402
from gom.profiles import Profile, build_profile, mean_unit_vector, save_profile  # noqa: E402


def measure(fn):
    """(result, seconds, peak traced bytes) of one call."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def bench_mean_cosine(sizes, dim=384):
    from sklearn.metrics.pairwise import cosine_similarity

    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        a = rng.normal(size=(n, dim)).astype(np.float32)
        b = (rng.normal(size=(n, dim)) + 0.05).astype(np.float32)
        naive, t_naive, m_naive = measure(lambda a=a, b=b: float(cosine_similarity(a, b).mean(dtype=np.float64)))
        ours, t_ours, m_ours = measure(lambda a=a, b=b: float(mean_unit_vector(a) @ mean_unit_vector(b)))
        rows.append(
            {
                "rows": n,
                "naive_s": t_naive,
                "ours_s": t_ours,
                "speedup": t_naive / t_ours,
                "naive_peak_mb": m_naive / 2**20,
                "ours_peak_mb": m_ours / 2**20,
                "abs_diff": abs(naive - ours),
            }
        )
    return rows


def synthetic_datasets(n_datasets, n_rows, seed=0):
    """Datasets with their own topic words, a shared vocabulary and clustered embeddings."""
    rng = np.random.default_rng(seed)
    shared = [f"w{i}" for i in range(3000)]
    for d in range(n_datasets):
        topic = [f"d{d}t{i}" for i in range(300)]
        words = np.array(shared + topic)
        p = np.r_[np.full(len(shared), 0.5 / len(shared)), np.full(len(topic), 0.5 / len(topic))]
        picks = rng.choice(words, size=(n_rows, 8), p=p)
        texts = [", ".join(row) for row in picks]
        centre = rng.normal(size=384)
        emb = (centre + 3 * rng.normal(size=(n_rows, 384))).astype(np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        yield f"ds{d:03d}", texts, emb


def bench_all_pairs(n_datasets, n_rows, workdir: Path):
    jaccard = {"separator": ",", "lowercase": True, "strip_punctuation": True}
    metrics = list(METRICS)
    profiles: dict[str, Profile] = {}
    t_profile = 0.0
    for name, texts, emb in synthetic_datasets(n_datasets, n_rows):
        start = time.perf_counter()
        profiles[name] = build_profile(texts, emb, texts, jaccard)
        save_profile(profiles[name], workdir / f"{name}.npz", name)
        t_profile += time.perf_counter() - start
    names = list(profiles)
    pairs = list(combinations(names, 2))
    # the pair-at-a-time reference, then what the edges rule does: each dataset against every
    # dataset before it at once (from profiles already in memory, so both time the maths alone)
    start = time.perf_counter()
    reference = {(a, b): pair_metrics(profiles[b], profiles[a], metrics) for a, b in pairs}
    t_pairwise = time.perf_counter() - start
    start = time.perf_counter()
    edge_files, worst = [], 0.0
    (workdir / "edges").mkdir()
    for i, name in enumerate(names):
        earlier = ProfileSet.from_profiles(names[:i], [profiles[n] for n in names[:i]], 384)
        values = edges_to_set(profiles[name], earlier, metrics)
        path = workdir / "edges" / f"{name}.npz"
        save_edges(path, [(name, n_rows, names[:i], earlier.n_rows, values)])
        edge_files.append(path)
    t_edges = time.perf_counter() - start
    for i, name in enumerate(names):
        values = np.load(edge_files[i])
        for j, other in enumerate(names[:i]):
            for m in metrics:
                worst = max(worst, abs(float(values[f"metric_{m}"][j]) - reference[(other, name)][m]))
    per_metric = {}
    a, b = pairs[0]
    for m in metrics:
        t0 = time.perf_counter()
        for _ in range(20):
            METRICS[m](profiles[a], profiles[b])
        per_metric[m] = (time.perf_counter() - t0) / 20
    out = workdir / "graph"
    out.mkdir()
    start = time.perf_counter()
    build_similarity_graph(
        names,
        edge_files,
        [workdir / f"{n}.npz" for n in names],
        metrics,
        {m: out / f"matrix_{m}.csv" for m in metrics},
        out / "graph.graphml",
        {m: (out / f"graph_{m}.png", out / f"graph_{m}.svg") for m in metrics},
        {"top_k": 3, "threshold": None, "layout": "fruchterman_reingold", "size": 1400, "seed": 42},
        {k: out / f"communities.{k}" for k in ("csv", "json", "png", "svg")},
    )
    t_graph = time.perf_counter() - start
    # The prototype's way for one pair of these sizes, to extrapolate to all pairs.
    from sklearn.metrics.pairwise import cosine_similarity

    emb = [e for _, _, e in synthetic_datasets(2, n_rows, seed=1)]
    _, t_naive_pair, _ = measure(lambda: cosine_similarity(emb[0], emb[1]).mean())
    return {
        "datasets": n_datasets,
        "rows_each": n_rows,
        "pairs": len(pairs),
        "profiles_s": t_profile,
        "edges_s": t_edges,
        "pairwise_edges_s": t_pairwise,
        "max_abs_diff_vs_pairwise": worst,
        "graph_s": t_graph,
        "edge_ms_per_pair": 1000 * t_edges / len(pairs),
        "metric_ms_per_pair": {m: 1000 * t for m, t in per_metric.items()},
        "naive_mean_cosine_one_pair_s": t_naive_pair,
        "naive_mean_cosine_all_pairs_s_extrapolated": t_naive_pair * len(pairs),
    }


def snakemake(workdir: Path, *args):
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if proc.returncode:
        raise SystemExit(f"snakemake {args} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start, proc.stdout + proc.stderr


def bench_dry_run(n_datasets, workdir: Path):
    import yaml

    raw = workdir / "raw"
    raw.mkdir(parents=True)
    datasets = {}
    for d in range(n_datasets):
        (raw / f"ds{d:03d}.csv").write_text("text\napple, lime\n")
        datasets[f"ds{d:03d}"] = {"sources": [{"path": f"raw/ds{d:03d}.csv"}]}
    (workdir / "config.yaml").write_text(yaml.safe_dump({"datasets": datasets}))
    seconds, out = snakemake(workdir, "-n", "--quiet", "rules")
    return {"datasets": n_datasets, "edge_jobs": n_datasets, "dry_run_s": seconds}


def bench_noop(workdir: Path):
    shutil.copytree(REPO / "datasets" / "raw", workdir / "datasets" / "raw")
    shutil.copy(REPO / "config.yaml", workdir / "config.yaml")
    full, _ = snakemake(workdir)
    noop, out = snakemake(workdir)
    assert "Nothing to be done" in out, out[-2000:]
    return {"full_run_s": full, "noop_rerun_s": noop}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    sizes = [1000, 2000] if args.quick else [5000, 10000, 20000]
    n_datasets, n_rows = (10, 1000) if args.quick else (100, 10000)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results["mean_cosine"] = bench_mean_cosine(sizes)
        print("\n## mean_cosine: mean vectors vs sklearn cosine_similarity(A, B).mean(), 384-d")
        print(
            f"{'rows each':>10} {'naive s':>9} {'ours s':>9} {'speed-up':>9} {'naive MB':>9} {'ours MB':>9} {'|diff|':>9}"
        )
        for r in results["mean_cosine"]:
            print(
                f"{r['rows']:>10} {r['naive_s']:>9.3f} {r['ours_s']:>9.4f} {r['speedup']:>8.0f}x "
                f"{r['naive_peak_mb']:>9.1f} {r['ours_peak_mb']:>9.1f} {r['abs_diff']:>9.1e}"
            )

        (tmp / "pairs").mkdir()
        r = results["all_pairs"] = bench_all_pairs(n_datasets, n_rows, tmp / "pairs")
        print(f"\n## all pairs of {r['datasets']} synthetic datasets x {r['rows_each']} rows ({r['pairs']} pairs)")
        print(f"profiles (once per dataset): {r['profiles_s']:.1f} s")
        print(
            f"edges, all 4 metrics:        {r['edges_s']:.1f} s ({r['edge_ms_per_pair']:.2f} ms per pair), "
            f"one pair at a time: {r['pairwise_edges_s']:.1f} s; largest difference {r['max_abs_diff_vs_pairwise']:.1e}"
        )
        print("  per metric, ms per pair:   " + ", ".join(f"{m} {v:.3f}" for m, v in r["metric_ms_per_pair"].items()))
        print(f"graph (matrices, GraphML, 4 PNG+SVG): {r['graph_s']:.1f} s")
        print(
            f"edge + graph stage total:    {r['edges_s'] + r['graph_s']:.1f} s "
            f"(prototype's mean cosine alone, extrapolated from one pair: {r['naive_mean_cosine_all_pairs_s_extrapolated']:.0f} s)"
        )

        r = results["dry_run"] = bench_dry_run(n_datasets, tmp / "dry")
        print(f"\n## snakemake -n, {r['datasets']} datasets ({r['edge_jobs']} edge jobs): {r['dry_run_s']:.1f} s")
        r = results["noop"] = bench_noop(tmp / "noop")
        print(f"## sample workflow: full run {r['full_run_s']:.1f} s, no-op re-run {r['noop_rerun_s']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
