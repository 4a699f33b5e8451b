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

from gom.communities import find_communities, overview_graph
from gom.drawing import ramp as _ramp
from gom.edge_jobs import check_record, read_edges
from gom.edges import pair_metrics
from gom.errors import GomError
from gom.io import atomic_path, write_json
from gom.matrices import write_matrix
from gom.profiles import load_profile


def similarity_matrices(
    names: list[str], edge_files: list[str | Path], self_metrics: dict[str, dict], metrics: list[str]
) -> dict[str, np.ndarray]:
    """Square symmetric matrices, one per metric, in the order of ``names`` (config order): the
    edges of the i-th dataset (in its own or its block's edge file) fill row i left of the
    diagonal and column i above it."""
    n = len(names)
    position = {name: i for i, name in enumerate(names)}
    mats = {m: np.full((n, n), np.nan) for m in metrics}
    seen: set[str] = set()
    for path in edge_files:
        for record in read_edges(path):
            name = record[0]
            if name not in position or name in seen:
                why = "another file also holds" if name in seen else "is not a configured dataset"
                raise GomError(
                    f"{path} holds edges of '{name}', which {why}: rebuild it with "
                    f"`snakemake --cores all --forcerun {path}`"
                )
            i = position[name]
            check_record(record, path, name, names[:i], metrics)
            seen.add(name)
            for m in metrics:
                mats[m][i, :i] = mats[m][:i, i] = record[4][m]
    if missing := [n for n in names if n not in seen]:
        raise GomError(f"no edge file holds the edges of {', '.join(map(repr, missing[:5]))}")
    for m in metrics:
        np.fill_diagonal(mats[m], [self_metrics[name][m] for name in names])
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
    community_labels: dict[int, str] | None = None,
    noun: str = "datasets",
) -> dict:
    """Draw the graph for one metric as PNG and SVG; returns what was drawn.

    Past ``LABEL_LIMIT`` nodes, node names would overlap: nodes are coloured by their
    ``community`` (a node attribute) and each community is named once, at its centre."""
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
    by_community = n > LABEL_LIMIT and community_labels is not None and "community" in g.vs.attributes()
    max_node = max(14.0 if not by_community else 5.0, min(70.0, size / (3.5 * math.sqrt(n) + 2)))
    style = {
        "layout": lay,
        "vertex_size": [max(8.0 if not by_community else 4.0, max_node * math.sqrt(r / big)) for r in rows],
        "vertex_color": [PALETTE[c % len(PALETTE)] for c in g.vs["community"]]
        if by_community or noun == "communities"
        else "#f4a259",
        "vertex_frame_color": "#7a4a1e" if not by_community else None,
        "vertex_label": g.vs["name"] if not by_community else None,
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
        "margin": 60 if noun == "datasets" else 110,
    }
    title = f"{metric}: {n} {noun}, {sub.ecount()} of {g.ecount()} edges drawn"
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
            if by_community:
                _label_communities(ctx, lay, g.vs["community"], community_labels, (60, 100, size - 60, size - 110))
            _annotate(ctx, size, title, lo, hi)
            if kind == "png":
                surface.write_to_png(str(tmp))
            surface.finish()
    return {"metric": metric, "edges_drawn": sub.ecount(), "edges_total": g.ecount(), "weight_range": [lo, hi]}


LABEL_LIMIT = 40  # above this many datasets, pictures name communities instead of nodes
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]


def _label_communities(ctx, lay: ig.Layout, membership, labels: dict[int, str], box) -> None:
    """Each community's label at the centre of its nodes (the layout fitted into ``box`` as igraph draws it)."""
    coords = np.array(lay.coords, dtype=float)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    x0, y0, x1, y1 = box
    points = np.c_[x0 + (coords[:, 0] - lo[0]) / span[0] * (x1 - x0), y0 + (coords[:, 1] - lo[1]) / span[1] * (y1 - y0)]
    membership = np.asarray(membership)
    ctx.select_font_face("sans-serif", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_BOLD)
    ctx.set_font_size(11)
    for c in sorted(set(membership.tolist()))[: len(PALETTE) * 2]:  # the largest communities
        x, y = points[membership == c].mean(axis=0)
        text = labels[c] if len(labels[c]) <= 48 else labels[c][:47] + "…"
        width = ctx.text_extents(text)[4]
        ctx.set_source_rgba(1, 1, 1, 0.8)
        ctx.rectangle(x - width / 2 - 3, y - 12, width + 6, 16)
        ctx.fill()
        ctx.set_source_rgb(*[int(PALETTE[c % len(PALETTE)][k : k + 2], 16) / 400 for k in (1, 3, 5)])
        ctx.move_to(x - width / 2, y)
        ctx.show_text(text)


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
    communities: dict[str, str | Path],
) -> ig.Graph:
    """Assemble the graph stage's outputs from every edge file and every dataset profile.

    ``matrices`` maps metric -> CSV path, ``pictures`` metric -> (PNG path, SVG path);
    ``drawing`` is the config's ``graph`` section; ``communities`` maps csv, json, png and svg to
    the paths of the communities table, report and overview picture.
    """
    rows, self_metrics, profiles = {}, {}, []
    for name, path in zip(names, profile_files):
        profile = load_profile(path, name)
        profiles.append(profile)
        rows[name] = profile.n_rows
        self_metrics[name] = pair_metrics(profile, profile, metrics)
    mats = similarity_matrices(names, edge_files, self_metrics, metrics)
    for metric, mat in mats.items():
        write_matrix(matrices[metric], names, mat)
    g = build_graph(names, rows, mats, self_metrics)
    drawing = dict(drawing)
    metric = drawing.pop("community_metric", None) or metrics[0]  # the config check keeps it among metrics
    edges = drawn_edges(g, metric, drawing.get("top_k") or 5, None)
    found = find_communities(g, profiles, mats[metric], metric, edges, drawing.get("seed", 42))
    g.vs["community"] = found["membership"]
    with atomic_path(graphml) as tmp:
        g.write_graphml(str(tmp))
    write_communities(communities, names, found)
    for m in metrics:
        png, svg = pictures[m]
        draw(g, m, png, svg, community_labels=found["labels"], **drawing)
    overview = overview_graph(found, metric)
    overview.vs["community"] = list(range(overview.vcount()))
    overview_drawing = {**drawing, "top_k": 3, "threshold": None}
    draw(overview, metric, communities["png"], communities["svg"], noun="communities", **overview_drawing)
    return g


def write_communities(paths: dict[str, str | Path], names: list[str], found: dict) -> None:
    """communities.csv (dataset, community, label, rows) and communities.json (the measures)."""
    import polars as pl

    membership = found["membership"]
    table = pl.DataFrame(
        {
            "dataset": names,
            "community": membership,
            "community_label": [found["labels"][c] for c in membership],
        }
    )
    with atomic_path(paths["csv"]) as tmp:
        table.write_csv(tmp)
    report = {k: v for k, v in found.items() if k not in ("membership", "between", "labels", "sizes")}
    report["list"] = [
        {"community": c, "label": found["labels"][c], "datasets": found["sizes"][c]}
        for c in range(found["communities"])
    ]
    write_json(paths["json"], report)
