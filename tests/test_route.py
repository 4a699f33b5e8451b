import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from conftest import write_embeddings, write_processed

import gom.routing.evaluate
from gom.errors import GomError
from gom.matrices import neighbours
from gom.routing.data import HELD_OUT, TRAIN, VALIDATION, routing_rows
from gom.routing.evaluate import evaluate_router
from gom.routing.index import METHODS, Choice, Index, route_probabilities
from gom.routing.index_file import load_index
from gom.routing.metrics import abstention, accuracy, auroc, calibrate
from gom.routing.select import build_router
from gom.split import eval_mask, split_mask, validation_mask

SPLIT = {"fraction": 0.2, "seed": 0}
NAMES = ["fruit", "bar", "herbs"]
SETTINGS = {"method": "auto", "k": [5, 10], "false_abstain_rate": 0.05, "off_domain": None, "max_terms": 5000}
OFF = np.eye(16, dtype=np.float32)[15]  # off-domain probe: a direction no dataset uses


def records(parquets, embeddings) -> dict:
    """One record per dataset, as the rules hand them to the stages."""
    return {
        n: {"parquet": p, "embeddings": e, "split": SPLIT, "validation": 0.2}
        for n, p, e in zip(NAMES, parquets, embeddings)
    }


def off_domain_probe(monkeypatch, vector=OFF):
    monkeypatch.setattr(
        gom.routing.evaluate, "embed_queries", lambda texts, model, settings=None: np.tile(vector, (len(texts), 1))
    )


def write_datasets(tmp_path, semantic=0.35, lexical=True, rows=60, seed=0):
    """Three datasets: embeddings around three directions (``semantic`` noise; None: pure noise),
    texts carrying the dataset's own words when ``lexical``."""
    rng = np.random.default_rng(seed)
    parquets, embeddings = [], []
    for i, name in enumerate(NAMES):
        words = [f"{name}word{w}" for w in range(5)] if lexical else ["plain", "common", "words", "here", "again"]
        texts = [f"{' '.join(rng.choice(words, 3))} row {j}" for j in range(rows)]
        centre = np.zeros(16)
        if semantic is not None:
            centre[i] = 1.0
        vectors = centre + (semantic or 1.0) * rng.normal(size=(rows, 16))
        vectors[:, 15] = 0  # keep the off-domain direction free
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        write_processed(pl.DataFrame({"text": texts}), tmp_path / f"{name}.parquet")
        write_embeddings(vectors.astype(np.float32), tmp_path / f"{name}.npy")
        parquets.append(tmp_path / f"{name}.parquet")
        embeddings.append(tmp_path / f"{name}.npy")
    return records(parquets, embeddings)


@pytest.fixture
def synthetic(tmp_path, monkeypatch):
    off_domain_probe(monkeypatch)
    datasets = write_datasets(tmp_path)
    build_router(datasets, "default", SETTINGS, {}, tmp_path / "index.npz", tmp_path / "selection.json")
    return tmp_path, datasets


def test_the_validation_rows_are_training_rows_set_aside_deterministically():
    texts = [f"text {i}" for i in range(400)] + ["text 1"] * 5
    held = split_mask("d", texts, SPLIT)
    valid = validation_mask(texts, held, 0.2)
    assert not (valid & held).any() and valid.any() and (~valid & ~held).any()
    assert 0.1 < valid.sum() / (~held).sum() < 0.3
    assert (validation_mask(texts, held, 0.2) == valid).all()
    assert (validation_mask(texts, held, 0.2, seed=1) != valid).any()
    assert len({valid[i] for i, t in enumerate(texts) if t == "text 1"}) == 1  # identical texts, one side
    two = ["a", "b", "c"]
    held2 = np.array([True, False, False])
    assert validation_mask(two, held2, 0.2).sum() == 1  # two distinct training texts: one each side
    assert not validation_mask(["a", "b", "b"], held2, 0.2).any()  # one distinct training text: none
    assert not validation_mask(texts, held, 0).any()


