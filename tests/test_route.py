import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
import torch
from conftest import write_embeddings, write_processed

from gom.errors import GomError
from gom.matrices import neighbours
from gom.routing.evaluate import accuracy, calibrate, evaluate_router
from gom.routing.index import Index, build_index, load_index
from gom.split import eval_mask

SPLIT = {"fraction": 0.2, "seed": 0}
NAMES = ["fruit", "bar", "herbs"]


def records(parquets, embeddings) -> dict:
    """One record per dataset, as the rules hand them to the stages."""
    return {n: {"parquet": p, "embeddings": e, "split": SPLIT} for n, p, e in zip(NAMES, parquets, embeddings)}


@pytest.fixture
def synthetic(tmp_path):
    """Three datasets whose embeddings cluster around three directions."""
    rng = np.random.default_rng(0)
    parquets, embeddings = [], []
    for i, name in enumerate(NAMES):
        texts = [f"{name} row {j}" for j in range(60)]
        centre = np.zeros(16)
        centre[i] = 1.0
        vectors = centre + 0.35 * rng.normal(size=(60, 16))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        write_processed(pl.DataFrame({"text": texts}), tmp_path / f"{name}.parquet")
        write_embeddings(vectors.astype(np.float32), tmp_path / f"{name}.npy")
        parquets.append(tmp_path / f"{name}.parquet")
        embeddings.append(tmp_path / f"{name}.npy")
    build_index(records(parquets, embeddings), "default", 5, tmp_path / "index.npz")
    return tmp_path, parquets, embeddings


def test_no_held_out_row_reaches_the_index(synthetic):
    tmp, parquets, embeddings = synthetic
    index = load_index(tmp / "index.npz")
    indexed = {v.tobytes() for v in index.vectors}
    for parquet, emb in zip(parquets, embeddings):
        held = eval_mask(pl.read_parquet(parquet)["text"].to_list(), 0.2)
        rows = np.load(emb)
        assert held.any()
        assert not any(r.tobytes() in indexed for r in rows[held])
        assert all(r.tobytes() in indexed for r in rows[~held])


def test_both_routers_rank_the_right_dataset_first(synthetic):
    tmp, _, _ = synthetic
    index = load_index(tmp / "index.npz")
    queries = np.eye(16, dtype=np.float32)[:3]
    for method in ("centroid", "knn"):
        scores = index.scores(queries, method)
        assert scores.shape == (3, 3)
        assert (scores.argmax(axis=1) == [0, 1, 2]).all(), method


def test_the_router_scores_as_the_index_does(synthetic):
    """The router's torch product over the rows gives the scores the evaluation measured."""
    from gom.routing.router import Router

    tmp, _, _ = synthetic
    queries = np.random.default_rng(1).normal(size=(4, 16)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    class Model:
        def encode(self, texts, **_):
            return queries[: len(texts)]

    router = Router.__new__(Router)
    router.index, router.model = load_index(tmp / "index.npz"), Model()
    router.index.method = "knn"
    router._rows = torch.from_numpy(np.ascontiguousarray(router.index.vectors.T))
    expected = router.index.scores(queries, "knn")
    for q, routed in zip(expected, router.route(["a", "b", "c", "d"], top_k=3)):
        assert [r["model"] for r in routed["ranking"]] == [NAMES[i] for i in np.argsort(-q)[:3]]
        assert np.allclose([r["score"] for r in routed["ranking"]], np.sort(q)[::-1][:3], atol=1e-6)


def test_knn_vote_breaks_ties_by_centroid():
    index = Index(
        ["a", "b"], "m", np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0, 0]), k=2
    )
    scores = index.scores(np.array([[0.6, 0.8]]), "knn")
    assert scores[0, 0] > scores[0, 1] > 0  # b got no vote but keeps its centroid order


def test_accuracy_and_calibration():
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


