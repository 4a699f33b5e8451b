"""The held-out split (config section ``split``), shared by every stage that evaluates.

A row is held out when a stable hash of its text falls below ``split.fraction``: the split
needs no stored state, does not move when rows are added elsewhere in the file, and puts
identical texts on the same side, so no held-out text is ever trained on or indexed.
"""

from __future__ import annotations

import hashlib

import numpy as np

from gom.errors import GomError


def _unit_hash(text: str, salt: bytes, person: bytes = b"gom-split") -> float:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8, person=person, salt=salt).digest()
    return int.from_bytes(digest, "big") / 2**64


def eval_mask(texts: list[str], fraction: float, seed: int = 0) -> np.ndarray:
    """Boolean mask of held-out rows (at least one row each side when there are two texts or more).

    ``seed`` salts the hash; seed 0 is the all-zero salt, i.e. the unsalted split.
    """
    salt = seed.to_bytes(16, "big")
    scores = np.fromiter((_unit_hash(t, salt) for t in texts), dtype=np.float64, count=len(texts))
    mask = scores < fraction
    if len(set(texts)) >= 2:
        if not mask.any():
            mask = scores == scores.min()
        elif mask.all():
            mask = scores != scores.max()
    return mask


def split_mask(name: str, texts: list[str], split: dict) -> np.ndarray:
    """``eval_mask`` of dataset ``name``, refusing a dataset that cannot give both sides a row.

    Every stage needs at least one training row (to train on, to index) and one held-out row
    (to evaluate on); with fewer than two distinct texts there is no such split, and going on
    would train on nothing or give the router a NaN centroid.
    """
    mask = eval_mask(texts, split["fraction"], split.get("seed", 0))
    if mask.all() or not mask.any():
        refuse_unsplittable(name, len(texts), len(set(texts)))
    return mask


def validation_mask(texts: list[str], held: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Boolean mask of the validation rows: training rows (not ``held``) whose hash under another
    personalisation (salted by the split's ``seed``) falls below ``fraction`` (``split.validation``).
    Like the held-out split it is stateless and puts identical texts on the same side; a dataset with two distinct training texts or more
    gives at least one validation row and keeps at least one training row, one with fewer gives none."""
    train = np.flatnonzero(~held)
    mask = np.zeros(len(texts), dtype=bool)
    if not fraction or len({texts[i] for i in train}) < 2:
        return mask
    salt = seed.to_bytes(16, "big")
    scores = np.fromiter((_unit_hash(texts[i], salt, b"gom-valid") for i in train), dtype=np.float64, count=len(train))
    chosen = scores < fraction
    if not chosen.any():
        chosen = scores == scores.min()
    elif chosen.all():
        chosen = scores != scores.max()
    mask[train[chosen]] = True
    return mask


def refuse_unsplittable(name: str, rows: int, distinct: int, when: str = "") -> None:
    raise GomError(
        f"dataset '{name}' has {rows} row(s) with {distinct} distinct text(s){when}: it cannot be split into "
        "training and held-out rows, and every dataset needs at least one of each; add rows with other "
        "texts (at least 2 distinct, 10 or more for a useful evaluation)"
    )