def test_no_held_out_row_reaches_the_index_and_every_training_row_does(synthetic):
    tmp, datasets = synthetic
    index = load_index(tmp / "index.npz")
    indexed = {v.tobytes() for v in index.vectors}
    for d in datasets.values():
        texts = pl.read_parquet(d["parquet"])["text"].to_list()
        held = eval_mask(texts, 0.2)
        rows = np.load(d["embeddings"])
        assert held.any()
        assert not any(r.tobytes() in indexed for r in rows[held])
        assert all(r.tobytes() in indexed for r in rows[~held])  # validation rows too: the refit uses them


def test_held_out_rows_never_influence_a_choice(tmp_path, monkeypatch):
    """Rewriting every held-out row's embedding leaves the index and every choice as they were."""
    off_domain_probe(monkeypatch)
    datasets = write_datasets(tmp_path)
    build_router(datasets, "default", SETTINGS, {}, tmp_path / "a.npz", tmp_path / "a.json")
    rng = np.random.default_rng(7)
    for d in datasets.values():
        texts = pl.read_parquet(d["parquet"])["text"].to_list()
        rows = np.load(d["embeddings"])
        held = split_mask("x", texts, SPLIT)
        noise = rng.normal(size=(held.sum(), 16))
        rows[held] = noise / np.linalg.norm(noise, axis=1, keepdims=True)
        write_embeddings(rows, d["embeddings"])
    build_router(datasets, "default", SETTINGS, {}, tmp_path / "b.npz", tmp_path / "b.json")
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert set(a.files) == set(b.files) and all(np.array_equal(a[f], b[f]) for f in a.files if f != "sha256")
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads((tmp_path / "b.json").read_text())


def test_routing_rows_cut_each_dataset_into_three_disjoint_parts(tmp_path):
    datasets = write_datasets(tmp_path)
    every = routing_rows(datasets, (TRAIN, VALIDATION, HELD_OUT))
    parts = [routing_rows(datasets, (p,)) for p in (TRAIN, VALIDATION, HELD_OUT)]
    assert sum(len(p.labels) for p in parts) == len(every.labels) == 180
    assert all(len(p.labels) > 0 for p in parts)
    for p, name in zip(parts, (TRAIN, VALIDATION, HELD_OUT)):
        assert set(p.parts) == {name}
        for i, n in zip(p.labels, p.numbers):
            assert (
                p.texts[list(zip(p.labels, p.numbers)).index((i, n))]
                == every.texts[list(zip(every.labels, every.numbers)).index((i, n))]
            )


def test_every_router_ranks_the_right_dataset_first(synthetic):
    tmp, datasets = synthetic
    index = load_index(tmp / "index.npz")
    queries = np.eye(16, dtype=np.float32)[:3]
    texts = [f"{n}word1 {n}word2" for n in NAMES]
    for method in METHODS:
        scores = index.scores(queries, texts=texts, choice=replace(index.choice, router=method, graph_alpha=0))
        assert scores.shape == (3, 3)
        assert (scores.argmax(axis=1) == [0, 1, 2]).all(), method


def test_fusion_weighs_the_linear_and_the_lexical_log_probabilities(synthetic):
    tmp, _ = synthetic
    index = load_index(tmp / "index.npz")
    queries = np.random.default_rng(3).normal(size=(4, 16)).astype(np.float32)
    texts = ["fruitword1 barword2", "herbsword0", "nothing known", "barword3 row"]
    linear = index.linear.log_proba(queries)
    lexical = index.lexical.log_proba(texts)
    for w in (0.0, 0.3, 1.0):
        fused = index.scores(queries, texts=texts, choice=Choice(router="fusion", weight=w))
        assert np.allclose(fused, w * linear + (1 - w) * lexical, atol=1e-5)
    assert np.allclose(np.exp(lexical).sum(axis=1), 1, atol=1e-5)
    from scipy.special import log_softmax

    dense = index.lexical.features(texts).toarray() @ index.lexical.coef.T + index.lexical.intercept
    assert np.allclose(lexical, log_softmax(dense, axis=1), atol=1e-5)


