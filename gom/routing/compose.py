"""Composing miniModels where the router is unsure.

When the router's top probability is below ``UNSURE``, the top two miniModels can answer together:
their adapters merged with weights from the router's probabilities (``gom.lm.loading.compose_adapters``).
Whether that beats the top one alone is measured by the route_quality job on validation rows;
``gom ask``, ``gom serve`` and the answers job compose only where that job kept it, for the router
index it measured (results/routing/quality.json records the index's sha256 beside the verdict).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gom.errors import GomError
from gom.io import read_json, sha256_file

UNSURE = 0.5  # the router is unsure when its top probability is below this


def mix(probs: np.ndarray) -> tuple[tuple[int, float], ...] | None:
    """The two most probable datasets with weights in tenths (summing to 1) where the router is
    unsure of ``probs`` (one query's probabilities); None where it is sure, or where the weights
    round to the top one alone."""
    a, b = (int(i) for i in np.argsort(-probs, kind="stable")[:2])
    if probs[a] >= UNSURE:
        return None
    w = round(float(probs[a] / (probs[a] + probs[b])), 1)
    return None if w >= 1.0 else ((a, w), (b, round(1 - w, 1)))


def composition_kept(quality_json: str | Path, index_path: str | Path) -> bool:
    """Whether route_quality kept composition for the router index at ``index_path``; False where it
    has not run or measured another index. A report that is not route_quality's is an error."""
    quality_json = Path(quality_json)
    if not quality_json.exists():
        return False
    report = read_json(quality_json)
    rebuild = f"rebuild it with `snakemake --cores all --forcerun {quality_json}`"
    composition = report.get("composition") if isinstance(report, dict) else None
    if not isinstance(composition, dict) or not isinstance(composition.get("kept"), bool):
        raise GomError(f"{quality_json} holds no composition verdict (composition.kept, true or false): {rebuild}")
    return composition["kept"] and report.get("index_sha256") == sha256_file(index_path)