def test_evaluation_report_shape(synthetic, monkeypatch):
    import gom.routing.evaluate

    tmp, parquets, embeddings = synthetic
    # The synthetic vectors are 16-d, not MiniLM's: the off-domain probe gets a direction no dataset uses.
    monkeypatch.setattr(
        gom.routing.evaluate,
        "embed_queries",
        lambda texts, model, settings=None: np.tile(np.eye(16, dtype=np.float32)[15], (len(texts), 1)),
    )
    summary = evaluate_router(
        tmp / "index.npz",
        records(parquets, embeddings),
        "auto",
        0.05,
        tmp / "eval.json",
        tmp / "confusion.png",
        {},
    )
    report = json.loads((tmp / "eval.json").read_text())
    assert report["method"] in ("centroid", "knn") and summary["method"] == report["method"]
    for key in ("top1_accuracy", "top3_accuracy", "balanced_accuracy", "per_dataset_recall", "n_queries", "confusion"):
        assert key in report
    assert set(report["methods"]) == {"centroid", "knn"}
    assert report["top1_accuracy"] >= 0.9 and report["n_queries"] == sum(
        int(eval_mask(pl.read_parquet(p)["text"].to_list(), 0.2).sum()) for p in parquets
    )
    assert report["abstain"]["false_abstain_rate"] <= 0.05
    assert report["abstain"]["off_domain_abstain_rate"] == 1.0
    assert (tmp / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_neighbours(tmp_path):
    pl.DataFrame(
        {"dataset": NAMES, "fruit": [1.0, 0.2, 0.6], "bar": [0.2, 1.0, 0.1], "herbs": [0.6, 0.1, 1.0]}
    ).write_csv(tmp_path / "matrix_jaccard.csv")
    assert neighbours("fruit", "jaccard", tmp_path) == [("herbs", 0.6), ("bar", 0.2)]
    with pytest.raises(GomError, match="unknown dataset 'nope'; the graph has: fruit, bar, herbs"):
        neighbours("nope", "jaccard", tmp_path)
    with pytest.raises(GomError, match="no similarity matrix for metric 'cosine'.*metrics built: jaccard"):
        neighbours("fruit", "cosine", tmp_path)


@pytest.mark.parametrize("command", [["route", "apple pie"], ["ask", "apple pie"]])
def test_cli_without_a_router_says_what_builds_it(tmp_path, command):
    proc = subprocess.run([sys.executable, "-m", "gom.cli", *command], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert (
        "gom: error: no router index at results/routing/index.npz: build it with `snakemake --cores all results/routing/eval.json`"
        in proc.stderr
    )


def _planted_router(tmp_path, model, eval_report):
    from gom.io import save_npz

    save_npz(
        tmp_path / "index.npz",
        names=np.array(["a", "b"]),
        model=np.array(model),
        centroids=np.eye(2, dtype=np.float32),
        vectors=np.eye(2, dtype=np.float32),
        labels=np.array([0, 1], dtype=np.int32),
        k=np.int64(1),
    )
    (tmp_path / "eval.json").write_text(json.dumps(eval_report))


def test_router_follows_no_model_path_from_its_index_outside_the_working_directory(tmp_path, monkeypatch):
    from gom.routing.router import Router

    monkeypatch.chdir(tmp_path)
    _planted_router(tmp_path, "/etc", {"method": "centroid", "abstain": {"threshold": 0.1}})
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
    from gom.io import save_npz

    save_npz(
        tmp_path / "index.npz",
        names=np.array(names),
        model=np.array("default"),
        centroids=centroids,
        vectors=np.eye(2, dtype=np.float32),
        labels=np.array([0, 1], dtype=np.int32),
        k=np.int64(1),
    )
    with pytest.raises(
        GomError, match=r"index.npz( holds a dataset name that gom never writes|: its names, centroids| holds NaN)"
    ):
        load_index(tmp_path / "index.npz")


@pytest.mark.parametrize(
    "report",
    [
        {"method": "exec", "abstain": {"threshold": 0.1}},
        {"method": "knn", "abstain": {"threshold": "0.1"}},
        {"method": "knn"},
        {"method": "knn", "abstain": {"threshold": float("nan")}},
    ],
)
def test_router_refuses_an_evaluation_it_cannot_use(tmp_path, report):
    _planted_router(tmp_path, "default", report)
    with pytest.raises(GomError, match=r"eval.json does not hold a router method and a numeric abstain threshold"):
        load_index(tmp_path / "index.npz", tmp_path / "eval.json")


def test_many_datasets_get_the_most_confused_pairs_not_a_matrix(tmp_path, monkeypatch):
    """Past MATRIX_LIMIT datasets the report and the picture list the most confused pairs."""
    import gom.routing.evaluate
    from gom.matrices import MATRIX_LIMIT

    monkeypatch.setattr(
        gom.routing.evaluate, "embed_queries", lambda texts, model, settings=None: np.ones((len(texts), 8), np.float32)
    )
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
        }
    build_index(datasets, "default", 5, tmp_path / "index.npz")
    evaluate_router(tmp_path / "index.npz", datasets, "auto", 0.05, tmp_path / "e.json", tmp_path / "c.png", {})
    report = json.loads((tmp_path / "e.json").read_text())
    assert "confusion" not in report and 0 < len(report["most_confused"]) <= 25
    counts = [p["queries"] for p in report["most_confused"]]
    assert counts == sorted(counts, reverse=True) and all(p["true"] != p["chosen"] for p in report["most_confused"])
    width = int.from_bytes((tmp_path / "c.png").read_bytes()[16:20], "big")
    assert width < 2000  # a table, not a 35 x 35 heatmap of 90-pixel cells