def test_the_choice_is_made_on_validation_and_follows_where_the_signal_is(tmp_path, monkeypatch):
    """Only the texts tell the datasets apart: a router that reads them wins on validation; only
    the embeddings do: one that reads them wins."""
    off_domain_probe(monkeypatch)
    lexical_only = write_datasets(tmp_path / "lex" if (tmp_path / "lex").mkdir() is None else None, semantic=None)
    build_router(lexical_only, "default", SETTINGS, {}, tmp_path / "l.npz", tmp_path / "l.json")
    chosen = json.loads((tmp_path / "l.json").read_text())
    assert chosen["choice"]["router"] in ("lexical", "fusion"), chosen["candidates"]
    assert chosen["validation"]["top1_accuracy"] >= 0.9
    semantic_only = write_datasets(tmp_path / "sem" if (tmp_path / "sem").mkdir() is None else None, lexical=False)
    build_router(semantic_only, "default", SETTINGS, {}, tmp_path / "s.npz", tmp_path / "s.json")
    chosen = json.loads((tmp_path / "s.json").read_text())
    assert chosen["choice"]["router"] in ("centroid", "knn", "linear", "fusion"), chosen["candidates"]
    if chosen["choice"]["router"] == "fusion":
        assert chosen["choice"]["weight"] >= 0.5
    routers = {c["router"] for c in chosen["candidates"]}
    assert routers == set(METHODS)
    # A forced method keeps that router; its settings still come from validation.
    build_router(semantic_only, "default", {**SETTINGS, "method": "knn"}, {}, tmp_path / "k.npz", tmp_path / "k.json")
    forced = json.loads((tmp_path / "k.json").read_text())
    assert forced["choice"]["router"] == "knn" and forced["choice"]["k"] in (5, 10)
    assert load_index(tmp_path / "k.npz").choice.router == "knn"


