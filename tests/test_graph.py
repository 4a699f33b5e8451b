import json
import struct

import igraph as ig
import numpy as np
import polars as pl
import pytest

from gom.edge_jobs import save_edges
from gom.errors import GomError
from gom.graph import build_similarity_graph, drawn_edges
from gom.profiles import build_profile, save_profile

METRICS = ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]
JACCARD = {"separator": ",", "lowercase": True, "strip_punctuation": True}


def _png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _setup(tmp_path, n=4):
    rng = np.random.default_rng(0)
    names = [f"d{i}" for i in range(n)]
    for i, name in enumerate(names):
        texts = [f"lime, mint, item{i}{j}" for j in range(5 + i)]
        save_profile(
            build_profile(texts, rng.normal(size=(len(texts), 8)) + i, texts, JACCARD), tmp_path / f"{name}.npz", name
        )
    edges = []
    (tmp_path / "edges").mkdir(exist_ok=True)
    for j, b in enumerate(names):
        path = tmp_path / "edges" / f"{b}.npz"
        # the pair of the i-th and j-th dataset (i < j) gets 0.1 (i + 1), plus 0.01 per metric,
        # so a mix-up between pairs or matrices fails
        values = {m: [0.1 * (i + 1) + 0.01 * k for i in range(j)] for k, m in enumerate(METRICS)}
        save_edges(path, [(b, 5 + j, names[:j], [5 + i for i in range(j)], values)])
        edges.append(path)
    return names, edges


def _build(tmp_path, names, edges, drawing=None):
    out = tmp_path / "graph"
    return build_similarity_graph(
        names,
        edges,
        [tmp_path / f"{n}.npz" for n in names],
        METRICS,
        {m: out / f"matrix_{m}.csv" for m in METRICS},
        out / "graph.graphml",
        {m: (out / f"graph_{m}.png", out / f"graph_{m}.svg") for m in METRICS},
        drawing or {"top_k": 2, "threshold": None, "layout": "fruchterman_reingold", "size": 400, "seed": 1},
        {k: out / f"communities.{k}" for k in ("csv", "json", "png", "svg")},
    ), out


def test_graph_outputs(tmp_path):
    names, edges = _setup(tmp_path)
    g, out = _build(tmp_path, names, edges)
    for k, m in enumerate(METRICS):
        table = pl.read_csv(out / f"matrix_{m}.csv")
        assert table.columns == ["dataset", *names] and table["dataset"].to_list() == names
        mat = table.drop("dataset").to_numpy()
        assert np.allclose(mat, mat.T)
        assert mat[0, 1] == pytest.approx(0.1 + 0.01 * k) and mat[2, 3] == pytest.approx(0.3 + 0.01 * k)
        assert _png_size(out / f"graph_{m}.png") == (400, 400)
        assert (out / f"graph_{m}.svg").read_text().lstrip().startswith("<?xml")
    diag = {m: np.diag(pl.read_csv(out / f"matrix_{m}.csv").drop("dataset").to_numpy()) for m in METRICS}
    assert np.allclose(diag["centroid_cosine"], 1.0) and np.allclose(diag["jaccard"], 1.0)
    assert (diag["mean_cosine"] < 1).all() and (diag["tfidf_cosine"] < 1).all()
    loaded = ig.Graph.Read_GraphML(str(out / "graph.graphml"))
    assert loaded.vcount() == 4 and loaded.ecount() == 6
    assert loaded.vs["name"] == names and loaded.vs["rows"] == [5, 6, 7, 8]
    assert set(METRICS) <= set(loaded.es.attributes())


def test_an_edge_file_missing_a_pair_is_reported(tmp_path):
    names, edges = _setup(tmp_path)
    save_edges(edges[3], [("d3", 8, names[:2], [5, 6], {m: [0.1, 0.2] for m in METRICS})])
    with pytest.raises(GomError, match=r"d3.npz holds edges of 'd3' to other datasets than those listed before it"):
        _build(tmp_path, names, edges)


def test_top_k_and_threshold_limit_drawn_edges():
    g = ig.Graph.Full(5)
    g.es["w"] = [float(i) for i in range(g.ecount())]
    assert len(drawn_edges(g, "w", None, None)) == 10
    one = drawn_edges(g, "w", 1, None)
    for v in range(5):  # every node keeps its strongest edge
        best = max(g.incident(v), key=lambda e: g.es[e]["w"])
        assert best in one
    assert len(one) < 10
    assert drawn_edges(g, "w", None, 7.0) == [7, 8, 9]
    assert set(drawn_edges(g, "w", 1, 8.0)) <= {8, 9}


