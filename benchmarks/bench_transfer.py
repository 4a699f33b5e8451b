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

Run: apt-get update -o Acquire::Languages=en && python benchmarks/bench_transfer.py --sections 24 --max-rows 200 --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gnn import gnn_table, gnn_verdict  # noqa: E402
from _model_matrix import model_matrix  # noqa: E402
from _route_models import routing, routing_table, transfer  # noqa: E402
from bench_debian import snakemake  # noqa: E402

ROUTER = "results/routing/index.npz"
METRICS = ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]


def section_rows(
    dump: str, sections: int, max_rows: int, min_rows: int, seed: int, long_chars: int
) -> dict[str, list[tuple[str, str]]]:
    """The ``sections`` largest sections (at least ``min_rows`` packages with a long description),
    each as up to ``max_rows`` (short, long) descriptions sampled with ``seed``."""
    import random

    found: dict[str, set] = {}
    for stanza_section, pair in _pairs(dump, long_chars):
        found.setdefault(stanza_section, set()).add(pair)
    big = sorted((s for s in found if len(found[s]) >= min_rows), key=lambda s: (-len(found[s]), s))[:sections]
    rng = random.Random(seed)
    return {s: sorted(rng.sample(sorted(found[s]), min(max_rows, len(found[s])))) for s in sorted(big)}


def _pairs(dump: str, long_chars: int):
    """(section, (short description, long description)) of every package with both; the long
    descriptions come from apt's Translation-en files, joined on Description-md5."""
    longs = translations()
    for stanza in dump.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        section, short, md5 = fields.get("Section"), fields.get("Description"), fields.get("Description-md5")
        if section and short and md5 in longs:
            long = longs[md5] if len(longs[md5]) <= long_chars else longs[md5][:long_chars].rsplit(" ", 1)[0]
            yield section.split("/")[-1], (short.strip(), long)


def translations() -> dict[str, str]:
    """{Description-md5: the long description as one line} of apt's Translation-en lists."""
    files = sorted(Path("/var/lib/apt/lists").glob("*_i18n_Translation-en*"))
    if not files:
        raise SystemExit("no long descriptions: run `apt-get update -o Acquire::Languages=en`")
    text = subprocess.run(
        ["/usr/lib/apt/apt-helper", "cat-file", *map(str, files)], capture_output=True, text=True, check=True
    ).stdout
    out = {}
    for stanza in text.split("\n\n"):
        md5, lines, body = None, [], False
        for line in stanza.splitlines():
            if line.startswith("Description-md5:"):
                md5 = line.split(":", 1)[1].strip()
            elif line.startswith("Description-en:"):
                body = True
            elif body and line.startswith(" "):
                if line.strip() != ".":
                    lines.append(line.strip())
        if md5 and lines:
            out[md5] = " ".join(lines)
    return out


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
    parser.add_argument("--max-rows", type=int, default=64)
    parser.add_argument("--min-rows", type=int, default=64)
    parser.add_argument("--long-chars", type=int, default=120, help="cut long descriptions to this many characters")
    parser.add_argument("--held-out", type=float, default=0.15, help="split.fraction")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="lora.seed values, one full training each")
    parser.add_argument("--epochs", type=int, default=2, help="lora.epochs")
    parser.add_argument("--max-steps", type=int, default=None, help="lora.max_steps (default: none)")
    parser.add_argument("--workdir", type=Path, help="keep the working directory here")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--analyse-only", action="store_true", help="reuse the model matrices kept in --workdir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = (args.workdir or Path(tmp)).resolve()
        config = write_inputs(workdir, args) if not args.analyse_only else None
        results, seconds = {}, {}
        for seed in args.seeds:
            kept = workdir / f"model_matrix_seed{seed}.npz"
            if not args.analyse_only:
                config["lora"]["seed"] = seed
                (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
                start = time.perf_counter()
                targets = [ROUTER, *(f"models/{s}" for s in config["datasets"])]
                snakemake(workdir, *targets, *(f"results/graph/matrix_{m}.csv" for m in METRICS))
                seconds[seed] = {"workflow": time.perf_counter() - start}
                start = time.perf_counter()
                os.chdir(workdir)
                np.savez(kept, **model_matrix(workdir))
                seconds[seed]["model_matrix"] = time.perf_counter() - start
                print(f"seed {seed}: {seconds[seed]}", flush=True)
            with np.load(kept, allow_pickle=False) as z:
                m = {k: z[k] for k in z.files}
            results[seed] = {"transfer": transfer(m), "routing": routing(m), "gnn": gnn_verdict(m, seed)}
            print(json.dumps(results[seed]), flush=True)
        names = [str(x) for x in m["names"]]
        print(f"{len(names)} Debian sections ({', '.join(names)}), seeds {args.seeds}:")
        print(
            table(
                {s: {**r["transfer"], "rankers": r["transfer"]["source_choice"]["rankers"]} for s, r in results.items()}
            )
        )
        print(routing_table({s: r["routing"] for s, r in results.items()}))
        print(gnn_table({s: r["gnn"] for s, r in results.items()}))
        if args.json:
            args.json.write_text(json.dumps({"sections": names, "seconds": seconds, "results": results}, indent=2))


def write_inputs(workdir: Path, args) -> dict:
    """One raw parquet per section and the config (returned) that trains on them."""
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    data = section_rows(dump, args.sections, args.max_rows, args.min_rows, 0, args.long_chars)
    if len(data) < args.sections:
        raise SystemExit(f"only {len(data)} sections have {args.min_rows} described packages: run `apt-get update`")
    raw = workdir / "datasets/raw"
    raw.mkdir(parents=True, exist_ok=True)
    for section, rows in data.items():
        pl.DataFrame({"text": [r[0] for r in rows], "long": [r[1] for r in rows]}).write_parquet(
            raw / f"{section}.parquet"
        )
    lora = {"max_length": 256}
    lora |= {"epochs": args.epochs}
    lora |= {"max_steps": args.max_steps} if args.max_steps else {}
    return {
        "datasets": {
            s: {
                "sources": [{"path": f"datasets/raw/{s}.parquet"}],
                "train": {
                    "prompt": "Describe the Debian package: {text}",
                    "response": "{long}",
                    "system": "You describe Debian packages.",
                },
            }
            for s in data
        },
        "split": {"fraction": args.held_out},
        "metrics": {"enabled": METRICS, "jaccard": {"column": "text", "separator": " "}},
        "lora": lora,
    }


if __name__ == "__main__":
    main()