def test_abstention_is_calibrated_on_validation_and_turns_off_domain_queries_away(synthetic):
    tmp, datasets = synthetic
    selection = json.loads((tmp / "selection.json").read_text())
    for candidate in selection["abstain_candidates"]:
        assert candidate["false_abstain_rate"] <= 0.05
    assert selection["off_domain_calibration_queries"] > 100
    index = load_index(tmp / "index.npz")
    assert index.choice.threshold is not None
    assert index.choice.abstain_score in {c["score"] for c in selection["abstain_candidates"]}
    summary = evaluate_router(
        tmp / "index.npz", tmp / "selection.json", datasets, None, tmp / "eval.json", tmp / "c.png", {}
    )
    report = json.loads((tmp / "eval.json").read_text())
    assert summary["top1_accuracy"] == report["top1_accuracy"] >= 0.9
    assert report["abstain"]["off_domain_abstain_rate"] == 1.0 and report["abstain"]["auroc"] > 0.99
    assert report["abstain"]["false_abstain_rate"] <= 0.1
    assert report["abstain"]["off_domain_queries"] + selection["off_domain_calibration_queries"] == 300
    assert report["n_queries"] == sum(
        int(eval_mask(pl.read_parquet(d["parquet"])["text"].to_list(), 0.2).sum()) for d in datasets.values()
    )
    assert set(report["methods"]) == set(METHODS)
    assert report["choice"] == selection["choice"] and report["validation"] == selection["validation"]
    assert (tmp / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_graph_smoothing_keeps_probabilities_and_is_kept_only_when_it_wins(synthetic):
    tmp, _ = synthetic
    index = load_index(tmp / "index.npz")
    p = np.array([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])
    smoothed = index.smooth(p, 0.25, 2)
    assert np.allclose(smoothed.sum(axis=1), 1) and (smoothed >= 0).all()
    assert np.allclose(index.smooth(p, 0.0, 2), p)
    graph = index.graph(2)
    assert np.allclose(graph.sum(axis=1), 1)
    # A dataset passes its mass to its neighbours, or keeps it when none is similar at all.
    assert all(graph[i, i] == 0 or graph[i, i] == 1 for i in range(3))
    selection = json.loads((tmp / "selection.json").read_text())
    tried = selection["graph_smoothing"]["tried"]
    assert [t["alpha"] for t in tried] == [0.1, 0.25, 0.5]
    best = max((t["top1_accuracy"], t["top3_accuracy"]) for t in tried)
    won = best > (selection["validation"]["top1_accuracy"], selection["validation"]["top3_accuracy"])
    assert selection["graph_smoothing"]["kept"] == (index.choice.graph_alpha > 0)
    assert not won  # smoothing can only be kept by beating the plain router, which then reports its numbers


def test_the_router_scores_as_the_index_does(synthetic):
    """The router's torch product over the rows gives the scores the evaluation measured."""
    from gom.routing.router import Router

    tmp, _ = synthetic
    queries = np.random.default_rng(1).normal(size=(4, 16)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    class Model:
        def encode(self, texts, **_):
            return queries[: len(texts)]

    router = Router.__new__(Router)
    router.index, router.model = load_index(tmp / "index.npz"), Model()
    router._rows = torch.from_numpy(np.ascontiguousarray(router.index.vectors.T))
    texts = ["a", "b", "c", "d"]
    for method in METHODS:
        router.index.choice = replace(router.index.choice, router=method)
        expected = router.index.scores(queries, texts=texts)
        for q, routed in zip(expected, router.route(texts, top_k=3)):
            assert [r["model"] for r in routed["ranking"]] == [NAMES[i] for i in np.argsort(-q)[:3]]
            assert np.allclose([r["score"] for r in routed["ranking"]], np.sort(q)[::-1][:3], atol=1e-5)


def test_explain_names_the_nearest_training_rows_and_the_terms(synthetic, monkeypatch):
    from gom.routing.router import Router

    tmp, datasets = synthetic
    monkeypatch.chdir(tmp)
    query = np.zeros(16, dtype=np.float32)
    query[1] = 1.0

    class Model:
        def encode(self, texts, **_):
            return np.tile(query, (len(texts), 1))

    router = Router.__new__(Router)
    router.index, router.model = load_index(tmp / "index.npz"), Model()
    router._rows = torch.from_numpy(np.ascontiguousarray(router.index.vectors.T))
    explained = router.explain("barword1 barword4 fruitword2", processed="{name}.parquet")
    first, second = explained["datasets"]
    assert first["model"] == "bar" and first["rank"] == 1 and second["rank"] == 2
    texts = pl.read_parquet(datasets["bar"]["parquet"])["text"].to_list()
    assert len(first["nearest_rows"]) == 3
    for row in first["nearest_rows"]:
        assert texts[row["row"]] == row["text"]
    sims = [r["similarity"] for r in first["nearest_rows"]]
    assert sims == sorted(sims, reverse=True)
    assert {t["term"] for t in first["terms"]} & {"barword1", "barword4"}
    assert all(t["weight"] > 0 for t in first["terms"] + second["terms"])


def test_explain_refuses_a_replaced_parquet(synthetic, monkeypatch):
    """Rows of a parquet replaced since convert wrote it used to be shown as the nearest rows."""
    from gom.routing.router import Router

    tmp, datasets = synthetic
    monkeypatch.chdir(tmp)
    path = Path(datasets["bar"]["parquet"])
    original = path.read_bytes()
    pl.read_parquet(path).reverse().write_parquet(path)
    router = Router.__new__(Router)
    router.index = load_index(tmp / "index.npz")
    router.model = type(
        "M", (), {"encode": lambda self, texts, **_: np.tile(np.eye(16, dtype=np.float32)[1], (len(texts), 1))}
    )()
    router._rows = torch.from_numpy(np.ascontiguousarray(router.index.vectors.T))
    try:
        with pytest.raises(GomError, match="does not match the checksum recorded"):
            router.explain("barword1 barword4", processed="{name}.parquet")
    finally:
        path.write_bytes(original)


def test_knn_vote_breaks_ties_by_centroid():
    index = Index(
        ["a", "b"], "m", np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0, 0])
    )
    scores = index.scores(np.array([[0.6, 0.8]]), "knn", choice=Choice(router="knn", k=2))
    assert scores[0, 0] > scores[0, 1] > 0  # b got no vote but keeps its centroid order


