"""How the workflow grows with the number of datasets: edge jobs linear in N, and adding a
dataset computes only its own pairs (small N here; benchmarks/bench_scale.py measures 1,000)."""

import numpy as np
import polars as pl
import pytest
from conftest import planned_jobs, run_snakemake, write_config

from gom.edges import load_edges, pair_metrics
from gom.profiles import load_profile

pytestmark = pytest.mark.slow

METRICS = ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]
TARGETS = ["results/graph/graph.graphml", "results/routing/eval.json"]
NAMES = [f"topic{i}" for i in range(9)]


def _config(names, model):
    return {
        "datasets": {n: {"sources": [{"path": f"datasets/raw/{n}.csv"}]} for n in names},
        "embedding": {"model": model},
        "metrics": {"shard_size": 2},  # small shards, so that 8 datasets use three of them
    }


@pytest.fixture
def workdir(tmp_path):
    raw = tmp_path / "datasets/raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in NAMES:
        words = [f"{name}word{j}" for j in range(8)] + ["shared", "common", "words"]
        texts = [" ".join(rng.choice(words, 4)) + f" row {r}" for r in range(8)]
        pl.DataFrame({"text": texts}).write_csv(raw / f"{name}.csv")
    return tmp_path


def test_edge_jobs_grow_linearly_and_a_new_dataset_computes_only_its_pairs(workdir, tiny_sentence_model):
    for count in (5, 9):  # nothing built yet: one edge job per dataset, one shard per complete block
        write_config(workdir, _config(NAMES[:count], tiny_sentence_model))
        jobs = planned_jobs(run_snakemake(workdir, "-n", *TARGETS, check=True))
        assert sum(rule == "edges" for rule, _ in jobs) == count
        assert {w for rule, w in jobs if rule == "profile_shard"} == {f"shard={s}" for s in range((count - 1) // 2)}

    write_config(workdir, _config(NAMES[:8], tiny_sentence_model))
    run_snakemake(workdir, *TARGETS, check=True)
    write_config(workdir, _config(NAMES, tiny_sentence_model))
    jobs = planned_jobs(run_snakemake(workdir, "-n", *TARGETS, check=True))
    new = "name=topic8"
    assert jobs == {
        ("convert", new),
        ("embed", new),
        ("profile", new),
        ("profile_shard", "shard=3"),  # the block of topic6 and topic7, complete now that topic8 follows
        ("edges", new),  # topic8 with the eight datasets before it, and nothing else
        ("graph", ""),
        ("route_index", ""),
        ("route_eval", ""),
    }
    run_snakemake(workdir, *TARGETS, check=True)

    # every pair, whichever shard it came through, equals the pair computed alone (the matrices
    # round to 6 decimals; the edge files keep every digit)
    profiles = {n: load_profile(workdir / f"results/profiles/{n}.npz", n) for n in NAMES}
    for i, name in enumerate(NAMES):
        values = load_edges(workdir / f"results/edges/{name}.npz", name, NAMES[:i], METRICS)
        for j, other in enumerate(NAMES[:i]):
            expected = pair_metrics(profiles[other], profiles[name], METRICS)
            assert all(abs(values[m][j] - expected[m]) <= 1e-9 for m in METRICS), (name, other)
    for m in METRICS:
        table = pl.read_csv(workdir / f"results/graph/matrix_{m}.csv")
        assert table["dataset"].to_list() == NAMES
        expected = pair_metrics(profiles["topic2"], profiles["topic7"], [m])[m]
        assert table.drop("dataset").to_numpy()[7, 2] == pytest.approx(expected, abs=1e-6)
