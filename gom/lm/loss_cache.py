"""The cross-evaluation cache: losses kept between runs, keyed by what they depend on.

A cached loss is a number read back from ``results/``, so it is taken only where it could be a
loss: positive, finite, no worse than 1.5 times a uniform guess over the base's vocabulary, for
a base at least 0.01 nats per token, and, for an adapter, within a factor of the base's own
loss on that dataset (an adapter that is 100 times better or 4 times worse than its base was
not measured, it was written). A run that asks for exactly the losses the last run asked for
and finds them all cached (``--forcerun``, or a rerun that changed nothing they depend on)
re-evaluates them instead of reading its answers back; a run that needs fewer (a dataset
removed) or more (one added) takes what the cache holds. The cache guards against stale,
edited or corrupted values, not against someone who can write ``results/`` and the whole
workflow's state: they can rewrite anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path

import numpy as np

from gom.errors import GomError
from gom.io import read_json, sha256_file

log = logging.getLogger("gom.lm.transfer")

UNIFORM_FACTOR = 1.5  # a loss above 1.5 x ln(vocabulary) is far worse than guessing
ADAPTER_RANGE = (1 / 100, 4.0)  # an adapter's loss as a multiple of its base's on the same rows
MIN_BASE_LOSS = 0.01  # nats per token: a base that predicts held-out text better has memorised it


SELECTION = "selection"  # the cache's entry naming the pairs of the run that last wrote it


def read_cache(path: str | Path) -> tuple[dict[str, float], str | None]:
    """(the losses kept from earlier runs, the selection of the run that wrote them); an
    unreadable cache is set aside, not trusted."""
    path = Path(path)
    if not path.exists():
        return {}, None
    try:
        data = read_json(path)
    except GomError as error:
        log.warning("ignoring the cross-evaluation cache: %s", error)
        return {}, None
    if not isinstance(data, dict):
        return {}, None
    losses = {
        k: float(v)
        for k, v in data.items()
        if isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
    }
    return losses, data.get(SELECTION) if isinstance(data.get(SELECTION), str) else None


def selection_of(wanted) -> str:
    """What identifies a run's set of wanted losses (pairs, adapters, data, bases)."""
    return hashlib.sha256(json.dumps(sorted(wanted)).encode()).hexdigest()


def plausible(cache: dict[str, float], wanted: dict[str, tuple], base_entry: dict[str, str], vocab: dict) -> dict:
    """The entries of ``cache`` that could be losses. ``wanted``: key -> (adapter or None, i, j);
    ``base_entry``: an adapter entry's key -> its base's key on the same dataset; ``vocab``: i ->
    the vocabulary size of adapter i's base (None when unknown)."""
    kept = {}
    for bases_first in (True, False):  # an adapter's loss is judged against a base loss that passed
        for k, (adapter, i, _) in wanted.items():
            if k not in cache or (adapter is None) != bases_first:
                continue
            value, size = cache[k], vocab.get(i)
            if not value > 0 or (size and value > UNIFORM_FACTOR * math.log(size)):
                continue
            if adapter is None and value < MIN_BASE_LOSS:
                continue
            if adapter is not None:
                base = kept.get(base_entry[k])
                if base is None or not ADAPTER_RANGE[0] * base <= value <= ADAPTER_RANGE[1] * base:
                    continue
            kept[k] = value
    dropped = sum(k in cache for k in wanted) - len(kept)
    if dropped:
        log.warning("cross-evaluation cache: %d value(s) that cannot be losses are evaluated again", dropped)
    return kept


def vocabulary_size(base: str) -> int | None:
    """The vocabulary size in a local base's config.json (None for a hub name or no such key)."""
    try:
        size = json.loads((Path(base) / "config.json").read_text(encoding="utf-8")).get("vocab_size")
    except (OSError, ValueError, AttributeError):
        return None
    return size if isinstance(size, int) and size > 1 else None


def base_key(base: str, revision: str | None) -> str:
    """What identifies a base: the checksums of its files (weights, config, tokenizer) when it is
    a directory, else name@revision."""
    path = Path(base)
    if not path.is_dir():
        return f"{base}@{revision}"
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return (
        "dir:" + hashlib.sha256("".join(f"{p.relative_to(path)}:{sha256_file(p)}" for p in files).encode()).hexdigest()
    )