def test_accuracy_calibration_and_auroc():
    from sklearn.metrics import roc_auc_score

    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.5, 0.4, 0.3], [0.1, 0.2, 0.8]])
    truth = np.array([0, 1, 1, 2])
    result = accuracy(scores, truth, NAMES)
    assert result["top1_accuracy"] == 0.75 and result["top3_accuracy"] == 1.0
    assert result["per_dataset_recall"] == {"fruit": 1.0, "bar": 0.5, "herbs": 1.0}
    assert result["balanced_accuracy"] == pytest.approx(2.5 / 3)
    assert result["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    confidence = np.linspace(0, 1, 101)
    threshold = calibrate(confidence, 0.05)
    assert (confidence < threshold).mean() <= 0.05
    rng = np.random.default_rng(0)
    inside, outside = rng.normal(1, 1, 50).round(1), rng.normal(0, 1, 40).round(1)
    expected = roc_auc_score(np.r_[np.ones(50), np.zeros(40)], np.r_[inside, outside])
    assert auroc(inside, outside) == pytest.approx(expected)
    result = abstention(inside, outside, 0.5)
    assert result["false_abstain_rate"] == (inside < 0.5).mean()
    assert result["off_domain_abstain_rate"] == (outside < 0.5).mean()
    assert abstention(inside, outside, None)["off_domain_abstain_rate"] == 0.0


def test_the_shipped_off_domain_set_and_a_users_own(tmp_path):
    from gom.routing.offdomain import calibration_part, read_queries

    shipped = read_queries()
    assert len(shipped) == len(set(shipped)) >= 200
    part = calibration_part(shipped)
    assert 0.4 < part.mean() < 0.6 and (calibration_part(shipped) == part).all()
    mine = tmp_path / "off.txt"
    mine.write_text(
        "# my topics\nwhat is a sonnet\n\nhow far is mars\nwhat is a sonnet\nbest hiking boots\nwhy do cats purr\n"
    )
    assert read_queries(mine) == ["what is a sonnet", "how far is mars", "best hiking boots", "why do cats purr"]
    mine.write_text("one\ntwo\n")
    with pytest.raises(GomError, match=r"routing.off_domain: .*off.txt holds 2 distinct queries; at least 4"):
        read_queries(mine)
    with pytest.raises(GomError, match=r"routing.off_domain: cannot read .*missing.txt"):
        read_queries(tmp_path / "missing.txt")


def test_no_validation_rows_is_one_clear_error(tmp_path, monkeypatch):
    off_domain_probe(monkeypatch)
    datasets = write_datasets(tmp_path)
    for d in datasets.values():
        d["validation"] = 0
    with pytest.raises(GomError, match="no validation rows to choose the router on"):
        build_router(datasets, "default", SETTINGS, {}, tmp_path / "i.npz", tmp_path / "s.json")
    assert not (tmp_path / "i.npz").exists()


def test_neighbours(tmp_path):
    pl.DataFrame(
        {"dataset": NAMES, "fruit": [1.0, 0.2, 0.6], "bar": [0.2, 1.0, 0.1], "herbs": [0.6, 0.1, 1.0]}
    ).write_csv(tmp_path / "matrix_jaccard.csv")
    assert neighbours("fruit", "jaccard", tmp_path) == [("herbs", 0.6), ("bar", 0.2)]
    with pytest.raises(GomError, match="unknown dataset 'nope'; the graph has: fruit, bar, herbs"):
        neighbours("nope", "jaccard", tmp_path)
    with pytest.raises(GomError, match="no similarity matrix for metric 'cosine'.*metrics built: jaccard"):
        neighbours("fruit", "cosine", tmp_path)


@pytest.mark.parametrize("command", [["route", "apple pie"], ["ask", "apple pie"], ["route", "--explain", "pie"]])
def test_cli_without_a_router_says_what_builds_it(tmp_path, command):
    proc = subprocess.run([sys.executable, "-m", "gom.cli", *command], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert (
        "gom: error: no router index at results/routing/index.npz: build it with `snakemake --cores all results/routing/index.npz`"
        in proc.stderr
    )


def _planted_index(tmp_path, model="default", names=("a", "b"), centroids=None, choice=None, raw_choice=None, **extra):
    from gom.io import save_npz

    arrays = {
        "names": np.array(list(names)),
        "model": np.array(model),
        "centroids": np.eye(2, dtype=np.float32) if centroids is None else centroids,
        "vectors": np.eye(2, dtype=np.float32),
        "labels": np.array([0, 1], dtype=np.int32),
        **extra,
    }
    if raw_choice is not None:
        arrays["choice"] = np.array(raw_choice)
    elif choice is not False:
        arrays["choice"] = np.array(json.dumps(choice or {"router": "centroid", "threshold": 0.1}))
    save_npz(tmp_path / "index.npz", **arrays)


def test_router_follows_no_model_path_from_its_index_outside_the_working_directory(tmp_path, monkeypatch):
    from gom.routing.router import Router

    monkeypatch.chdir(tmp_path)
    _planted_index(tmp_path, "/etc")
    with pytest.raises(
        GomError,
        match=r"the router index .*index.npz names '/etc', which is outside the working directory.*pass --embedding-model /etc",
    ):
        Router(tmp_path)


@pytest.mark.parametrize(
    "names, centroids",
    [
        (["../../evil", "b"], np.eye(2, dtype=np.float32)),
        (["a", "b"], np.array([[np.nan, 0], [0, 1]], dtype=np.float32)),
        (["a", "b", "c"], np.eye(2, dtype=np.float32)),
    ],
)
def test_router_refuses_an_index_it_cannot_trust(tmp_path, names, centroids):
    _planted_index(tmp_path, names=names, centroids=centroids)
    with pytest.raises(
        GomError, match=r"index.npz( holds a dataset name that gom never writes|: its names, centroids| holds NaN)"
    ):
        load_index(tmp_path / "index.npz")


@pytest.mark.parametrize(
    "choice",
    [
        {"router": "exec", "threshold": 0.1},
        {"router": "knn", "threshold": "0.1"},
        {"router": "knn", "threshold": float("nan")},
        {"router": "knn", "k": 0},
        {"router": "linear"},  # no linear model in the index
        {"router": "knn", "abstain_score": "os.system"},
        {"router": "knn", "graph_alpha": 1.5},
    ],
)
def test_router_refuses_a_choice_it_cannot_run(tmp_path, choice):
    _planted_index(tmp_path, choice=choice)
    with pytest.raises(GomError, match=r"index.npz: its router choice .* is not one gom can run: rebuild it"):
        load_index(tmp_path / "index.npz")


def test_an_index_from_an_older_gom_or_with_an_unreadable_choice_is_refused(tmp_path):
    _planted_index(tmp_path, choice=False)
    with pytest.raises(GomError, match=r"index.npz was written by an older gom \(it holds no router choice\)"):
        load_index(tmp_path / "index.npz")
    _planted_index(tmp_path, raw_choice="{not json")
    with pytest.raises(GomError, match=r"index.npz: its router choice is not readable"):
        load_index(tmp_path / "index.npz")


def test_many_datasets_get_the_most_confused_pairs_not_a_matrix(tmp_path, monkeypatch):
    """Past MATRIX_LIMIT datasets the report and the picture list the most confused pairs."""
    from gom.matrices import MATRIX_LIMIT

    off_domain_probe(monkeypatch, np.ones(8, np.float32) / np.sqrt(8))
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(MATRIX_LIMIT + 5, 8))
    datasets = {}
    for i, centre in enumerate(centres):
        vectors = centre + 0.8 * rng.normal(size=(20, 8))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        name = f"d{i}"
        write_processed(pl.DataFrame({"text": [f"{name} {j}" for j in range(20)]}), tmp_path / f"{name}.parquet")
        write_embeddings(vectors.astype(np.float32), tmp_path / f"{name}.npy")
        datasets[name] = {
            "parquet": tmp_path / f"{name}.parquet",
            "embeddings": tmp_path / f"{name}.npy",
            "split": SPLIT,
            "validation": 0.2,
        }
    settings = {**SETTINGS, "method": "knn"}
    build_router(datasets, "default", settings, {}, tmp_path / "index.npz", tmp_path / "s.json")
    evaluate_router(
        tmp_path / "index.npz", tmp_path / "s.json", datasets, None, tmp_path / "e.json", tmp_path / "c.png", {}
    )
    report = json.loads((tmp_path / "e.json").read_text())
    assert "confusion" not in report and 0 < len(report["most_confused"]) <= 25
    counts = [p["queries"] for p in report["most_confused"]]
    assert counts == sorted(counts, reverse=True) and all(p["true"] != p["chosen"] for p in report["most_confused"])
    width = int.from_bytes((tmp_path / "c.png").read_bytes()[16:20], "big")
    assert width < 2000  # a table, not a 35 x 35 heatmap of 90-pixel cells


@pytest.mark.parametrize(
    "extra, choice",
    [
        ({}, {"router": "knn", "weight": "0.5"}),
        ({}, {"router": "knn", "graph_neighbours": "x"}),
        ({}, {"router": "knn", "graph_alpha": None}),
        ({"labels": np.array([0.0, 1.0])}, None),
        ({"rows": np.array([-1, 0])}, None),
        ({"linear_coef": np.eye(2, dtype=np.float32), "linear_c": np.float64(1)}, {"router": "linear"}),
        (
            {
                "linear_coef": np.array([[np.nan, 0], [0, 1]], np.float32),
                "linear_intercept": np.zeros(2, np.float32),
                "linear_c": np.float64(1),
            },
            {"router": "linear"},
        ),
        (
            {
                "linear_coef": np.eye(2, dtype=np.float32),
                "linear_intercept": np.zeros(3, np.float32),
                "linear_c": np.float64(1),
            },
            {"router": "linear"},
        ),
        (
            {
                "lexical_vocabulary": np.array(["a", "a"]),
                "lexical_idf": np.ones(2),
                "lexical_coef": np.zeros((2, 2), np.float32),
                "lexical_intercept": np.zeros(2, np.float32),
                "lexical_c": np.float64(1),
            },
            {"router": "lexical"},
        ),
    ],
)
def test_a_tampered_index_is_one_clear_error(tmp_path, extra, choice):
    _planted_index(tmp_path, choice=choice, **extra)
    with pytest.raises(GomError, match=r"index.npz.*rebuild it with `snakemake --cores all --forcerun"):
        load_index(tmp_path / "index.npz")


def test_a_choice_that_is_not_an_object_is_refused(tmp_path):
    _planted_index(tmp_path, raw_choice="[1, 2]")
    with pytest.raises(GomError, match=r"its router choice is not readable \(a JSON list, not an object\)"):
        load_index(tmp_path / "index.npz")


def test_texts_without_words_leave_out_the_lexical_routers(tmp_path, monkeypatch):
    off_domain_probe(monkeypatch)
    datasets = write_datasets(tmp_path)
    for d in datasets.values():  # the same rows, texts of one-letter tokens and punctuation only
        n = len(pl.read_parquet(d["parquet"]))
        write_processed(
            pl.DataFrame({"text": [f"{'abcdefgh'[j % 8]} {j % 7} !" + "?" * j for j in range(n)]}), d["parquet"]
        )
    build_router(datasets, "default", SETTINGS, {}, tmp_path / "i.npz", tmp_path / "s.json")
    routers = {c["router"] for c in json.loads((tmp_path / "s.json").read_text())["candidates"]}
    assert routers == {"centroid", "knn", "linear"} and load_index(tmp_path / "i.npz").lexical is None
    with pytest.raises(GomError, match=r"routing.method: 'fusion' cannot be built here: it needs two datasets or more"):
        build_router(datasets, "default", {**SETTINGS, "method": "fusion"}, {}, tmp_path / "j.npz", tmp_path / "t.json")
    one = {"fruit": datasets["fruit"]}
    with pytest.raises(GomError, match=r"routing.method: 'linear' cannot be built here"):
        build_router(one, "default", {**SETTINGS, "method": "linear"}, {}, tmp_path / "k.npz", tmp_path / "u.json")
    build_router(one, "default", SETTINGS, {}, tmp_path / "k.npz", tmp_path / "u.json")
    assert load_index(tmp_path / "k.npz").choice.router in ("centroid", "knn")


def test_an_unsure_router_names_two_miniModels_to_compose_only_where_route_quality_kept_it(synthetic):
    """Composition follows quality.json's verdict for this very index; a sure or abstaining route names none."""
    from gom.io import sha256_file, write_json
    from gom.routing.compose import composition_kept, mix
    from gom.routing.router import Router

    tmp, _ = synthetic
    quality = tmp / "quality.json"
    assert not composition_kept(quality, tmp / "index.npz")  # route_quality has not run
    write_json(quality, {"composition": {"kept": True}, "index_sha256": sha256_file(tmp / "index.npz")})
    assert composition_kept(quality, tmp / "index.npz")
    write_json(quality, {"composition": {"kept": True}, "index_sha256": "0" * 64})  # measured another index
    assert not composition_kept(quality, tmp / "index.npz")
    write_json(quality, {"composition": {"kept": "yes"}})
    with pytest.raises(GomError, match=r"quality.json holds no composition verdict .*--forcerun"):
        composition_kept(quality, tmp / "index.npz")

    assert mix(np.array([0.7, 0.2, 0.1])) is None  # sure
    assert mix(np.array([0.4, 0.35, 0.25])) == ((0, 0.5), (1, 0.5))
    assert mix(np.array([0.1, 0.45, 0.05, 0.4])) == ((1, 0.5), (3, 0.5))
    assert mix(np.array([0.46, 0.02, 0.01] + [0.51 / 51] * 51)) is None  # the weights leave the top one alone

    index = load_index(tmp / "index.npz")
    a, b, c = index.centroids[:3]
    between = (a + 0.99 * b + 0.98 * c) / np.linalg.norm(a + 0.99 * b + 0.98 * c)
    queries = np.stack([between, a]).astype(np.float32)

    class Model:
        def encode(self, texts, **_):
            return queries[: len(texts)]

    router = Router.__new__(Router)
    router.index, router.model = index, Model()
    router._rows = torch.from_numpy(np.ascontiguousarray(index.vectors.T))
    router.index.choice = replace(router.index.choice, router="centroid", graph_alpha=0.0, threshold=None)
    for compose in (True, False):
        router.compose = compose
        unsure, sure = router.route(["half and half", "all a"], top_k=2)
        p = route_probabilities(index.choice, index.scores(queries, texts=["half and half", "all a"]))
        assert p[0].max() < 0.5 and p[1].max() >= 0.5, p
        assert sure["mix"] is None
        if compose:
            assert [m["model"] for m in unsure["mix"]] == [r["model"] for r in unsure["ranking"]]
            assert sum(m["weight"] for m in unsure["mix"]) == pytest.approx(1.0)
        else:
            assert unsure["mix"] is None
