"""Stage 4, edge: the similarity metrics of one pair of datasets, from their two profiles.

- ``mean_cosine``: the exact mean of all N*M pairwise cosines. For unit rows,
  mean_ij(a_i . b_j) = mean(a) . mean(b), so it costs O(N+M) and the N x M matrix is never
  built. A dataset's self-similarity under it is |mean|^2, which is below 1.
- ``centroid_cosine``: the cosine of the two mean vectors (self-similarity 1).
- ``jaccard``: |A & B| / |A | B| of the two normalised item sets.
- ``tfidf_cosine``: the mean pairwise cosine of scikit-learn TF-IDF vectors (default
  TfidfVectorizer: smooth idf, l2 rows) fitted on the union of the pair's texts. The IDF of
  the union follows from the two datasets' document frequencies, and the mean is again
  taken through mean vectors, so no text is re-tokenised per pair. Because it is fitted per
  pair, adding a dataset never changes existing edges.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse

from gom.io import write_json
from gom.profiles import Profile, load_profile


def mean_cosine(a: Profile, b: Profile) -> float:
    return float(a.mean @ b.mean)


def centroid_cosine(a: Profile, b: Profile) -> float:
    norm = np.linalg.norm(a.mean) * np.linalg.norm(b.mean)
    return float(a.mean @ b.mean / norm) if norm > 0 else 0.0


def jaccard(a: Profile, b: Profile) -> float:
    union = np.union1d(a.items, b.items).size
    return float(np.intersect1d(a.items, b.items).size / union) if union else 0.0


def _tfidf_mean(counts: sparse.csr_matrix, idf: np.ndarray) -> np.ndarray:
    """Mean of the l2-normalised TF-IDF rows of ``counts`` (zero rows stay zero, as in scikit-learn)."""
    weighted = counts.astype(np.float64) @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return np.asarray(weighted.T @ inv).ravel() / max(counts.shape[0], 1)


def tfidf_cosine(a: Profile, b: Profile) -> float:
    profiles = [a] if a is b else [a, b]
    vocab, inverse = np.unique(np.concatenate([p.vocab for p in profiles]), return_inverse=True)
    if vocab.size == 0:
        return 0.0
    columns = np.split(inverse.reshape(-1), np.cumsum([p.vocab.size for p in profiles])[:-1])
    doc_freq = np.zeros(vocab.size)
    for p, cols in zip(profiles, columns):
        doc_freq[cols] += p.doc_freq
    n_docs = sum(p.n_rows for p in profiles)
    idf = np.log((1 + n_docs) / (1 + doc_freq)) + 1  # scikit-learn's smooth_idf formula
    means = []
    for p, cols in zip(profiles, columns):
        full = np.zeros(vocab.size)
        full[cols] = _tfidf_mean(p.counts, idf[cols])
        means.append(full)
    return float(means[0] @ means[-1])


METRICS = {
    "mean_cosine": mean_cosine,
    "centroid_cosine": centroid_cosine,
    "jaccard": jaccard,
    "tfidf_cosine": tfidf_cosine,
}


def pair_metrics(a: Profile, b: Profile, metrics: list[str]) -> dict[str, float]:
    """The chosen metrics of a pair; pass the same Profile twice for a self-similarity."""
    return {m: METRICS[m](a, b) for m in metrics}


def compute_edge(
    name_a: str, name_b: str, profile_a: str | Path, profile_b: str | Path, out: str | Path, metrics: list[str]
) -> dict:
    """Write the edge file of datasets ``name_a`` and ``name_b``."""
    pa, pb = load_profile(profile_a, name_a), load_profile(profile_b, name_b)
    edge = {
        "a": name_a,
        "b": name_b,
        "rows_a": pa.n_rows,
        "rows_b": pb.n_rows,
        "metrics": pair_metrics(pa, pb, metrics),
    }
    write_json(out, edge)
    return edge
