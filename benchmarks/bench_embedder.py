"""Embedder fine-tuning on the sample datasets: held-out routing top-1, frozen vs fine-tuned, per loss.

Converts the sample datasets with the real workflow (in a temporary directory), then for each
(loss, lr, epochs) fine-tunes the bundled all-MiniLM-L6-v2 on the training rows, grouped by
dataset, and scores both routers with the frozen and the fine-tuned model on the same held-out
rows (the ones routing is evaluated on).

Run: python benchmarks/bench_embedder.py [--threads 2] [--json out.json]
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNS = [  # overrides of embedding.finetune; the first is its default
    {"loss": "mnrl"},
    {"loss": "mnrl", "lr": 5e-5},
    {"loss": "mnrl", "epochs": 3},
    {"loss": "batch_all_triplet"},
    {"loss": "batch_hard_soft_margin_triplet"},
    {"loss": "contrastive"},
    # pairs: a recipe's title -> its ingredient list (held-out recipes give MRR@10 / NDCG@10)
    {"data": "pairs", "pairs": {"dataset": "recipes", "anchor": "title", "positive": "text"}},
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--runs", type=int, nargs="*", help="indices into RUNS (default: all)")
    args = parser.parse_args()

    import yaml

    from gom.config import DEFAULT_LOSS
    from gom.embedding.evaluate import evaluate_embedder
    from gom.embedding.finetune import finetune_embedder
    from gom.schema import load_schema

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    names = list(config["datasets"])
    defaults = {k: v["default"] for k, v in load_schema()["$defs"]["finetune"]["properties"].items() if "default" in v}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(REPO / "datasets" / "raw", tmp / "datasets" / "raw")
        shutil.copy(REPO / "config.yaml", tmp / "config.yaml")
        parquets = [f"datasets/processed/{n}.parquet" for n in names]
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
                *parquets,
            ],
            capture_output=True,
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        datasets = {
            n: {"parquet": str(tmp / p), "split": {"fraction": 0.1, "seed": 0}} for n, p in zip(names, parquets)
        }
        for i in args.runs if args.runs is not None else range(len(RUNS)):
            settings = {**defaults, "device": "cpu", **RUNS[i]}
            loss = settings["loss"] or DEFAULT_LOSS[settings["data"]]
            loss = loss if settings["data"] == "groups" else f"{settings['data']}: {loss}"
            lr, epochs = settings["lr"], settings["epochs"]
            out = tmp / f"model_{i}"
            start = time.perf_counter()
            manifest = finetune_embedder(datasets, settings, out, threads=args.threads)
            seconds = time.perf_counter() - start
            evaluate_embedder(
                datasets,
                settings,
                out,
                {"k": 10, "method": "auto"},
                f"{out}.json",
                f"{out}.csv",
                threads=args.threads,
            )
            result = json.loads(Path(f"{out}.json").read_text())
            rows.append(
                {
                    "data": settings["data"],
                    "loss": loss,
                    "lr": lr,
                    "epochs": epochs,
                    "examples": manifest["examples"],
                    "train_seconds": round(seconds, 1),
                    "held_out_queries": result["held_out_queries"],
                    "frozen": result["frozen"],
                    "finetuned": result["finetuned"],
                }
            )
            f, t = result["frozen"], result["finetuned"]
            print(
                f"{loss:32s} lr {lr:g} epochs {epochs}: centroid {f['routing_top1_centroid']:.3f} -> {t['routing_top1_centroid']:.3f}, "
                f"knn {f['routing_top1_knn']:.3f} -> {t['routing_top1_knn']:.3f}, routing_top1 "
                f"{f['routing_top1']:.3f} -> {t['routing_top1']:.3f} "
                f"({seconds:.0f} s training)",
                flush=True,
            )
            extra = [k for k in f if not k.startswith("routing")]
            if extra:
                print("    " + ", ".join(f"{k} {f[k]:.3f} -> {t[k]:.3f}" for k in extra), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
