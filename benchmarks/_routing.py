"""Shared by the routing benchmarks: one-query latency through the runtime router (embedding
included; a function timing in this process) for each router the index can run, and the
summary of a workflow's `results/routing/eval.json`."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from pathlib import Path

import numpy as np


def route_latency(results_dir: Path, texts: list[str], routers=None, threads: int = 2) -> dict:
    """{router: p50/p95 ms of one query, and 1,000 queries batched} over ``texts``; ``routers``
    defaults to every router the index holds the models for, and "chosen" names the index's own."""
    import torch

    from gom.routing.index import METHODS
    from gom.routing.router import Router

    torch.set_num_threads(threads)
    with contextlib.chdir(Path(results_dir).resolve().parents[1]):  # the index names models by workflow-relative paths
        router = Router(Path(results_dir).resolve(), device="cpu")
    chosen = router.index.choice
    runnable = [m for m in METHODS if m not in ("linear", "fusion") or router.index.linear is not None]
    runnable = [m for m in runnable if m not in ("lexical", "fusion") or router.index.lexical is not None]
    out = {"chosen": chosen.router, "graph_alpha": chosen.graph_alpha, "abstain_score": chosen.abstain_score}
    for method in routers or runnable:
        router.index.choice = replace(
            chosen, router=method, graph_alpha=chosen.graph_alpha if method == chosen.router else 0
        )
        router.route(texts[:10])  # warm-up
        times = []
        for text in texts:
            start = time.perf_counter()
            router.route([text])
            times.append(1000 * (time.perf_counter() - start))
        batch = (texts * (1000 // max(len(texts), 1) + 1))[:1000]
        start = time.perf_counter()
        router.route(batch)
        batched = time.perf_counter() - start
        out[method] = {
            "p50_ms": float(np.percentile(times, 50)),
            "p95_ms": float(np.percentile(times, 95)),
            "batched_queries_per_s": 1000 / batched,
        }
    router.index.choice = chosen
    return out


def latency_table(latency: dict) -> str:
    lines = [f"{'router':<10} {'p50 ms':>8} {'p95 ms':>8} {'batched q/s':>12}"]
    for method, r in latency.items():
        if isinstance(r, dict) and "p50_ms" in r:
            mark = "  <- chosen" if method == latency["chosen"] else ""
            lines.append(
                f"{method:<10} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['batched_queries_per_s']:>12.0f}{mark}"
            )
    return "\n".join(lines)


def report_summary(report: dict, label: str) -> str:
    """What was chosen on validation, every router on the held-out rows, and abstention."""
    choice, abstain = report["choice"], report["abstain"]
    lines = [
        f"\n## routing, {label}",
        f"chosen on validation rows: {choice} (validation top-1 {report['validation']['top1_accuracy']:.3f})",
        f"{'router':<10} {'top-1':>6} {'top-3':>6}   (held-out rows, each at its validation-chosen settings)",
    ]
    for method, r in report["methods"].items():
        mark = "  <- chosen" if method == report["method"] else ""
        lines.append(f"{method:<10} {r['top1_accuracy']:>6.3f} {r['top3_accuracy']:>6.3f}{mark}")
    lines += [
        f"chosen router on {report['n_queries']} held-out rows: top-1 {report['top1_accuracy']:.3f}, "
        f"top-3 {report['top3_accuracy']:.3f}, balanced {report['balanced_accuracy']:.3f}; "
        f"graph smoothing kept: {report['graph_smoothing']['kept']}",
        f"abstain ({abstain['meaning']}): {abstain['false_abstain_rate']:.3f} of held-out rows turned away, "
        f"{abstain['off_domain_abstain_rate']:.3f} of {abstain['off_domain_queries']} off-domain test queries, "
        f"AUROC {abstain['auroc']:.4f}",
    ]
    return "\n".join(lines)
