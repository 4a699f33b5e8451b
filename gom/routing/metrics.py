"""How a router's scores are judged: accuracy against the true datasets, and how well an
in-domain score separates in-domain queries from off-domain ones."""

from __future__ import annotations

import numpy as np


def accuracy(scores: np.ndarray, truth: np.ndarray, names: list[str]) -> dict:
    order = np.argsort(-scores, axis=1)
    top1 = order[:, 0]
    recall = {n: float((top1[truth == i] == i).mean()) if (truth == i).any() else None for i, n in enumerate(names)}
    confusion = np.zeros((len(names), len(names)), dtype=int)
    np.add.at(confusion, (truth, top1), 1)
    present = [r for r in recall.values() if r is not None]
    return {
        "top1_accuracy": float((top1 == truth).mean()),
        "top3_accuracy": float((order[:, :3] == truth[:, None]).any(axis=1).mean()),
        "balanced_accuracy": float(np.mean(present)),
        "per_dataset_recall": recall,
        "n_queries": int(len(truth)),
        "confusion": confusion.tolist(),
    }


def calibrate(confidence: np.ndarray, false_abstain: float) -> float:
    """The threshold that abstains on at most ``false_abstain`` of the in-domain queries."""
    return float(np.quantile(confidence, false_abstain, method="lower"))


def auroc(in_domain: np.ndarray, off_domain: np.ndarray) -> float:
    """Probability that an in-domain query scores above an off-domain one (ties count half)."""
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([in_domain, off_domain]))
    n_in, n_off = len(in_domain), len(off_domain)
    return float((ranks[:n_in].sum() - n_in * (n_in + 1) / 2) / (n_in * n_off))


def abstention(in_domain: np.ndarray, off_domain: np.ndarray, threshold: float | None) -> dict:
    """Share of in-domain queries wrongly turned away, of off-domain ones turned away, and AUROC."""
    never = threshold is None
    return {
        "threshold": threshold,
        "false_abstain_rate": 0.0 if never else float((in_domain < threshold).mean()),
        "off_domain_abstain_rate": 0.0 if never else float((off_domain < threshold).mean()),
        "auroc": auroc(in_domain, off_domain) if len(in_domain) and len(off_domain) else None,
        "in_domain_queries": int(len(in_domain)),
        "off_domain_queries": int(len(off_domain)),
    }
