"""Stage: build the router, every choice made on validation rows.

Each dataset's training rows are cut into a fitting part and a validation part
(``split.validation``, ``gom.split.validation_mask``). Every candidate router is fitted on the
fitting part and scored on the validation part; the best top-1 accuracy (then top-3) wins, and
with it its k, its regularisation, its fusion weight, whether graph smoothing helps, and the
abstain score and threshold (calibrated on the validation rows and the calibration half of the
off-domain queries). The chosen configuration is then refitted on all training rows and saved
as the index. The held-out rows are never read here: ``gom.routing.evaluate`` scores them once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, replace

import numpy as np

from gom.errors import GomError
from gom.io import save_npz, write_json
from gom.routing.data import TRAIN, VALIDATION, Rows, routing_rows
from gom.routing.index import ABSTAIN_MEANING, ABSTAIN_SCORES, Choice, Index, route_probabilities
from gom.routing.linear import Lexical, Linear
from gom.routing.metrics import abstention, accuracy, calibrate
from gom.routing.offdomain import calibration_part, read_queries

log = logging.getLogger("gom.routing")

LINEAR_C = (1.0, 4.0, 16.0)  # inverse regularisation strengths tried for the embedding classifier
LEXICAL_C = (4.0, 16.0, 64.0)  # ... and for the TF-IDF one
FUSION_WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # semantic share
GRAPH_ALPHAS = (0.1, 0.25, 0.5)
# Past this many datasets each logistic regression is fitted once (the middle C) instead of three
# times: at 1,000 datasets one lexical fit takes minutes on 2 cores.
FULL_GRID_DATASETS = 100
GRAPH_NEIGHBOURS = 5


def build_router(
    datasets: Mapping[str, Mapping],
    model: str,
    settings: Mapping,
    embed_settings: Mapping,
    out,
    out_selection,
    out_validation=None,
) -> dict:
    """Choose the router on validation rows, refit it on all training rows, write the index
    (``out``), what was chosen and why (``out_selection``) and, in ``out_validation``, what the
    chosen router said on each validation row before it was refitted on them (for choices made
    later on the same rows, such as composing adapters)."""
    from gom.routing.evaluate import embed_queries

    names = list(datasets)
    rows = routing_rows(datasets, (TRAIN, VALIDATION))
    fitting, validation = rows.take(TRAIN), rows.take(VALIDATION)
    off = read_queries(settings.get("off_domain"))
    calibration = [q for q, c in zip(off, calibration_part(off)) if c]
    off_vectors = embed_queries(calibration, model, dict(embed_settings))
    choice, report, val_scores = choose(names, fitting, validation, calibration, off_vectors, settings, model)
    index = fit_index(names, rows, model, choice, report["linear_c"], report["lexical_c"], settings)
    index.save(out)
    report["training_rows"] = {n: int((rows.labels == i).sum()) for i, n in enumerate(names)}
    write_json(out_selection, report)
    if out_validation is not None:
        save_npz(
            out_validation,
            labels=validation.labels,
            rows=validation.numbers,
            probabilities=route_probabilities(choice, val_scores),
        )
    return {"choice": report["choice"], "validation_top1": report["validation"]["top1_accuracy"]}


def fit_index(
    names: list[str], rows: Rows, model: str, choice: Choice, linear_c, lexical_c, settings: Mapping
) -> Index:
    """The index over ``rows``: centroids and rows always, and both linear models wherever they
    could be fitted on validation (two datasets or more), with the regularisation each scored best
    with there, whichever router was chosen: the evaluation reports every router, and ``gom route
    --explain`` shows lexical terms."""
    vectors, numbers = rows.by_dataset(len(names))
    index = Index.from_rows(names, vectors, model, choice.k, numbers)
    index.choice = choice
    if linear_c is not None:
        index.linear = Linear.fit(rows.vectors, rows.labels, len(names), linear_c)
    if lexical_c is not None:
        index.lexical = fit_lexical(rows.texts, rows.labels, len(names), lexical_c, settings)
    return index


def fit_lexical(texts: list[str], labels: np.ndarray, n: int, c: float, settings: Mapping) -> Lexical | None:
    """The lexical router, or None when the training texts hold no word of two letters or more
    (scikit-learn's TF-IDF then has an empty vocabulary): the lexical and fusion routers are
    then left out of the choice."""
    try:
        return Lexical.fit(texts, labels, n, c, settings.get("max_terms", 50000))
    except ValueError as e:
        if "empty vocabulary" not in str(e):
            raise
        log.warning("no lexical router: the training texts hold no word (%s)", e)
        return None


def choose(
    names: list[str],
    fitting: Rows,
    validation: Rows,
    off_texts: list[str],
    off_vectors: np.ndarray,
    settings: Mapping,
    model: str,
) -> tuple[Choice, dict]:
    """The router configuration with the best validation accuracy, and its abstain rule."""
    method = settings.get("method", "auto")
    ks = settings.get("k", 10)
    ks = [ks] if isinstance(ks, int) else list(ks)
    rate = settings["false_abstain_rate"]
    if len(validation.labels) == 0:
        raise GomError(
            "no validation rows to choose the router on: every dataset needs two distinct training texts "
            "or more (add rows, or raise split.validation)"
        )
    base = Index.from_rows(names, fitting.by_dataset(len(names))[0], model, ks[0])
    neighbours = base.neighbours(validation.vectors, max(ks))
    truth = validation.labels
    candidates: list[dict] = []

    def add(choice: Choice, scores: np.ndarray, **fitted):
        result = accuracy(scores, truth, names)
        candidates.append(
            {
                "choice": choice,
                "fitted": fitted,
                "scores": scores,
                "top1_accuracy": result["top1_accuracy"],
                "top3_accuracy": result["top3_accuracy"],
                "balanced_accuracy": result["balanced_accuracy"],
            }
        )

    def pick(router: str) -> dict:
        return max((c for c in candidates if c["choice"].router == router), key=_rank)

    add(Choice(router="centroid", k=ks[0]), base.scores(validation.vectors, "centroid"))
    for k in ks:
        choice = Choice(router="knn", k=k)
        add(choice, base.scores(validation.vectors, neighbours=neighbours, choice=choice))
    if len(names) >= 2:
        grid = len(names) <= FULL_GRID_DATASETS
        for c in LINEAR_C if grid else LINEAR_C[1:2]:
            base.linear = Linear.fit(fitting.vectors, fitting.labels, len(names), c)
            add(Choice(router="linear", k=ks[0]), base.linear.log_proba(validation.vectors), linear=base.linear)
        for c in LEXICAL_C if grid else LEXICAL_C[1:2]:
            lexical = fit_lexical(fitting.texts, fitting.labels, len(names), c, settings)
            if lexical is None:
                break
            add(Choice(router="lexical", k=ks[0]), lexical.log_proba(validation.texts), lexical=lexical)
        linear = pick("linear")
        lexical = pick("lexical") if any(c["choice"].router == "lexical" for c in candidates) else None
        for w in FUSION_WEIGHTS if lexical else ():
            add(
                Choice(router="fusion", k=ks[0], weight=w),
                w * linear["scores"] + (1 - w) * lexical["scores"],
                linear=linear["fitted"]["linear"],
                lexical=lexical["fitted"]["lexical"],
            )
    allowed = [c for c in candidates if method == "auto" or c["choice"].router == method]
    if not allowed:
        raise GomError(
            f"routing.method: '{method}' cannot be built here: it needs two datasets or more"
            + (", and training texts with words in them" if method in ("lexical", "fusion") else "")
            + "; use 'auto', 'knn' or 'centroid'"
        )
    best = max(allowed, key=_rank)
    routers = list(dict.fromkeys(c["choice"].router for c in candidates))
    if "linear" in routers:
        base.linear = best["fitted"].get("linear") or pick("linear")["fitted"]["linear"]
    if "lexical" in routers:
        base.lexical = best["fitted"].get("lexical") or pick("lexical")["fitted"]["lexical"]

    # Graph smoothing: kept only when it beats the unsmoothed router on validation.
    graph = []
    for alpha in GRAPH_ALPHAS if len(names) >= 3 else ():
        choice = replace(best["choice"], graph_alpha=alpha, graph_neighbours=GRAPH_NEIGHBOURS)
        scores = base.scores(validation.vectors, texts=validation.texts, neighbours=neighbours, choice=choice)
        result = accuracy(scores, truth, names)
        graph.append(
            {"alpha": alpha, "top1_accuracy": result["top1_accuracy"], "top3_accuracy": result["top3_accuracy"]}
        )
        if _rank(result) > _rank(best):
            best = {**best, **result, "choice": choice, "scores": scores}
    chosen = best["choice"]

    # Abstention: each in-domain score, its threshold at the target false-abstain rate on the
    # validation rows, and the share of the calibration off-domain queries it turns away.
    off_neighbours = base.neighbours(off_vectors, max(ks))
    off_scores = base.scores(off_vectors, texts=off_texts, neighbours=off_neighbours, choice=chosen)
    abstain = []
    for kind in ABSTAIN_SCORES:
        trial = replace(chosen, abstain_score=kind)
        inside = base.in_domain(validation.vectors, best["scores"], neighbours, trial)
        outside = base.in_domain(off_vectors, off_scores, off_neighbours, trial)
        threshold = calibrate(inside, rate)
        abstain.append({"score": kind, "meaning": ABSTAIN_MEANING[kind], **abstention(inside, outside, threshold)})
    best_abstain = max(abstain, key=lambda a: (a["off_domain_abstain_rate"], a["auroc"] or 0))
    chosen = replace(chosen, abstain_score=best_abstain["score"], threshold=best_abstain["threshold"])

    report = {
        "chosen_on": (
            f"validation rows: {len(truth)} training rows of {len(set(truth.tolist()))} datasets set aside "
            f"(split.validation), routers fitted on the other {len(fitting.labels)}; the held-out rows take no part"
        ),
        "method_setting": method,
        "choice": asdict(chosen),
        # The regularisation of each linear model: the chosen router's, else the best one's alone.
        "linear_c": (best["fitted"].get("linear") or base.linear).c if base.linear else None,
        "lexical_c": (best["fitted"].get("lexical") or base.lexical).c if base.lexical else None,
        "per_router": {r: asdict(replace(pick(r)["choice"], threshold=None)) for r in routers},
        "validation": {k: best[k] for k in ("top1_accuracy", "top3_accuracy", "balanced_accuracy")},
        "candidates": [_describe(c) for c in candidates],
        "graph_smoothing": {
            "neighbours": GRAPH_NEIGHBOURS,
            "tried": graph,
            "kept": chosen.graph_alpha > 0,
        },
        "abstain_candidates": abstain,
        "target_false_abstain_rate": rate,
        "off_domain_calibration_queries": len(off_texts),
    }
    log.info("chose %s on validation rows (top-1 %.3f)", asdict(chosen), best["top1_accuracy"])
    return chosen, report, best["scores"]


def _rank(c) -> tuple[float, float]:
    return (c["top1_accuracy"], c["top3_accuracy"])


def _describe(c: dict) -> dict:
    choice = c["choice"]
    params = {
        "centroid": {},
        "knn": {"k": choice.k},
        "linear": {"C": c["fitted"].get("linear").c if "linear" in c["fitted"] else None},
        "lexical": {"C": c["fitted"].get("lexical").c if "lexical" in c["fitted"] else None},
        "fusion": {"weight": choice.weight},
    }[choice.router]
    return {
        "router": choice.router,
        **params,
        **{k: round(c[k], 4) for k in ("top1_accuracy", "top3_accuracy", "balanced_accuracy")},
    }
