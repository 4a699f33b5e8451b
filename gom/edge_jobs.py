"""Stage 4, edges: the edge files, and the jobs that write them.

The edge file of a dataset holds its metrics with every dataset listed before it in the config.
A complete block of ``metrics.shard_size`` datasets (config order) is written by one job into
one block file, so a graph of N datasets takes about N / shard_size edge jobs; the datasets
after the last complete block get a job and a file each. Appending a dataset then runs one
small job; when it completes a block, the block job copies the rows its earlier members'
files already hold and computes only the new dataset's pairs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gom.edges import edges_to_set
from gom.errors import GomError
from gom.io import load_npz, save_npz
from gom.profile_sets import ProfileSet, load_shard
from gom.profiles import load_profile


def _earlier_set(shards, earlier, dim: int) -> ProfileSet:
    return ProfileSet.concat(
        [load_shard(path, members) for members, path in shards]
        + [ProfileSet.from_profiles([n for n, _ in earlier], [load_profile(p, n) for n, p in earlier], dim)]
    )


def compute_edges(
    name: str,
    profile: str | Path,
    shards: list[tuple[list[str], str | Path]],
    earlier: list[tuple[str, str | Path]],
    out: str | Path,
    metrics: list[str],
) -> dict:
    """Write the edge file of dataset ``name``: its metrics with every dataset before it in config
    order, read from the shards of earlier blocks (``(member names, path)``) and the single
    profiles of the earlier datasets of its own block (``(name, path)``)."""
    x = load_profile(profile, name)
    others = _earlier_set(shards, earlier, x.mean.size)
    values = edges_to_set(x, others, metrics)
    save_edges(out, [(name, x.n_rows, others.names, others.n_rows, values)])
    return {"dataset": name, "pairs": len(others.names)}


def compute_edge_block(
    members: list[tuple[str, str | Path]],
    shards: list[tuple[list[str], str | Path]],
    done: list[tuple[str, str | Path]],
    out: str | Path,
    metrics: list[str],
) -> dict:
    """Write the block file of ``members`` (``(name, profile)``, a complete block in config order):
    each member's metrics with the datasets of the ``shards`` before the block and the members
    before it. A member with an edge file of its own already (``done``) is copied from it."""
    names = [n for n, _ in members]
    copied = dict(done)
    profiles = [load_profile(p, n) for n, p in members]  # each read once, whether copied or computed
    dim = profiles[0].mean.size
    before = _earlier_set(shards, [], dim)
    records, computed = [], 0
    for m, (name, x) in enumerate(zip(names, profiles)):
        partners = before.names + names[:m]
        if name in copied:
            (record,) = read_edges(copied[name])
            check_record(record, copied[name], name, partners, metrics)
            records.append(record)
            continue
        others = ProfileSet.concat([before, ProfileSet.from_profiles(names[:m], profiles[:m], dim)])
        records.append((name, x.n_rows, others.names, others.n_rows, edges_to_set(x, others, metrics)))
        computed += len(others.names)
    save_edges(out, records)
    return {"datasets": len(names), "copied": len(copied), "pairs_computed": computed}


def save_edges(path, records: list[tuple]) -> None:
    """One edge file for one or more datasets: ``(name, rows, partner names, partner rows, {metric: values})``."""
    metrics = list(records[0][4])
    save_npz(
        path,
        datasets=np.array([r[0] for r in records], dtype=str),
        rows=np.array([r[1] for r in records], dtype=np.int64),
        offsets=np.cumsum([0] + [len(r[2]) for r in records]).astype(np.int64),
        partners=np.array([p for r in records for p in r[2]], dtype=str),
        partner_rows=np.concatenate([np.asarray(r[3], dtype=np.int64) for r in records]),
        **{f"metric_{m}": np.concatenate([np.asarray(r[4][m], dtype=np.float64) for r in records]) for m in metrics},
    )


def read_edges(path: str | Path) -> list[tuple]:
    """The records of an edge file written by ``save_edges``, in the order written."""
    z = load_npz(path)
    if "datasets" not in z or "offsets" not in z:
        raise GomError(
            f"{path} is not an edge file of this gom: rebuild it with `snakemake --cores all --forcerun {path}`"
        )
    offsets = z["offsets"]
    metrics = [k[len("metric_") :] for k in z if k.startswith("metric_")]
    return [
        (
            str(name),
            int(z["rows"][i]),
            [str(p) for p in z["partners"][offsets[i] : offsets[i + 1]]],
            z["partner_rows"][offsets[i] : offsets[i + 1]],
            {m: z[f"metric_{m}"][offsets[i] : offsets[i + 1]] for m in metrics},
        )
        for i, name in enumerate(z["datasets"])
    ]


def check_record(record: tuple, path, name: str, partners: list[str], metrics: list[str]) -> None:
    """GomError unless ``record`` is ``name``'s edges to exactly ``partners``, with finite ``metrics``."""
    problem = None
    if record[0] != name:
        problem = f"holds the edges of dataset '{record[0]}', not of '{name}'"
    elif record[2] != list(partners):
        problem = f"holds edges of '{name}' to other datasets than those listed before it in the config"
    elif missing := [m for m in metrics if m not in record[4]]:
        problem = f"lacks metric(s) {', '.join(missing)}"
    elif not all(np.isfinite(record[4][m]).all() for m in metrics):
        problem = "holds a value that is not a finite number"
    if problem:
        raise GomError(f"{path} {problem}: rebuild it with `snakemake --cores all --forcerun {path}`")
