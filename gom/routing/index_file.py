"""Reading a router index file (written by the route_index job, or by someone else): every
array and the choice are checked before the index is used."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from gom import paths
from gom.errors import GomError
from gom.io import load_npz
from gom.routing.choice import ABSTAIN_SCORES, METHODS, Choice
from gom.routing.index import Index
from gom.routing.linear import Lexical, Linear


def load_index(path: str | Path) -> Index:
    """The index written by the route_index job, with the choice made on validation rows."""
    path = Path(path)
    if not path.exists():
        raise GomError(f"no router index at {path}: build it with `snakemake --cores all {paths.ROUTER_INDEX}`")
    z = load_npz(path)
    rebuild = f"rebuild it with `snakemake --cores all --forcerun {path}`"
    if "choice" not in z:
        raise GomError(f"{path} was written by an older gom (it holds no router choice): {rebuild}")
    try:
        stored = json.loads(str(z["choice"]))
        if not isinstance(stored, dict):
            raise TypeError(f"a JSON {type(stored).__name__}, not an object")
        choice = Choice.from_dict(stored)
    except (ValueError, TypeError) as e:
        raise GomError(f"{path}: its router choice is not readable ({e}): {rebuild}") from None
    try:
        if z["names"].ndim != 1:
            raise ValueError("names is not a list")
        index = Index(
            list(map(str, z["names"])),
            str(z["model"]),
            z["centroids"],
            z["vectors"],
            z["labels"],
            rows=z["rows"] if "rows" in z else None,
            linear=Linear.from_arrays(z),
            lexical=Lexical.from_arrays(z),
            choice=choice,
        )
    except (KeyError, ValueError, TypeError) as e:
        raise GomError(f"{path}: its arrays are incomplete or malformed ({e}): {rebuild}") from None
    check_index(index, path)
    return index


def check_index(index: Index, path: str | Path) -> None:
    """Refuse an index whose names could lead outside models/, whose arrays do not fit together
    or whose choice names a scorer it cannot run."""
    from gom.config import check_names

    rebuild = f"rebuild it with `snakemake --cores all --forcerun {path}`"
    try:
        check_names(index.names)
    except GomError as e:
        raise GomError(f"{path} holds a dataset name that gom never writes ({e}): {rebuild}") from None
    n, dim = index.centroids.shape if index.centroids.ndim == 2 else (-1, -1)
    linear, lexical = index.linear, index.lexical
    fits = (
        n == len(index.names)
        and index.vectors.ndim == 2
        and index.vectors.shape[1] == dim
        and index.labels.shape == (len(index.vectors),)
        and np.issubdtype(index.labels.dtype, np.integer)
        and (
            index.rows is None
            or (
                index.rows.shape == index.labels.shape
                and np.issubdtype(index.rows.dtype, np.integer)
                and (len(index.rows) == 0 or index.rows.min() >= 0)
            )
        )
        and (len(index.labels) == 0 or 0 <= index.labels.min() and index.labels.max() < n)
        and (linear is None or (linear.coef.shape == (n, dim) and linear.intercept.shape == (n,)))
        and (
            lexical is None
            or (
                lexical.vocabulary.ndim == 1
                and lexical.coef.shape == (n, len(lexical.vocabulary))
                and lexical.intercept.shape == (n,)
                and lexical.idf.shape == lexical.vocabulary.shape
                and len(set(lexical.vocabulary.tolist())) == len(lexical.vocabulary)
            )
        )
    )
    if not fits:
        raise GomError(f"{path}: its names, centroids, vectors and labels do not fit together: {rebuild}")
    arrays = [index.centroids, index.vectors]
    arrays += [] if linear is None else [linear.coef, linear.intercept]
    arrays += [] if lexical is None else [lexical.coef, lexical.intercept, lexical.idf]
    if not all(np.issubdtype(a.dtype, np.floating) and np.isfinite(a).all() for a in arrays):
        raise GomError(f"{path} holds NaN or infinite embeddings or coefficients: {rebuild}")
    c = index.choice

    def number(x) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x))

    def count(x) -> bool:
        return isinstance(x, int) and not isinstance(x, bool) and x >= 1

    usable = (
        c.router in METHODS
        and c.abstain_score in ABSTAIN_SCORES
        and count(c.k)
        and count(c.graph_neighbours)
        and number(c.weight)
        and 0 <= c.weight <= 1
        and number(c.graph_alpha)
        and 0 <= c.graph_alpha < 1
        and (c.threshold is None or number(c.threshold))
        and (c.router not in ("linear", "fusion") or linear is not None)
        and (c.router not in ("lexical", "fusion") or lexical is not None)
    )
    if not usable:
        raise GomError(f"{path}: its router choice {asdict(c)} is not one gom can run: {rebuild}")
