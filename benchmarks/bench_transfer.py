"""Does the graph predict transfer between real miniModels? Debian sections, every pair cross-evaluated.

One dataset per Debian section (`apt-cache dumpavail`, the same parsing and sampling as
bench_debian.py): a row's `text` is the package's short description, its `long` column the long
one, and the miniModel learns to write the long description from the short one on the real base
(smollm2). The workflow runs as users run it (`snakemake`), to `results/training/edge_validity.json`
and `results/routing/quality.json`, with `cross_loss.neighbours` covering every other dataset, so
every ordered pair is evaluated. Then `lora.seed` is changed and the adapters are retrained and
re-evaluated (the cross-evaluation cache is keyed by the adapters' checksums), since training seeds
move transfer (Lin et al. 2024).

Printed per seed and averaged: the pooled Spearman of each metric with the gain, and the
per-dataset source choice (Regret@1, Regret@3, NDCG@3) of each metric against a random pick and
the generic best adapter (gom.lm.source_ranking).

Run: apt-get update && python benchmarks/bench_transfer.py --sections 24 --max-rows 200 --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_debian import descriptions, snakemake  # noqa: E402

TARGETS = ["results/training/edge_validity.json", "results/routing/quality.json"]


def section_rows(dump: str, sections: int, max_rows: int, min_rows: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    """The ``sections`` largest sections (at least ``min_rows`` packages with a long description),
    each as up to ``max_rows`` (short, long) descriptions sampled with ``seed``."""
    import random

    found: dict[str, set] = {}
    for stanza_section, pair in _pairs(dump):
        found.setdefault(stanza_section, set()).add(pair)
    big = sorted((s for s in found if len(found[s]) >= min_rows), key=lambda s: (-len(found[s]), s))[:sections]
    rng = random.Random(seed)
    return {s: sorted(rng.sample(sorted(found[s]), min(max_rows, len(found[s])))) for s in sorted(big)}


def _pairs(dump: str):
    """(section, (short description, long description)) of every package with both."""
    for section, short, long_lines in descriptions(dump):
        if any(long_lines):
            yield section, (short, " ".join(x for x in long_lines if x)[:600])


def summary(validity: dict) -> dict:
    choice = validity.get("source_choice", {})
    return {
        "pairs": validity["pairs"],
        "pairs_possible": validity["pairs_possible"],
        "spearman": {m: v.get("spearman") for m, v in validity["metrics"].items()},
        "targets": choice.get("targets"),
        "rankers": choice.get("rankers", {}),
    }


def table(results: dict[int, dict]) -> str:
    rankers = sorted(
        {r for s in results.values() for r in s["rankers"]}, key=lambda r: (r in ("random", "generic_best"), r)
    )
    lines = ["| ranker | Spearman | Regret@1 | Regret@3 | NDCG@3 |", "|---|---:|---:|---:|---:|"]
    for r in rankers:
        cells = []
        for key in ("spearman", "regret@1", "regret@3", "ndcg@3"):
            values = [
                (s["spearman"].get(r) if key == "spearman" else s["rankers"].get(r, {}).get(key))
                for s in results.values()
            ]
            values = [v for v in values if v is not None]
            if not values:
                cells.append("")
            elif key.startswith("regret"):
                cells.append(
                    " / ".join(f"{100 * v:.1f}%" for v in values)
                    + (f" (mean {100 * np.mean(values):.1f}%)" if len(values) > 1 else "")
                )
            else:
                cells.append(
                    " / ".join(f"{v:.3f}" for v in values)
                    + (f" (mean {np.mean(values):.3f})" if len(values) > 1 else "")
                )
        lines.append(f"| {r} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", type=int, default=24)
    parser.add_argument("--max-rows", type=int, default=200)
    parser.add_argument("--min-rows", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="lora.seed values, one full training each")
    parser.add_argument("--max-steps", type=int, default=None, help="lora.max_steps (default: the config's)")
    parser.add_argument("--workdir", type=Path, help="keep the working directory here")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    data = section_rows(dump, args.sections, args.max_rows, args.min_rows, 0)
    if len(data) < args.sections:
        raise SystemExit(f"only {len(data)} sections have {args.min_rows} described packages: run `apt-get update`")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        raw = workdir / "datasets/raw"
        raw.mkdir(parents=True, exist_ok=True)
        for section, rows in data.items():
            pl.DataFrame({"text": [r[0] for r in rows], "long": [r[1] for r in rows]}).write_parquet(
                raw / f"{section}.parquet"
            )
        lora = {"max_length": 256} | ({"max_steps": args.max_steps} if args.max_steps else {})
        config = {
            "datasets": {
                s: {
                    "sources": [{"path": f"datasets/raw/{s}.parquet"}],
                    "train": {"prompt": "Describe the Debian package: {text}", "response": "{long}"},
                }
                for s in data
            },
            "cross_loss": {"neighbours": len(data), "sample": 0},
            "answers": {"rows": 4, "max_new_tokens": 48},
        }
        results, seconds = {}, {}
        for seed in args.seeds:
            config["lora"] = {**lora, "seed": seed}
            (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
            start = time.perf_counter()
            snakemake(workdir, *TARGETS)
            seconds[seed] = time.perf_counter() - start
            validity = json.loads((workdir / "results/training/edge_validity.json").read_text())
            results[seed] = summary(validity)
            results[seed]["routing_quality"] = json.loads((workdir / "results/routing/quality.json").read_text())
            print(f"seed {seed}: {seconds[seed]:.0f} s (real workflow), {validity['pairs']} pairs", flush=True)
            print(json.dumps(results[seed]), flush=True)
        print(f"{len(data)} Debian sections, <= {args.max_rows} rows each, seeds {args.seeds}:")
        print(table(results))
        if args.json:
            args.json.write_text(json.dumps({"sections": list(data), "seconds": seconds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
