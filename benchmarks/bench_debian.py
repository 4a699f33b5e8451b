"""The workflow on real text nobody here wrote: Debian's package descriptions, one dataset per
section, run through the real workflow to the graph and the router.

Every Debian machine has the text after `apt-get update`: `apt-cache dumpavail` lists about
63,000 packages, each with a `Section:` and a `Description:` (a short line and a long text).
A dataset is one section (`contrib/` and `non-free/` prefixes dropped) with at least
`--min-rows` distinct descriptions; its `text` is the short description, a space and the long
one; at most `--max-rows` rows per section are kept, sampled with a fixed seed (`--seed`).

Prints the wall time of each stage (the real `snakemake` runs, process start-up included),
the routing numbers of `results/routing/eval.json` (what was chosen on validation rows, every
router's held-out accuracy at its validation-chosen settings, abstention on the held-out rows
and the off-domain test half) and the communities of the graph; copies the pictures to
`--pictures` when given. Then routing is switched to the fine-tuned embedder
(`routing.embedding: finetuned`), which re-runs only the fine-tuning, routing's own embeddings
and the router, and the same numbers are printed for it, with one-query latency for both.

Run: apt-get update && python benchmarks/bench_debian.py [--workdir DIR] [--pictures docs/]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import polars as pl
import yaml

REPO = Path(__file__).resolve().parents[1]


def descriptions(dump: str):
    """(section, short description, lines of the long one) of every package stanza of
    `apt-cache dumpavail` output."""
    for stanza in dump.split("\n\n"):
        section, short, long_lines, in_description = None, None, [], False
        for line in stanza.splitlines():
            if line.startswith("Section:"):
                section = line.split(":", 1)[1].strip().split("/")[-1]
                in_description = False
            elif line.startswith("Description:"):
                short, in_description = line.split(":", 1)[1].strip(), True
            elif in_description and line.startswith(" "):
                body = line.strip()
                long_lines.append("" if body == "." else body)
            else:
                in_description = False
        if section and short:
            yield section, short, long_lines


def packages(dump: str):
    """(section, text) of every package: the short description, a space and the long one."""
    for section, short, long_lines in descriptions(dump):
        yield section, " ".join([short, *[x for x in long_lines if x]])


def sections(dump: str, min_rows: int, max_rows: int, seed: int) -> dict[str, list[str]]:
    texts = defaultdict(set)
    for section, text in packages(dump):
        texts[section].add(text)
    rng = random.Random(seed)
    out = {}
    for section in sorted(texts):
        rows = sorted(texts[section])
        if len(rows) >= min_rows:
            out[section] = sorted(rng.sample(rows, max_rows)) if len(rows) > max_rows else rows
    return out


def snakemake(workdir: Path, *targets: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--cores", "2", *targets],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(targets)} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return time.perf_counter() - start


def routing_numbers(workdir: Path, label: str) -> dict:
    """Print and return the router's report and its one-query latency on held-out texts."""
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _routing import latency_table, report_summary, route_latency

    from gom.split import eval_mask

    report = json.loads((workdir / "results/routing/eval.json").read_text())
    print(report_summary(report, label))
    texts = []
    for parquet in sorted((workdir / "datasets/processed").glob("*.parquet")):
        rows = pl.read_parquet(parquet)["text"].to_list()
        texts += [t for t, h in zip(rows, eval_mask(rows, 0.1)) if h]
    latency = route_latency(workdir / "results/routing", random.Random(0).sample(texts, min(200, len(texts))))
    print(latency_table(latency))
    return {"eval": report, "latency": latency}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-rows", type=int, default=100)
    parser.add_argument("--max-rows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="keep the working directory here (default: a temporary one)")
    parser.add_argument("--pictures", type=Path, help="copy the graph and community pictures here")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--frozen-only", action="store_true", help="skip the fine-tuned routing embedder (7+ minutes)")
    parser.add_argument(
        "--report-only", action="store_true", help="only print the routing numbers and latency of --workdir as it is"
    )
    args = parser.parse_args()
    if args.report_only:
        routing_numbers(args.workdir, f"as built in {args.workdir}")
        return
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    data = sections(dump, args.min_rows, args.max_rows, args.seed)
    if not data:
        raise SystemExit("no section has enough descriptions: run `apt-get update` first")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        raw = workdir / "datasets/raw"
        raw.mkdir(parents=True, exist_ok=True)
        for section, rows in data.items():
            pl.DataFrame({"text": rows}).write_csv(raw / f"{section}.csv")
        config = {"datasets": {s: {"sources": [{"path": f"datasets/raw/{s}.csv"}]} for s in data}}
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        print(f"{len(data)} sections with >= {args.min_rows} distinct descriptions, <= {args.max_rows} rows each")
        profiles = [f"results/profiles/{s}.npz" for s in data]
        times = {
            "convert + embed + profile": snakemake(workdir, *profiles),
            "edges + graph": snakemake(workdir, "results/graph/graph.graphml"),
            "router index + evaluation": snakemake(workdir, "results/routing/eval.json"),
        }
        for stage, seconds in times.items():
            print(f"{stage}: {seconds:.0f} s (real workflow, {len(data)} datasets, 2 cores)")
        routing = {"frozen": routing_numbers(workdir, "frozen embedder (the graph's)")}
        found = json.loads((workdir / "results/graph/communities.json").read_text())
        members = pl.read_csv(workdir / "results/graph/communities.csv")
        print(
            f"communities ({found['metric']}): {found['communities']}, modularity {found['modularity']:.3f}, "
            f"centroid silhouette {found['silhouette']}"
        )
        for c in found["list"]:
            names = members.filter(pl.col("community") == c["community"])["dataset"].to_list()
            print(f"  {c['community']}: {', '.join(names)}")
        if args.pictures:
            args.pictures.mkdir(parents=True, exist_ok=True)
            for name in ("communities.png", f"graph_{found['metric']}.png"):
                shutil.copy(workdir / "results/graph" / name, args.pictures / f"debian_{name}")
        if not args.frozen_only:
            config["routing"] = {"embedding": "finetuned"}
            (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
            times["fine-tune the routing embedder + its embeddings + router"] = snakemake(
                workdir, "results/routing/eval.json"
            )
            print(f"switching routing to the fine-tuned embedder: {times[list(times)[-1]]:.0f} s (real workflow)")
            fine = workdir / "logs/benchmarks/finetune_embedder.tsv"
            if fine.exists():
                print(f"  of which fine-tuning: {float(fine.read_text().splitlines()[1].split()[0]):.0f} s")
            routing["finetuned"] = routing_numbers(workdir, "fine-tuned routing embedder")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"datasets": len(data), "seconds": times, "routing": routing, "communities": found}, indent=2
                )
            )


if __name__ == "__main__":
    main()
