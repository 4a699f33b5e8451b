"""How the workflow grows with the number of datasets: edge jobs linear in N, and adding a
dataset computes only its own pairs (small N here; benchmarks/bench_scale.py measures 1,000)."""

import json

import numpy as np
import polars as pl
import pytest
from conftest import planned_jobs, run_snakemake, write_config

from gom.edge_jobs import read_edges
from gom.edges import pair_metrics
from gom.profiles import load_profile

pytestmark = pytest.mark.slow

METRICS = ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]
TARGETS = ["results/graph/graph.graphml", "results/routing/eval.json"]
NAMES = [f"topic{i}" for i in range(10)]


def _config(names, model):
    return {
        "datasets": {n: {"sources": [{"path": f"datasets/raw/{n}.csv"}]} for n in names},
        # small blocks and batches: 10 datasets make five edge blocks and four embedding batches
        "embedding": {"model": model, "datasets_per_job": 3},
        "metrics": {"shard_size": 2},
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


def _loads(workdir, names) -> dict[str, int]:
    """How many datasets the model load that embedded each of ``names`` embedded."""
    return {
        n: json.loads((workdir / f"results/embeddings/{n}.json").read_text())["datasets_per_model_load"] for n in names
    }


def test_edge_jobs_grow_linearly_and_a_new_dataset_computes_only_its_pairs(workdir, tiny_sentence_model):
    for count in (5, 9):  # nothing built yet: a job per complete block of 2, a job per dataset after them
        write_config(workdir, _config(NAMES[:count], tiny_sentence_model))
        jobs = planned_jobs(run_snakemake(workdir, "-n", *TARGETS, check=True))
        assert {w for rule, w in jobs if rule == "edge_block"} == {f"block={b}" for b in range(count // 2)}
        assert {w for rule, w in jobs if rule == "edges"} == {f"name={NAMES[count - 1]}"}
        assert {w for rule, w in jobs if rule == "profile_shard"} == {f"shard={s}" for s in range(count // 2)}

    write_config(workdir, _config(NAMES[:8], tiny_sentence_model))
    run_snakemake(workdir, *TARGETS, check=True)
    made = {p.name: p.stat().st_mtime_ns for p in (workdir / "results/edge_blocks").iterdir()}
    # converts run first, so each batch's first embed job embedded the whole batch, one model load each
    assert _loads(workdir, NAMES[:8]) == {n: 3 if i < 6 else 2 for i, n in enumerate(NAMES[:8])}
    assert sorted(made) == ["0.npz", "1.npz", "2.npz", "3.npz"]

    # a ninth dataset: one job for its own edges, nothing else recomputed
    write_config(workdir, _config(NAMES[:9], tiny_sentence_model))
    jobs = planned_jobs(run_snakemake(workdir, "-n", *TARGETS, check=True))
    new = "name=topic8"
    assert jobs == {
        ("convert", new),
        ("embed", new),
        ("profile", new),
        ("profile_shard", "shard=3"),  # the block of topic6 and topic7, read by topic8's job
        ("edges", new),  # topic8 with the eight datasets before it, and nothing else
        ("graph", ""),
        ("route_index", ""),
        ("route_eval", ""),
    }
    run_snakemake(workdir, *TARGETS, check=True)
    # one model load embedded topic8 alone (topic6 and topic7, its batch, were up to date)
    assert _loads(workdir, NAMES[6:9]) == {"topic6": 2, "topic7": 2, "topic8": 1}

    # a tenth completes block 4: its job copies topic8's edges and computes topic9's alone
    write_config(workdir, _config(NAMES, tiny_sentence_model))
    jobs = planned_jobs(run_snakemake(workdir, "-n", *TARGETS, check=True))
    new = "name=topic9"
    assert jobs == {
        ("convert", new),
        ("embed", new),
        ("profile", new),
        ("edge_block", "block=4"),
        ("graph", ""),
        ("route_index", ""),
        ("route_eval", ""),
    }
    run_snakemake(workdir, *TARGETS, check=True)
    assert "'copied': 1, 'pairs_computed': 9" in (workdir / "logs/edge_blocks/4.log").read_text()
    assert {p.name: p.stat().st_mtime_ns for p in (workdir / "results/edge_blocks").iterdir() if p.name in made} == made

    # a changed embedding setting re-embeds every dataset, four batches of up to three
    changed = _config(NAMES, tiny_sentence_model)
    changed["embedding"]["batch_size"] = 8
    write_config(workdir, changed)
    jobs = planned_jobs(run_snakemake(workdir, "-n", *TARGETS, check=True))
    assert {j for j in jobs if j[0] == "embed"} == {("embed", f"name={n}") for n in NAMES}
    write_config(workdir, _config(NAMES, tiny_sentence_model))

    # every pair, whichever shard it came through, equals the pair computed alone (the matrices
    # round to 6 decimals; the edge files keep every digit)
    profiles = {n: load_profile(workdir / f"results/profiles/{n}.npz", n) for n in NAMES}
    records = [r for b in range(5) for r in read_edges(workdir / f"results/edge_blocks/{b}.npz")]
    assert [r[0] for r in records] == NAMES
    for i, (name, _, partners, _, values) in enumerate(records):
        assert partners == NAMES[:i]
        for j, other in enumerate(NAMES[:i]):
            expected = pair_metrics(profiles[other], profiles[name], METRICS)
            assert all(abs(values[m][j] - expected[m]) <= 1e-9 for m in METRICS), (name, other)
    for m in METRICS:
        table = pl.read_csv(workdir / f"results/graph/matrix_{m}.csv")
        assert table["dataset"].to_list() == NAMES
        expected = pair_metrics(profiles["topic2"], profiles["topic9"], [m])[m]
        assert table.drop("dataset").to_numpy()[9, 2] == pytest.approx(expected, abs=1e-6)
