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

import numpy as np

from gom.profile_sets import ProfileSet
from gom.profiles import Profile


def mean_cosine(a: Profile, b: Profile) -> float:
    return float(a.mean @ b.mean)


def centroid_cosine(a: Profile, b: Profile) -> float:
    norm = np.linalg.norm(a.mean) * np.linalg.norm(b.mean)
    return float(a.mean @ b.mean / norm) if norm > 0 else 0.0


def jaccard(a: Profile, b: Profile) -> float:
    union = np.union1d(a.items, b.items).size
    return float(np.intersect1d(a.items, b.items).size / union) if union else 0.0


def _tfidf_mean(counts, idf: np.ndarray) -> np.ndarray:
    """Mean of the l2-normalised TF-IDF rows of ``counts`` (zero rows stay zero, as in scikit-learn)."""
    from scipy import sparse

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


def edges_to_set(x: Profile, others: ProfileSet, metrics: list[str], chunk: int = 256) -> dict[str, np.ndarray]:
    """The chosen metrics of ``x`` with every dataset of ``others`` at once: one array per metric,
    in ``others.names`` order, equal (to rounding) to ``pair_metrics`` of each pair."""
    if not others.names:
        return {m: np.zeros(0) for m in metrics}
    fns = {
        "mean_cosine": _mean_cosines,
        "centroid_cosine": _centroid_cosines,
        "jaccard": _jaccards,
        "tfidf_cosine": lambda x, s: _tfidf_cosines(x, s, chunk),
    }
    return {m: fns[m](x, others) for m in metrics}


def _mean_cosines(x: Profile, s: ProfileSet) -> np.ndarray:
    return s.means @ x.mean


def _centroid_cosines(x: Profile, s: ProfileSet) -> np.ndarray:
    norm = np.linalg.norm(s.means, axis=1) * np.linalg.norm(x.mean)
    return np.divide(s.means @ x.mean, norm, out=np.zeros(len(s.names)), where=norm > 0)


def _jaccards(x: Profile, s: ProfileSet) -> np.ndarray:
    j = len(s.names)
    inter = np.bincount(s.item_owner[np.isin(s.items, x.items)], minlength=j)
    union = x.items.size + np.bincount(s.item_owner, minlength=j) - inter
    return np.divide(inter, union, out=np.zeros(j), where=union > 0)


def _tfidf_cosines(x: Profile, s: ProfileSet, chunk: int) -> np.ndarray:
    """``tfidf_cosine`` of ``x`` with each dataset of ``s``: for each pair the IDF of the pair's union
    (scikit-learn's smooth idf), l2-normalised rows, cosine of the two mean rows. Only terms of
    ``x`` reach the dot product, so each side's mean is kept on x's vocabulary alone."""
    j, vx = len(s.names), x.vocab.size
    out = np.zeros(j)
    if vx == 0 or j == 0:
        return out
    # which of the others' terms are x's, and where
    pos = np.searchsorted(x.vocab, s.vocab)
    pos_ok = np.minimum(pos, vx - 1)
    shared = (pos < vx) & (x.vocab[pos_ok] == s.vocab)
    df_x = x.doc_freq.astype(np.float64)
    n_pair = (x.n_rows + s.n_rows).astype(np.float64)  # documents of each pair's union
    # the others' side: every non-zero count weighted by its pair's idf, rows l2-normalised
    term_owner = s.vocab_owner[s.entry_term]
    df_union = s.doc_freq[s.entry_term] + np.where(shared[s.entry_term], df_x[pos_ok[s.entry_term]], 0.0)
    weight = s.entry_count * (np.log((1 + n_pair[term_owner]) / (1 + df_union)) + 1)
    norms = np.sqrt(np.bincount(s.entry_row, weight * weight, minlength=s.row_owner.size))
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    keep = shared[s.entry_term]
    contribution = weight[keep] * inv[s.entry_row[keep]] / np.maximum(s.n_rows[term_owner[keep]], 1)
    mean_s = np.bincount(term_owner[keep] * vx + pos[s.entry_term[keep]], contribution, minlength=j * vx).reshape(j, vx)
    # x's side under each pair's idf, a chunk of pairs at a time (memory: chunk x |x's vocabulary|)
    df_s = np.zeros((j, vx))
    df_s[s.vocab_owner[shared], pos[shared]] = s.doc_freq[shared]
    count, term, row = x.data.astype(np.float64), x.indices.astype(np.int64), x.entry_rows
    if count.size == 0:
        return out
    by_term = np.argsort(term, kind="stable")  # x's non-zeros grouped by term, for the per-term sums
    term_starts = np.flatnonzero(np.r_[True, np.diff(term[by_term]) != 0])
    terms_present = term[by_term][term_starts]
    rows_present = np.diff(x.indptr) > 0
    for start in range(0, j, chunk):
        stop = min(start + chunk, j)
        idf = np.log((1 + n_pair[start:stop, None]) / (1 + df_x[None, :] + df_s[start:stop])) + 1
        weight = count[:, None] * idf[:, term].T  # x's non-zeros x pairs, in row order
        row_norms = np.zeros((x.n_rows, stop - start))
        row_norms[rows_present] = np.sqrt(np.add.reduceat(weight * weight, x.indptr[:-1][rows_present], axis=0))
        inv_x = np.divide(1.0, row_norms, out=np.zeros_like(row_norms), where=row_norms > 0)
        mean_x = np.zeros((vx, stop - start))
        mean_x[terms_present] = np.add.reduceat((weight * inv_x[row])[by_term], term_starts, axis=0)
        out[start:stop] = (mean_x.T * mean_s[start:stop]).sum(axis=1) / max(x.n_rows, 1)
    return out