def test_single_dataset_graph(tmp_path):
    names, edges = _setup(tmp_path, n=1)
    g, out = _build(tmp_path, names, edges)
    assert g.vcount() == 1 and g.ecount() == 0
    assert pl.read_csv(out / "matrix_jaccard.csv").shape == (1, 2)


def test_a_copied_edge_or_profile_is_named_not_used(tmp_path):
    import shutil

    from gom.errors import GomError

    names, edges = _setup(tmp_path)
    shutil.copy(edges[2], edges[1])  # another dataset's edges under this dataset's name
    with pytest.raises(GomError, match=r"edges/d2.npz holds edges of 'd2', which another file also holds"):
        _build(tmp_path, names, edges)
    names, edges = _setup(tmp_path)
    shutil.copy(tmp_path / "d2.npz", tmp_path / "d1.npz")
    with pytest.raises(GomError, match=r"d1.npz holds the profile of dataset 'd2', not of 'd1'"):
        _build(tmp_path, names, edges)


def test_communities_of_many_datasets_are_found_named_and_drawn(tmp_path):
    """45 datasets on three topics: three communities, each named by its topic's words."""
    from gom.edges import edges_to_set
    from gom.graph import LABEL_LIMIT
    from gom.profile_sets import ProfileSet

    rng = np.random.default_rng(3)
    topics = {
        "citrus": ["lemon", "lime", "orange"],
        "engine": ["piston", "valve", "crank"],
        "poetry": ["verse", "rhyme", "stanza"],
    }
    centres = {t: rng.normal(size=8) * 3 for t in topics}
    names, profiles = [], []
    for i in range(45):
        topic = list(topics)[i % 3]
        texts = [" ".join(rng.choice(topics[topic], 2)) + f" note{i} x{j}" for j in range(6)]
        vectors = centres[topic] + rng.normal(size=(6, 8))
        profile = build_profile(texts, vectors, texts, JACCARD)
        names.append(f"{topic}{i}")
        profiles.append(profile)
        save_profile(profile, tmp_path / f"{names[-1]}.npz", names[-1])
    (tmp_path / "edges").mkdir()
    edges = []
    for i, name in enumerate(names):
        values = edges_to_set(profiles[i], ProfileSet.from_profiles(names[:i], profiles[:i], 8), METRICS)
        save_edges(tmp_path / "edges" / f"{name}.npz", [(name, 6, names[:i], [6] * i, values)])
        edges.append(tmp_path / "edges" / f"{name}.npz")
    assert len(names) > LABEL_LIMIT
    drawing = {"top_k": 4, "threshold": None, "layout": "fruchterman_reingold", "size": 600, "seed": 1}
    g, out = _build(tmp_path, names, edges, {**drawing, "community_metric": "tfidf_cosine"})
    table = pl.read_csv(out / "communities.csv")
    assert table["dataset"].to_list() == names
    by_topic = {t: set(table.filter(pl.col("dataset").str.starts_with(t))["community"].to_list()) for t in topics}
    assert all(len(c) == 1 for c in by_topic.values()) and len(set.union(*by_topic.values())) == 3
    for topic, words in topics.items():
        label = table.filter(pl.col("dataset").str.starts_with(topic))["community_label"][0]
        assert any(w in label for w in words), label
    report = json.loads((out / "communities.json").read_text())
    assert report["communities"] == 3 and report["metric"] == "tfidf_cosine"
    assert report["modularity"] > 0.5 and report["silhouette"] > 0.5 and "3" in report["kmeans_silhouette"]
    assert ig.Graph.Read_GraphML(str(out / "graph.graphml")).vs["community"] == table["community"].to_list()
    assert _png_size(out / "communities.png") == (600, 600) and _png_size(out / "graph_jaccard.png") == (600, 600)


def test_a_few_datasets_get_one_labelled_community_overview(tmp_path):
    names, edges = _setup(tmp_path, n=3)
    g, out = _build(tmp_path, names, edges)
    table = pl.read_csv(out / "communities.csv")
    assert table.columns == ["dataset", "community", "community_label"] and table.height == 3
    assert json.loads((out / "communities.json").read_text())["metric"] == "mean_cosine"
    assert (out / "communities.svg").read_text().lstrip().startswith("<?xml")
