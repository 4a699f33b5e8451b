"""Does the graph predict transfer? The pooled Spearman of each edge metric with the gains
(``edge_validity``) and, per dataset, does it pick the source adapter that helps most.

For each target dataset b, the candidates are the other datasets' adapters evaluated on b's
held-out rows, each with its gain g(a, b) = base loss on b - adapter a's loss on b. A metric
ranks the candidates by its similarity m(a, b); as in Poth et al. 2021 ("What to pre-train
on?"):

- Regret@k = (best gain - best gain among the metric's top k) / best gain;
- NDCG@k of the metric's ranking, with the gains (negative ones as 0) as graded relevance.

Averaged over the targets whose best gain is positive (a target no adapter helps has nothing to
pick). Two baselines: a random pick (the exact expectation, not a draw) and the generic best
adapter, which ranks the candidates by their mean gain on the *other* targets (the adapter that
helps most on average, without looking at b). A pooled Spearman mixes each adapter's general
strength into the correlation; these measures ask the question a user asks: which miniModel
helps this dataset?
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

Pair = tuple[int, int]
KS = (1, 3)


def _regret(gains: np.ndarray, order: np.ndarray, k: int) -> float:
    best = gains.max()
    return float((best - gains[order[:k]].max()) / best)


def _ndcg(gains: np.ndarray, order: np.ndarray, k: int) -> float:
    rel = np.clip(gains, 0, None)
    discounts = 1 / np.log2(np.arange(2, k + 2))
    ideal = float((np.sort(rel)[::-1][:k] * discounts[: min(k, len(rel))]).sum())
    return float((rel[order[:k]] * discounts[: len(order[:k])]).sum() / ideal) if ideal > 0 else float("nan")


def _random_regret(gains: np.ndarray, k: int) -> float:
    """E[Regret@k] of k candidates drawn uniformly without replacement."""
    n, best = len(gains), gains.max()
    k = min(k, n)
    ordered = np.sort(gains)
    # P(the best of the k drawn is the i-th smallest) = C(i-1, k-1) / C(n, k)
    weights = np.array([math.comb(i, k - 1) for i in range(n)], dtype=float) / math.comb(n, k)
    return float(((best - ordered) / best * weights).sum())


def _random_ndcg(gains: np.ndarray, k: int) -> float:
    rel = np.clip(gains, 0, None)
    k = min(k, len(rel))
    discounts = 1 / np.log2(np.arange(2, k + 2))
    ideal = float((np.sort(rel)[::-1][:k] * discounts).sum())
    return float(rel.mean() * discounts.sum() / ideal) if ideal > 0 else float("nan")


def source_ranking(names: list[str], gains: Mapping[Pair, float], matrices: Mapping[str, np.ndarray]) -> dict:
    """Regret@1, Regret@3 and NDCG@3 of choosing each dataset's source adapter by each metric
    (``matrices``: name -> N x N similarity), beside the random and the generic-best baselines.
    ``gains``: {(adapter i, dataset j): gain} over the evaluated pairs (i != j)."""
    by_target: dict[int, dict[int, float]] = {}
    for (i, j), g in gains.items():
        if i != j:
            by_target.setdefault(j, {})[i] = g
    mean_gain = {}  # each adapter's gains by target, for the leave-one-out generic ranking
    for (i, j), g in gains.items():
        if i != j:
            mean_gain.setdefault(i, {})[j] = g
    rankers = {metric: (lambda j, c, m=mat: -m[c, j]) for metric, mat in matrices.items()}
    rankers["generic_best"] = lambda j, c: (
        -np.array([np.mean([g for t, g in mean_gain[a].items() if t != j] or [0.0]) for a in c])
    )
    scores: dict[str, dict[str, list[float]]] = {name: {} for name in [*rankers, "random"]}
    targets = []
    for j, cand in sorted(by_target.items()):
        c = np.array(sorted(cand))
        g = np.array([cand[a] for a in c])
        if len(c) < 2 or g.max() <= 0:
            continue
        targets.append(names[j])
        for name, rank in rankers.items():
            order = np.argsort(rank(j, c), kind="stable")
            for k in KS:
                scores[name].setdefault(f"regret@{k}", []).append(_regret(g, order, k))
            scores[name].setdefault("ndcg@3", []).append(_ndcg(g, order, 3))
        for k in KS:
            scores["random"].setdefault(f"regret@{k}", []).append(_random_regret(g, k))
        scores["random"].setdefault("ndcg@3", []).append(_random_ndcg(g, 3))
    return {
        "targets": len(targets),
        "targets_skipped": len(by_target) - len(targets),
        "candidates_per_target": float(np.mean([len(v) for v in by_target.values()])) if by_target else 0.0,
        "rankers": {
            name: {measure: float(np.nanmean(v)) for measure, v in measures.items()}
            for name, measures in scores.items()
        }
        if targets
        else {},
        "note": "Per target dataset, the other datasets' adapters ranked by each metric's similarity (or, "
        "generic_best, by their mean gain on the other targets; random: the expectation of a uniform pick). "
        "Regret@k = (best gain - best gain in the top k) / best gain; NDCG@3 with the gains as relevance. "
        "Averaged over the targets that some adapter helps (best gain > 0). Lower regret and higher NDCG are better.",
    }


def edge_validity(
    names: list[str], losses: Mapping[Pair, float], base_losses: Mapping[Pair, float], matrices: dict[str, np.ndarray]
) -> dict:
    """Spearman correlation of each metric with the loss improvement over the base, over the
    evaluated pairs of different datasets."""
    from scipy.stats import spearmanr

    cross = [(i, j) for i, j in losses if i != j]
    improvement = np.array([base_losses[p] - losses[p] for p in cross])
    result = {
        "pairs": len(cross),
        "pairs_possible": len(names) * (len(names) - 1),
        "improvement_over_base": {f"{names[i]}->{names[j]}": float(v) for (i, j), v in zip(cross, improvement)},
        "metrics": {},
        "note": "Spearman rank correlation over the evaluated ordered pairs (adapter trained on a, evaluated on b's "
        "held-out rows); improvement = base eval loss - adapter eval loss. With few pairs the p-values are weak "
        "evidence.",
    }
    rows, cols = (np.array([p[k] for p in cross], dtype=int) for k in (0, 1))
    for metric, mat in matrices.items():
        x = mat[rows, cols] if cross else np.array([])
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(improvement) == 0:
            result["metrics"][metric] = {
                "spearman": None,
                "p_value": None,
                "why": "fewer than 3 pairs or a constant series",
            }
            continue
        rho, p = spearmanr(x, improvement)
        result["metrics"][metric] = {"spearman": float(rho), "p_value": float(p)}
    # Per target dataset: does the metric pick the adapter that helps it most? (Regret@k, NDCG@3)
    result["source_choice"] = source_ranking(names, dict(zip(cross, improvement.tolist())), matrices)
    return result
