"""The held-out losses a training job measured, kept with its miniModel for the evaluations after it.

train_lora evaluates the base and the new adapter on every held-out row of its dataset; the
cross-evaluation (the adapter on its own dataset, the base on it) and routing quality (each
row's own adapter, the base) need exactly those numbers again. The training job writes them,
row by row, into the miniModel's metrics.json under ``held_out``, with a key naming what they
depend on (the base's checksums, the parquet's sha256, the templates, the split, lora.max_length, the device); a
later job takes them only where its own key is the same, every list is whole and every value
could be a loss, and evaluates the rest itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path

from gom.errors import GomError
from gom.io import read_json

log = logging.getLogger("gom.lm")


def held_out_key(base: str, parquet_sha256: str, templates, split, max_length: int, device: str) -> str:
    """What a held-out loss depends on besides the adapter: the base (``loss_cache.base_key``),
    the rows, how they are rendered and cut, the device."""
    parts = [base, parquet_sha256, templates, split, max_length, device]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def record(key: str, rows, tokens, losses, base_losses, empty) -> dict:
    """metrics.json's ``held_out`` entry: per held-out row, its supervised tokens and the mean loss
    per token of the adapter and of the base; ``empty``: the held-out rows with no response to score."""
    return {
        "key": key,
        "empty": [int(r) for r in empty],
        "rows": [int(r) for r in rows],
        "tokens": [int(t) for t in tokens],
        "loss": [float(v) for v in losses],
        "base_loss": [float(v) for v in base_losses],
    }


def recorded(model_dir: str | Path, key: str) -> dict[int, tuple[int, float, float] | None] | None:
    """{held-out row: (supervised tokens, adapter loss, base loss), or None for a row with no
    response} that ``model_dir``'s training job measured, or None (logged) where it measured none
    or something else than ``key`` describes."""
    path = Path(model_dir) / "metrics.json"
    try:
        entry = read_json(path).get("held_out")
    except (GomError, OSError, AttributeError):
        entry = None
    if not isinstance(entry, dict) or entry.get("key") != key:
        if entry is not None:
            log.info("%s: its held-out losses were measured on other rows or settings; evaluating again", path)
        return None
    columns = [entry.get(k) for k in ("rows", "tokens", "loss", "base_loss")]
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) != 1:
        log.warning("%s: its held-out losses are not four lists of one length; evaluating again", path)
        return None
    out = {}
    for row, tokens, loss, base in zip(*columns):
        counts_ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (row, tokens))
        values_ok = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
            for v in (loss, base)
        )
        if not (counts_ok and values_ok) or row in out:
            log.warning("%s: a held-out loss that cannot be one (row %r); evaluating again", path, row)
            return None
        out[row] = (tokens, float(loss), float(base))
    empty = entry.get("empty")
    if not isinstance(empty, list) or not all(type(r) is int and r >= 0 and r not in out for r in empty):
        log.warning("%s: its held-out rows without a response are not a list of other rows; evaluating again", path)
        return None
    return {**out, **dict.fromkeys(empty)}


def mean_loss(values: dict[int, tuple[int, float, float] | None], which: int) -> float | None:
    """The mean loss per supervised token over the rows (``which``: 1 the adapter, 2 the base)."""
    scored = [v for v in values.values() if v is not None]
    tokens = sum(v[0] for v in scored)
    return sum(v[0] * v[which] for v in scored) / tokens if tokens else None
