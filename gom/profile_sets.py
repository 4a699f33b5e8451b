"""Many dataset profiles in one set of flat arrays, for computing one dataset's edges to all of
them at once (``gom.edges.edges_to_set``), and the shard files that hold a fixed block of them.

A shard holds the profiles of ``metrics.shard_size`` consecutive datasets in config order
(``gom.paths.earlier_inputs`` says which files an edge job reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gom.errors import GomError
from gom.io import load_npz, save_npz
from gom.profiles import Profile, load_profile


@dataclass
class ProfileSet:
    """Profiles concatenated: per dataset (``names`` order) its rows and mean; per term of each
    dataset's own vocabulary its owner and document frequency; per non-zero count its term and
    row; per row its owner; per item its owner."""

    names: list[str]
    n_rows: np.ndarray  # (J,) int64
    means: np.ndarray  # (J, dim) float64
    vocab: np.ndarray  # (T,) str, each dataset's vocabulary in turn (sorted within a dataset)
    vocab_owner: np.ndarray  # (T,) int64
    doc_freq: np.ndarray  # (T,) int64
    entry_term: np.ndarray  # (E,) int64, index into vocab
    entry_row: np.ndarray  # (E,) int64, index into rows
    entry_count: np.ndarray  # (E,) int64
    row_owner: np.ndarray  # (R,) int64
    items: np.ndarray  # (I,) str
    item_owner: np.ndarray  # (I,) int64

    @classmethod
    def from_profiles(cls, names: Sequence[str], profiles: Sequence[Profile], dim: int | None = None) -> ProfileSet:
        if not profiles:
            return cls.empty(dim or 0)
        vocab_offsets = np.cumsum([0] + [p.vocab.size for p in profiles])
        row_offsets = np.cumsum([0] + [p.n_rows for p in profiles])
        terms, rows, counts = [], [], []
        for p, v0, r0 in zip(profiles, vocab_offsets, row_offsets):
            terms.append(p.indices.astype(np.int64) + v0)
            rows.append(p.entry_rows.astype(np.int64) + r0)
            counts.append(p.data.astype(np.int64))
        owner = np.arange(len(profiles))
        return cls(
            names=list(names),
            n_rows=np.array([p.n_rows for p in profiles], dtype=np.int64),
            means=np.vstack([p.mean for p in profiles]).astype(np.float64),
            vocab=np.concatenate([p.vocab.astype(str) for p in profiles]),
            vocab_owner=np.repeat(owner, [p.vocab.size for p in profiles]),
            doc_freq=np.concatenate([p.doc_freq for p in profiles]).astype(np.int64),
            entry_term=np.concatenate(terms),
            entry_row=np.concatenate(rows),
            entry_count=np.concatenate(counts),
            row_owner=np.repeat(owner, [p.n_rows for p in profiles]),
            items=np.concatenate([p.items.astype(str) for p in profiles]),
            item_owner=np.repeat(owner, [p.items.size for p in profiles]),
        )

    @classmethod
    def empty(cls, dim: int) -> ProfileSet:
        i, s = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=str)
        return cls([], i, np.zeros((0, dim)), s, i, i, i, i, i, i, s, i)

    @classmethod
    def concat(cls, sets: Sequence[ProfileSet]) -> ProfileSet:
        nonempty = [s for s in sets if s.names]
        if not nonempty:
            return sets[0] if sets else cls.empty(0)
        sets = nonempty
        if len(sets) == 1:
            return sets[0]
        owners = np.cumsum([0] + [len(s.names) for s in sets])
        terms = np.cumsum([0] + [s.vocab.size for s in sets])
        rows = np.cumsum([0] + [s.row_owner.size for s in sets])
        return cls(
            names=[n for s in sets for n in s.names],
            n_rows=np.concatenate([s.n_rows for s in sets]),
            means=np.vstack([s.means for s in sets]),
            vocab=np.concatenate([s.vocab for s in sets]),
            vocab_owner=np.concatenate([s.vocab_owner + o for s, o in zip(sets, owners)]),
            doc_freq=np.concatenate([s.doc_freq for s in sets]),
            entry_term=np.concatenate([s.entry_term + t for s, t in zip(sets, terms)]),
            entry_row=np.concatenate([s.entry_row + r for s, r in zip(sets, rows)]),
            entry_count=np.concatenate([s.entry_count for s in sets]),
            row_owner=np.concatenate([s.row_owner + o for s, o in zip(sets, owners)]),
            items=np.concatenate([s.items for s in sets]),
            item_owner=np.concatenate([s.item_owner + o for s, o in zip(sets, owners)]),
        )


_FIELDS = [f for f in ProfileSet.__dataclass_fields__ if f != "names"]


def save_shard(path: str | Path, profile_set: ProfileSet) -> None:
    save_npz(path, datasets=np.array(profile_set.names, dtype=str), **{f: getattr(profile_set, f) for f in _FIELDS})


def load_shard(path: str | Path, names: Sequence[str]) -> ProfileSet:
    """A shard written by ``save_shard``; it must hold exactly the datasets ``names``, in order."""
    z = load_npz(path)
    held = [str(n) for n in z.get("datasets", [])]
    if held != list(names):
        raise GomError(
            f"{path} holds the profiles of {', '.join(held) or 'no dataset'}, not of {', '.join(names)} "
            f"(the config's datasets or their order changed): rebuild it with "
            f"`snakemake --cores all --forcerun {path}`"
        )
    return ProfileSet(names=held, **{f: z[f] for f in _FIELDS})


def build_shard(names: Sequence[str], profiles: Sequence[str | Path], out: str | Path) -> dict:
    """Stage: write the shard ``out`` from the profiles of ``names`` (one block, in config order)."""
    save_shard(out, ProfileSet.from_profiles(names, [load_profile(p, n) for n, p in zip(names, profiles)]))
    return {"datasets": len(names)}
