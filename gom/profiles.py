"""Stage 3, profile: everything an edge needs from one dataset, computed once per dataset.

A pair's metrics then cost O(vocabulary + non-zeros) instead of re-reading, re-tokenising and
re-fitting both datasets for each of the N(N-1)/2 pairs:

- the mean of the L2-normalised embeddings (mean_cosine, centroid_cosine);
- term counts per row, tokenised as scikit-learn's CountVectorizer does (tfidf_cosine: the pair's IDF is
  fitted from the two datasets' document frequencies, see ``gom.edges``);
- the normalised item set (jaccard).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gom.errors import GomError, require_columns
from gom.io import load_npy, load_npz, save_npz, verified

_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


@dataclass
class Profile:
    """One dataset's profile. The term counts are kept as the three arrays of a CSR matrix
    (rows x terms), so that reading a profile needs numpy alone (edge jobs start faster);
    ``counts`` builds the scipy matrix when asked."""

    n_rows: int
    mean: np.ndarray  # mean of the L2-normalised embeddings, float64
    vocab: np.ndarray  # terms, in column order of the counts
    data: np.ndarray  # the counts' non-zero values, row by row
    indices: np.ndarray  # their term (column)
    indptr: np.ndarray  # where each row starts in data/indices (n_rows + 1)
    items: np.ndarray  # sorted normalised items

    @property
    def counts(self):
        from scipy import sparse

        return sparse.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n_rows, len(self.vocab)))

    @property
    def doc_freq(self) -> np.ndarray:
        return np.bincount(self.indices, minlength=len(self.vocab))

    @property
    def entry_rows(self) -> np.ndarray:
        """The row of each non-zero count."""
        return np.repeat(np.arange(self.n_rows), np.diff(self.indptr))


def mean_unit_vector(x: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Mean of the rows of ``x`` after L2-normalising each, in float64, in O(chunk) extra memory."""
    total = np.zeros(x.shape[1], dtype=np.float64)
    for start in range(0, x.shape[0], chunk):
        block = np.asarray(x[start : start + chunk], dtype=np.float64)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        total += (block / np.where(norms == 0, 1.0, norms)).sum(axis=0)
    return total / max(x.shape[0], 1)


def normalise_items(values, separator: str = ",", lowercase: bool = True, strip_punctuation: bool = True) -> set[str]:
    """Split list-like values on ``separator`` and normalise each item (case, punctuation, spaces)."""
    items: set[str] = set()
    for value in values:
        if value is None:
            continue
        parts = value if isinstance(value, list) else (str(value).split(separator) if separator else [str(value)])
        for part in parts:
            item = str(part)
            if lowercase:
                item = item.lower()
            if strip_punctuation:
                item = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in item)
            item = _SPACES.sub(" ", item).strip()
            if item:
                items.add(item)
    return items


def term_counts(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-row term counts as the CSR arrays (vocab, data, indices, indptr), tokenised as
    scikit-learn's CountVectorizer does by default: lower-cased, words of 2+ word characters,
    terms sorted (a test checks it equals CountVectorizer; doing it here keeps scikit-learn's
    second of import out of every profile job)."""
    rows = [Counter(_TOKEN.findall(text.lower())) for text in texts]
    vocab = sorted(set().union(*rows))
    column = {term: i for i, term in enumerate(vocab)}
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indices, data = [], []
    for r, row in enumerate(rows):
        entries = sorted((column[term], count) for term, count in row.items())
        indices += [c for c, _ in entries]
        data += [n for _, n in entries]
        indptr[r + 1] = len(indices)
    return np.array(vocab, dtype=str), np.array(data, dtype=np.int32), np.array(indices, dtype=np.int32), indptr


def build_profile(texts: list[str], embeddings: np.ndarray, item_values, jaccard: dict) -> Profile:
    vocab, data, indices, indptr = term_counts(texts)
    items = normalise_items(
        item_values,
        separator=jaccard.get("separator", ","),
        lowercase=jaccard.get("lowercase", True),
        strip_punctuation=jaccard.get("strip_punctuation", True),
    )
    return Profile(
        len(texts), mean_unit_vector(embeddings), vocab, data, indices, indptr, np.array(sorted(items), dtype=str)
    )


def profile_dataset(
    name: str, parquet: str | Path, embeddings: str | Path, out: str | Path, items_column: str, jaccard: dict
) -> Profile:
    """Write the profile of one dataset (``out``, .npz) from its parquet and embeddings."""
    import polars as pl

    table = pl.read_parquet(verified(parquet))
    require_columns(table.columns, [items_column], f"dataset '{name}' ({parquet})", "the jaccard items column")
    vectors = load_npy(embeddings, mmap_mode="r")
    if vectors.shape[0] != table.height:
        raise GomError(
            f"dataset '{name}': {embeddings} has {vectors.shape[0]} rows, {parquet} has {table.height}; re-run embed"
        )
    profile = build_profile(table["text"].to_list(), vectors, table[items_column].to_list(), jaccard)
    save_profile(profile, out, name)
    return profile


def save_profile(profile: Profile, path: str | Path, name: str = "") -> None:
    save_npz(
        path,
        dataset=np.array(name),
        n_rows=np.int64(profile.n_rows),
        mean=profile.mean,
        vocab=profile.vocab,
        data=profile.data.astype(np.int32),
        indices=profile.indices.astype(np.int32),
        indptr=profile.indptr.astype(np.int64),
        items=profile.items,
    )


def load_profile(path: str | Path, name: str | None = None) -> Profile:
    """A profile written by ``save_profile``; with ``name``, it must be that dataset's (not a copy of another's)."""
    z = load_npz(path)
    if name is not None and str(z.get("dataset", "")) != name:
        raise GomError(
            f"{path} holds the profile of dataset '{z.get('dataset', '')}', not of '{name}': rebuild it "
            f"with `snakemake --cores all --forcerun {path}`"
        )
    n, vocab = int(z["n_rows"]), z["vocab"]
    return Profile(n, z["mean"], vocab, z["data"], z["indices"], z["indptr"], z["items"])
