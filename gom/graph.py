"""Stage 5, graph: all edge files -> similarity matrices, a GraphML file and pictures.

The matrices and the GraphML hold every pair; the pictures may show only each node's
strongest edges (``graph.top_k``) or those above ``graph.threshold``, so that 50+ datasets
stay readable.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import cairocffi as cairo
import igraph as ig
import numpy as np

from gom.drawing import ramp as _ramp
from gom.edges import load_edges, pair_metrics
from gom.io import atomic_path
from gom.matrices import write_matrix
from gom.profiles import load_profile


def similarity_matrices(
    names: list[str], edge_files: list[str | Path], self_metrics: dict[str, dict], metrics: list[str]
) -> dict[str, np.ndarray]:
    """Square symmetric matrices, one per metric, in the order of ``names`` (config order): the
    edge file of the i-th dataset fills row i left of the diagonal and column i above it."""
    n = len(names)
    mats = {m: np.full((n, n), np.nan) for m in metrics}
    for i, (name, path) in enumerate(zip(names, edge_files)):
        values = load_edges(path, name, names[:i], metrics)
        for m in metrics:
            mats[m][i, :i] = mats[m][:i, i] = values[m]
            mats[m][i, i] = self_metrics[name][m]
    return mats


def build_graph(
    names: list[str], rows: dict[str, int], mats: dict[str, np.ndarray], self_metrics: dict[str, dict]
) -> ig.Graph:
    """Complete undirected graph: nodes carry row counts and self-similarities, edges every metric."""
    g = ig.Graph(n=len(names))
    g.vs["name"] = names
    g.vs["rows"] = [rows[n] for n in names]
    for m in mats:
        g.vs[f"self_{m}"] = [self_metrics[n][m] for n in names]
    upper = np.triu_indices(len(names), 1)
    g.add_edges(list(zip(upper[0].tolist(), upper[1].tolist())))
    for m, mat in mats.items():
        g.es[m] = mat[upper].tolist()
    return g


def drawn_edges(g: ig.Graph, metric: str, top_k: int | None, threshold: float | None) -> list[int]:
    """Ids of the edges a picture shows: above ``threshold`` and in the top ``top_k`` of either end."""
    weights = g.es[metric] if g.ecount() else []
    keep = {e.index for e in g.es if threshold is None or weights[e.index] >= threshold}
    if top_k is not None:
        best: set[int] = set()
        for v in range(g.vcount()):
            incident = [e for e in g.incident(v) if e in keep]
            best.update(sorted(incident, key=lambda e: -weights[e])[:top_k])
        keep &= best
    return sorted(keep)


def _layout(g: ig.Graph, metric: str, kind: str, seed: int) -> ig.Layout:
    random.seed(seed)
    ig.set_random_number_generator(random)
    if kind == "circle" or g.vcount() < 3:
        return g.layout_circle()
    if kind == "kamada_kawai":
        return g.layout_kamada_kawai()
    weights = np.asarray(g.es[metric], dtype=float) if g.ecount() else np.array([])
    if weights.size:
        span = weights.max() - weights.min()
        # Stronger similarity pulls harder; keep every weight positive for the layout.
        weights = 0.05 + (weights - weights.min()) / span if span > 0 else np.ones_like(weights)
    return g.layout_fruchterman_reingold(weights=list(weights) if weights.size else None, niter=1000)


def draw(
    g: ig.Graph,
    metric: str,
    png: str | Path,
    svg: str | Path,
    top_k: int | None = 5,
    threshold: float | None = None,
    layout: str = "fruchterman_reingold",
    size: int = 900,
    seed: int = 42,
) -> dict:
    """Draw the graph for one metric as PNG and SVG; returns what was drawn."""
    keep = drawn_edges(g, metric, top_k, threshold)
    sub = g.subgraph_edges(keep, delete_vertices=False)
    lay = _layout(sub if sub.ecount() else g, metric, layout, seed)
    weights = np.asarray(sub.es[metric], dtype=float) if sub.ecount() else np.array([])
    lo, hi = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    scaled = [(w - lo) / span for w in weights] if hi > lo else [1.0] * len(weights)

    rows = np.asarray(g.vs["rows"], dtype=float)
    big = max(rows.max(), 1.0)
    n = g.vcount()
    max_node = max(14.0, min(70.0, size / (3.5 * math.sqrt(n) + 2)))
    style = {
        "layout": lay,
        "vertex_size": [max(8.0, max_node * math.sqrt(r / big)) for r in rows],
        "vertex_color": "#f4a259",
        "vertex_frame_color": "#7a4a1e",
        "vertex_label": g.vs["name"],
        "vertex_label_size": 14 if n <= 20 else (11 if n <= 60 else 8),
        "vertex_label_dist": 1.6,
        "vertex_label_color": "#222222",
        "edge_width": [1.0 + 7.0 * s for s in scaled],
        "edge_color": [_ramp(0.15 + 0.85 * s) for s in scaled],
        "edge_curved": False,
        # Weights written on the edges while there are few enough to read.
        "edge_label": [f"{w:.3f}" for w in weights] if 0 < len(weights) <= 30 else None,
        "edge_label_size": 11,
        "edge_label_color": "#333333",
        "margin": 60,
    }
    title = f"{metric}: {n} datasets, {sub.ecount()} of {g.ecount()} edges drawn"
    if top_k is not None:
        title += f" (top {top_k} per node"
        title += f", >= {threshold:g})" if threshold is not None else ")"
    elif threshold is not None:
        title += f" (>= {threshold:g})"

    for path, kind in ((png, "png"), (svg, "svg")):
        with atomic_path(path) as tmp:
            surface = (
                cairo.SVGSurface(str(tmp), size, size)
                if kind == "svg"
                else cairo.ImageSurface(cairo.FORMAT_ARGB32, size, size)
            )
            ctx = cairo.Context(surface)
            plot = ig.Plot(target=surface, bbox=(size, size), background="white")
            plot.add(sub, bbox=(0, 40, size, size - 50), **style)
            plot.redraw(ctx)
            _annotate(ctx, size, title, lo, hi)
            if kind == "png":
                surface.write_to_png(str(tmp))
            surface.finish()
    return {"metric": metric, "edges_drawn": sub.ecount(), "edges_total": g.ecount(), "weight_range": [lo, hi]}


def _annotate(ctx, size: int, title: str, lo: float, hi: float) -> None:
    """Title at the top, colour legend of edge weights at the bottom."""
    ctx.set_source_rgb(0.1, 0.1, 0.1)
    ctx.select_font_face("sans-serif", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_BOLD)
    ctx.set_font_size(16)
    ctx.move_to(16, 26)
    ctx.show_text(title)
    x0, y0, w, h = 16, size - 34, min(260, size // 3), 12
    for i in range(w):
        ctx.set_source_rgb(*_ramp(0.15 + 0.85 * i / (w - 1)))
        ctx.rectangle(x0 + i, y0, 1, h)
        ctx.fill()
    ctx.set_source_rgb(0.1, 0.1, 0.1)
    ctx.select_font_face("sans-serif", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_NORMAL)
    ctx.set_font_size(12)
    ctx.move_to(x0, y0 + h + 14)
    ctx.show_text(f"{lo:.3g}")
    label = f"{hi:.3g}"
    ctx.move_to(x0 + w - ctx.text_extents(label)[4], y0 + h + 14)
    ctx.show_text(label)
    ctx.move_to(x0 + w + 12, y0 + h - 1)
    ctx.show_text("edge weight (colour and width); node size: rows")


def build_similarity_graph(
    names: list[str],
    edge_files: list[str | Path],
    profile_files: list[str | Path],
    metrics: list[str],
    matrices: dict[str, str | Path],
    graphml: str | Path,
    pictures: dict[str, tuple[str | Path, str | Path]],
    drawing: dict,
) -> ig.Graph:
    """Assemble the graph stage's outputs from every edge file and every dataset profile.

    ``matrices`` maps metric -> CSV path, ``pictures`` metric -> (PNG path, SVG path);
    ``drawing`` is the config's ``graph`` section.
    """
    rows, self_metrics = {}, {}
    for name, path in zip(names, profile_files):
        profile = load_profile(path, name)
        rows[name] = profile.n_rows
        self_metrics[name] = pair_metrics(profile, profile, metrics)
    mats = similarity_matrices(names, edge_files, self_metrics, metrics)
    for metric, mat in mats.items():
        write_matrix(matrices[metric], names, mat)
    g = build_graph(names, rows, mats, self_metrics)
    with atomic_path(graphml) as tmp:
        g.write_graphml(str(tmp))
    for metric in metrics:
        png, svg = pictures[metric]
        draw(g, metric, png, svg, **drawing)
    return g
