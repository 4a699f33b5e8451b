"""Transfer and routing in model terms, from a model matrix (_model_matrix.py).

Transfer: the pair losses (adapter a on dataset b's held-out rows, the mean of the rows' losses)
go through the workflow's own `edge_validity` (pooled Spearman and per-dataset source choice).

Routing: the held-out rows are cut in two by a hash of (dataset, row): a *choice* half, on which
every choice is made (re-ranking or not and its k, composition or not), and a *score* half,
scored once with what was chosen. No miniModel has trained on either half (they are the
workflow's held-out rows), so neither choice leans towards the row's own adapter.
"""

from __future__ import annotations

import hashlib

import numpy as np

from gom.lm.source_ranking import edge_validity

RERANK_KS = (2, 3, 5)


def metrics_of(m: dict) -> dict[str, np.ndarray]:
    return {k.removeprefix("matrix_"): v for k, v in m.items() if k.startswith("matrix_")}


def pair_losses(m: dict) -> tuple[dict, dict]:
    """({(adapter i, dataset j): mean loss}, {(i, j): the base's mean loss on j})."""
    n = len(m["names"])
    losses, base = {}, {}
    for j in range(n):
        rows = m["labels"] == j
        ok = rows & np.isfinite(m["base_loss"])
        for i in range(n):
            losses[(i, j)] = float(m["loss"][ok, i].mean())
            base[(i, j)] = float(m["base_loss"][ok].mean())
    return losses, base


def transfer(m: dict) -> dict:
    names = [str(x) for x in m["names"]]
    losses, base = pair_losses(m)
    validity = edge_validity(names, losses, base, metrics_of(m))
    own = [base[(j, j)] - losses[(j, j)] for j in range(len(names))]
    return {
        "pairs": validity["pairs"],
        "spearman": {k: v["spearman"] for k, v in validity["metrics"].items()},
        "source_choice": validity["source_choice"],
        "own_beats_base": int(sum(g > 0 for g in own)),
        "cross_pairs_helped": int(sum(v > 0 for v in validity["improvement_over_base"].values())),
        "cross_pairs_helped_more_than_own": int(
            sum(base[(i, j)] - losses[(i, j)] > own[j] for (i, j) in losses if i != j)
        ),
    }


def choice_half(labels: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """True for the rows of the choice half (a hash of dataset and row number)."""
    h = [hashlib.blake2b(f"{a}:{b}".encode(), digest_size=4).digest()[0] & 1 for a, b in zip(labels, numbers)]
    return np.array(h, dtype=bool)


def strategies(m: dict) -> dict[str, np.ndarray]:
    """Each routing strategy's loss on every held-out row."""
    p, loss, query = m["probabilities"], m["loss"], m["query_loss"]
    rows = np.arange(len(p))
    order = np.argsort(-p, axis=1, kind="stable")
    top1 = order[:, 0]
    out = {"router top-1": loss[rows, top1]}
    for k in RERANK_KS:
        cand = order[:, :k]
        picked = cand[rows, np.argmin(query[rows[:, None], cand], axis=1)]
        out[f"re-rank top-{k} by query loss"] = loss[rows, picked]
    composed = m["composed_loss"]
    out["compose top-2 when unsure"] = np.where(np.isfinite(composed), composed, loss[rows, top1])
    return out


def _share(base: np.ndarray, oracle: np.ndarray, routed: np.ndarray) -> float:
    gain = base.mean() - oracle.mean()
    return float(100 * (base.mean() - routed.mean()) / gain) if gain > 0 else float("nan")


def routing(m: dict) -> dict:
    base, loss, labels = m["base_loss"], m["loss"], m["labels"]
    ok = np.isfinite(base) & np.isfinite(loss).all(axis=1)
    choose = choice_half(labels, m["numbers"])
    rows = np.arange(len(labels))
    own = loss[rows, labels]
    best = loss.min(axis=1)
    found = strategies(m)
    chosen_on = {name: float(v[ok & choose].mean()) for name, v in found.items()}
    chosen = min(chosen_on, key=chosen_on.get)
    score = ok & ~choose
    table = {}
    for name, v in found.items():
        table[name] = {
            "choice_half_loss": chosen_on[name],
            "score_half_loss": float(v[score].mean()),
            "percent_of_own_oracle": _share(base[score], own[score], v[score]),
            "percent_of_row_best_oracle": _share(base[score], best[score], v[score]),
        }
    p = m["probabilities"]
    return {
        "router": str(m["router"]),
        "rows": {"choice_half": int((ok & choose).sum()), "score_half": int(score.sum())},
        "base_loss": float(base[score].mean()),
        "own_oracle_loss": float(own[score].mean()),
        "row_best_oracle_loss": float(best[score].mean()),
        "rows_whose_best_adapter_is_their_own": float((loss[score].argmin(axis=1) == labels[score]).mean()),
        "routed_to_own_dataset": float((p[score].argmax(axis=1) == labels[score]).mean()),
        "unsure_rows": int(np.isfinite(m["composed_loss"][score]).sum()),
        "strategies": table,
        "chosen_on_choice_half": chosen,
        "result": table[chosen],
    }


def routing_table(results: dict[int, dict]) -> str:
    """Markdown: each strategy's share of both oracles on the score half, per seed."""
    seeds = list(results)
    lines = [
        "| strategy | " + " | ".join(f"seed {s}: % of own / row-best oracle" for s in seeds) + " |",
        "|---|" + "---:|" * len(seeds),
    ]
    for name in results[seeds[0]]["strategies"]:
        cells = []
        for s in seeds:
            row = results[s]["strategies"][name]
            mark = " (chosen)" if results[s]["chosen_on_choice_half"] == name else ""
            cells.append(f"{row['percent_of_own_oracle']:.1f}% / {row['percent_of_row_best_oracle']:.1f}%{mark}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
