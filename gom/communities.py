"""Communities of the similarity graph: which datasets belong together, and how well.

Communities are found by igraph's multilevel (Louvain) method on the graph of each dataset's
``top_k`` strongest edges of one metric (the complete graph of a similarity has no structure to
cut). Reported: the modularity of the partition, the silhouette of the datasets' embedding
centroids under it (cosine), and, as a reference, the silhouette of K-means on the same
centroids for each number of clusters. Each community is named by its most typical terms
(document frequency inside it against all datasets) and its largest members.
"""

from __future__ import annotations

import random

import igraph as ig
import numpy as np

from gom.profiles import Profile


def detect(g: ig.Graph, edges: list[int], metric: str, seed: int) -> tuple[list[int], float]:
    """(community of each node, modularity) on the graph of ``edges`` (each node's strongest) of ``metric``."""
    if g.vcount() < 2 or not edges:
        return [0] * g.vcount(), 0.0
    sub = g.subgraph_edges(edges, delete_vertices=False)
    weights = np.asarray(sub.es[metric], dtype=float)
    weights = np.clip(weights - min(weights.min(), 0.0), 1e-9, None)  # modularity needs weights >= 0
    random.seed(seed)
    ig.set_random_number_generator(random)
    clusters = sub.community_multilevel(weights=list(weights))
    membership = _renumber(clusters.membership)
    return membership, float(sub.modularity(membership, weights=list(weights)))


def _renumber(membership: list[int]) -> list[int]:
    """Communities numbered by size, largest first (ties by first member), so numbers are stable."""
    sizes = {}
    for i, c in enumerate(membership):
        sizes.setdefault(c, [0, i])[0] += 1
    order = sorted(sizes, key=lambda c: (-sizes[c][0], sizes[c][1]))
    rank = {c: r for r, c in enumerate(order)}
    return [rank[c] for c in membership]


def centroids(profiles: list[Profile]) -> np.ndarray:
    means = np.vstack([p.mean for p in profiles])
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return means / np.where(norms == 0, 1.0, norms)


def silhouette(points: np.ndarray, labels: list[int]) -> float | None:
    """Cosine silhouette of ``labels``; None where it is undefined (one cluster, or one per point)."""
    from sklearn.metrics import silhouette_score

    k = len(set(labels))
    if not 2 <= k <= len(points) - 1:
        return None
    return float(silhouette_score(points, labels, metric="cosine"))


def kmeans_silhouettes(points: np.ndarray, ks: list[int], seed: int) -> dict[int, float]:
    """Silhouette of K-means on ``points`` for each k (the reference the communities compare with)."""
    from sklearn.cluster import KMeans

    out = {}
    for k in ks:
        if 2 <= k <= len(points) - 1:
            labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(points)
            score = silhouette(points, labels.tolist())
            if score is not None:
                out[k] = score
    return out


def typical_terms(profiles: list[Profile], membership: list[int], top: int = 3) -> dict[int, list[str]]:
    """Per community, the terms whose share of rows inside it most exceeds their share overall."""
    vocab, inverse = np.unique(np.concatenate([p.vocab for p in profiles]), return_inverse=True)
    if vocab.size == 0:
        return {c: [] for c in set(membership)}
    columns = np.split(inverse.reshape(-1), np.cumsum([p.vocab.size for p in profiles])[:-1])
    k = max(membership) + 1
    df, rows = np.zeros((k, vocab.size)), np.zeros(k)
    for p, cols, c in zip(profiles, columns, membership):
        df[c, cols] += p.doc_freq
        rows[c] += p.n_rows
    inside = df / np.maximum(rows, 1)[:, None]
    overall = df.sum(axis=0) / max(rows.sum(), 1)
    score = inside - overall[None, :]
    return {c: [str(vocab[t]) for t in np.argsort(-score[c], kind="stable")[:top] if score[c, t] > 0] for c in range(k)}


def community_labels(
    names: list[str], rows: list[int], profiles: list[Profile], membership: list[int]
) -> dict[int, str]:
    """A short name per community: its most typical terms, then its largest members."""
    terms = typical_terms(profiles, membership)
    labels = {}
    for c in sorted(set(membership)):
        members = sorted((i for i, m in enumerate(membership) if m == c), key=lambda i: (-rows[i], names[i]))
        largest = ", ".join(names[i] for i in members[:2]) + (f" +{len(members) - 2}" if len(members) > 2 else "")
        labels[c] = f"{' '.join(terms[c])} ({largest})" if terms[c] else largest
    return labels


def find_communities(
    g: ig.Graph, profiles: list[Profile], matrix: np.ndarray, metric: str, edges: list[int], seed: int
) -> dict:
    """Communities of ``g`` on ``edges`` of ``metric``, with their labels and quality measures."""
    names, rows = g.vs["name"], g.vs["rows"]
    membership, modularity = detect(g, edges, metric, seed)
    points = centroids(profiles)
    k = max(membership) + 1
    ks = sorted({2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, k} - {0, 1})
    return {
        "metric": metric,
        "method": "igraph multilevel (Louvain) on each dataset's strongest edges",
        "communities": k,
        "modularity": modularity,
        "silhouette": silhouette(points, membership),
        "kmeans_silhouette": {str(c): v for c, v in kmeans_silhouettes(points, ks, seed).items()},
        "membership": membership,
        "labels": community_labels(names, rows, profiles, membership),
        "sizes": np.bincount(membership, minlength=k).tolist(),
        "between": _between(matrix, membership, k),
    }


def _between(matrix: np.ndarray, membership: list[int], k: int) -> np.ndarray:
    """Mean similarity between the members of each two communities (k x k)."""
    onehot = np.zeros((len(membership), k))
    onehot[np.arange(len(membership)), membership] = 1
    total = onehot.T @ matrix @ onehot
    pairs = onehot.sum(axis=0)[:, None] * onehot.sum(axis=0)[None, :]
    return total / np.maximum(pairs, 1)


def overview_graph(found: dict, metric: str) -> ig.Graph:
    """The communities as a graph: a node per community (rows = its datasets), edges the mean similarity."""
    k = found["communities"]
    cg = ig.Graph.Full(k)
    cg.vs["name"] = [f"{c}: {found['labels'][c]}" for c in range(k)]
    cg.vs["rows"] = found["sizes"]
    cg.es[metric] = [float(found["between"][e.source, e.target]) for e in cg.es]
    return cg
