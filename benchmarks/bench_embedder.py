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

RUNS = [  # (loss, lr, epochs); the first is the default of embedding.finetune
    ("mnrl", 2e-5, 1),
    ("mnrl", 5e-5, 1),
    ("mnrl", 2e-5, 3),
    ("batch_all_triplet", 2e-5, 1),
    ("batch_hard_soft_margin_triplet", 2e-5, 1),
    ("contrastive", 2e-5, 1),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import yaml

    from gom.config import load_schema
    from gom.embedder import evaluate_embedder, finetune_embedder

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    names = list(config["datasets"])
    defaults = {k: v["default"] for k, v in load_schema()["$defs"]["finetune"]["properties"].items() if "default" in v}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(REPO / "datasets" / "raw", tmp / "datasets" / "raw")
        shutil.copy(REPO / "config.yaml", tmp / "config.yaml")
        parquets = [f"datasets/processed/{n}.parquet" for n in names]
        subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(tmp), "--cores", str(args.threads), *parquets], capture_output=True,
                       check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        parquets = [str(tmp / p) for p in parquets]
        for loss, lr, epochs in RUNS:
            settings = {**defaults, "loss": loss, "lr": lr, "epochs": epochs, "device": "cpu"}
            out = tmp / f"model_{loss}_{lr}_{epochs}"
            start = time.perf_counter()
            manifest = finetune_embedder(names, parquets, [0.1] * len(names), settings, out, threads=args.threads)
            seconds = time.perf_counter() - start
            evaluate_embedder(names, parquets, [0.1] * len(names), settings, out, {"k": 10, "method": "auto"}, f"{out}.json", f"{out}.csv", threads=args.threads)
            result = json.loads(Path(f"{out}.json").read_text())
            rows.append({"loss": loss, "lr": lr, "epochs": epochs, "examples": manifest["examples"], "train_seconds": round(seconds, 1),
                         "held_out_queries": result["held_out_queries"], "frozen": result["frozen"], "finetuned": result["finetuned"]})
            f, t = result["frozen"], result["finetuned"]
            print(f"{loss:32s} lr {lr:g} epochs {epochs}: centroid {f['routing_top1_centroid']:.3f} -> {t['routing_top1_centroid']:.3f}, "
                  f"knn {f['routing_top1_knn']:.3f} -> {t['routing_top1_knn']:.3f}, routing_top1 {f['routing_top1']:.3f} -> {t['routing_top1']:.3f} "
                  f"({seconds:.0f} s training)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
