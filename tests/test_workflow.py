"""End to end: the real Snakemake workflow on the sample datasets, in a temporary directory."""

import json
import shutil
import subprocess
import sys

import igraph as ig
import numpy as np
import polars as pl
import pytest
import yaml
from conftest import REPO, planned_jobs, run_snakemake, sample_config, tree_hashes, write_processed

pytestmark = pytest.mark.slow
NAMES = ["nutrition", "recipes", "cocktails"]
METRICS = ["mean_cosine", "centroid_cosine", "jaccard", "tfidf_cosine"]
GRAPH_TARGET = ["results/graph/graph.graphml"]


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("workflow")
    shutil.copytree(REPO / "datasets" / "raw", workdir / "datasets" / "raw")
    sample_config(workdir)
    raw_before = tree_hashes(workdir / "datasets" / "raw")
    run_snakemake(workdir, check=True)
    return workdir, raw_before


def test_outputs_of_a_full_run(done):
    workdir, raw_before = done
    assert tree_hashes(workdir / "datasets" / "raw") == raw_before, "raw data must never be modified"
    for name in NAMES:
        table = pl.read_parquet(workdir / f"datasets/processed/{name}.parquet")
        stats = json.loads((workdir / f"datasets/processed/{name}.stats.json").read_text())
        assert stats["rows"] == table.height >= 100
        assert table["text"].str.len_chars().min() > 0
        assert stats["rows_read"] == stats["rows"] + stats["dropped_empty_text"] + stats["dropped_duplicates"]
        vectors = np.load(workdir / f"results/embeddings/{name}.npy")
        assert vectors.shape == (table.height, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert json.loads((workdir / "datasets/processed/recipes.stats.json").read_text())["dropped_duplicates"] >= 1
    assert json.loads((workdir / "datasets/processed/cocktails.stats.json").read_text())["dropped_empty_text"] >= 1

    # one edge file per dataset, holding its pairs with the datasets listed before it
    edges = sorted(p.name for p in (workdir / "results/edges").iterdir())
    assert edges == ["cocktails.npz", "nutrition.npz", "recipes.npz"]
    partners = {n: np.load(workdir / f"results/edges/{n}.npz")["partners"].tolist() for n in NAMES}
    assert partners == {"nutrition": [], "recipes": ["nutrition"], "cocktails": ["nutrition", "recipes"]}
    for m in METRICS:
        table = pl.read_csv(workdir / f"results/graph/matrix_{m}.csv")
        assert table.columns == ["dataset", *NAMES]
        mat = table.drop("dataset").to_numpy()
        assert np.allclose(mat, mat.T)
        others = np.where(np.eye(3, dtype=bool), -np.inf, mat)
        assert (np.diag(mat) > others.max(axis=1)).all(), f"{m}: each dataset is most similar to itself"
        assert (workdir / f"results/graph/graph_{m}.png").stat().st_size > 5000
        assert (workdir / f"results/graph/graph_{m}.svg").stat().st_size > 1000
    g = ig.Graph.Read_GraphML(str(workdir / "results/graph/graph.graphml"))
    assert g.vs["name"] == NAMES and g.ecount() == 3 and set(METRICS) <= set(g.es.attributes())
    # cocktails and recipes share kitchen items; all share fruit names: every jaccard > 0
    assert min(g.es["jaccard"]) > 0


def test_minimodels_beat_their_base_and_answer(done):
    workdir, _ = done
    for name in NAMES:
        model = workdir / "models" / name
        assert {"adapter_model.safetensors", "adapter_config.json", "README.md", "metrics.json"} <= {
            p.name for p in model.iterdir()
        }
        metrics = json.loads((model / "metrics.json").read_text())
        assert metrics["eval_loss"] < metrics["base_eval_loss"], name
        assert metrics["padding_fraction"] < 0.10
        assert "example row" in (workdir / f"logs/train_lora/{name}.log").read_text()
    assert not list((workdir / "models" / ".checkpoints").glob("*.pt")), "finished runs leave no checkpoint"
    cross = pl.read_csv(workdir / "results/training/cross_loss.csv")  # three datasets: every pair
    assert cross.select("adapter", "dataset").rows() == [(a, b) for a in NAMES for b in NAMES]
    assert set(cross["chosen"]) == {"own", "all"}
    losses = cross["loss"].to_numpy().reshape(3, 3)
    assert (np.argmin(losses, axis=0) == np.arange(3)).all(), "each dataset is best served by its own adapter"
    assert (cross["improvement"] - (cross["base_loss"] - cross["loss"])).abs().max() < 1e-4
    validity = json.loads((workdir / "results/training/edge_validity.json").read_text())
    assert validity["pairs"] == validity["pairs_possible"] == 6 and set(validity["metrics"]) == set(METRICS)
    proc = subprocess.run(
        [sys.executable, "-m", "gom.cli", "generate", "--model", "recipes", "tomato, basil, olive oil"],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr


def test_answers_are_scored_for_the_base_the_own_and_the_routed_minimodel(done):
    workdir, _ = done
    scores = json.loads((workdir / "results/answers/scores.json").read_text())
    assert scores["metric"] == "chrF" and list(scores["datasets"]) == NAMES
    for name, entry in scores["datasets"].items():
        assert entry["rows"] == 16 and 0 <= entry["routed_to_own"] <= 1
        assert all(0 <= entry[s] <= 100 for s in ("base", "own", "routed")), entry
        assert {"reference", "base", "own", "routed"} <= set(scores["examples"][name])
    answers = pl.read_csv(workdir / "results/answers/answers.csv")
    assert answers.height == 3 * 16 * 3 and set(answers["system"]) == {"base", "own", "routed"}
    assert answers.filter(pl.col("system") == "base")["model"].unique().to_list() == ["base"]


def test_vllm_bundle_serves_every_minimodel(done):
    workdir, _ = done
    manifest = json.loads((workdir / "results/serve/manifest.json").read_text())
    assert manifest["base_model"] == "models/base/tiny"
    assert manifest["vllm_checks"]["architecture"] == "Qwen3ForCausalLM"
    assert [a["name"] for a in manifest["adapters"]] == NAMES
    assert (manifest["max_lora_rank"], manifest["max_loras"]) == (16, 3)
    command = (workdir / "results/serve/vllm_serve.sh").read_text()
    assert all(f"{n}=models/{n}" in command for n in NAMES) and "--max-lora-rank 16" in command
    router = json.loads((workdir / "results/serve/router.json").read_text())
    selection = json.loads((workdir / "results/routing/selection.json").read_text())
    assert router["names"] == NAMES and router["choice"] == selection["choice"]


def gom(workdir, *args):
    return subprocess.run([sys.executable, "-m", "gom.cli", *args], cwd=workdir, capture_output=True, text=True)


def test_router_is_accurate_and_the_cli_uses_it(done):
    workdir, _ = done
    report = json.loads((workdir / "results/routing/eval.json").read_text())
    assert report["top1_accuracy"] >= 0.8 and report["top3_accuracy"] == 1.0
    assert set(report["per_dataset_recall"]) == set(NAMES) and report["n_queries"] > 30
    assert report["abstain"]["false_abstain_rate"] <= 0.05
    proc = gom(workdir, "route", "white rum, lime juice, mint leaves, soda water", "--json")
    assert proc.returncode == 0, proc.stderr
    routed = json.loads(proc.stdout)
    assert routed["choice"] == "cocktails" and not routed["abstained"]
    assert [r["model"] for r in routed["ranking"]][0] == "cocktails" and len(routed["ranking"]) == 3
    assert (
        gom(workdir, "route", "Broccoli, cooked, boiled, drained", "--top-k", "2")
        .stdout.splitlines()[0]
        .startswith("1. nutrition")
    )
    off = json.loads(gom(workdir, "route", "Which port does an HTTPS server listen on by default?", "--json").stdout)
    assert off["abstained"] and off["choice"] is None
    explained = gom(workdir, "route", "white rum, lime juice, mint leaves, soda water", "--explain")
    assert explained.returncode == 0, explained.stderr
    text = explained.stdout
    assert "chosen: cocktails" in text and "1. cocktails (chosen" in text and "2. " in text and "(runner-up" in text
    assert text.count("nearest training rows:") == 2 and "terms that raise its lexical score:" in text
    assert "lime" in text and "rum" in text
    as_json = json.loads(gom(workdir, "route", "white rum, lime juice", "--explain", "--json").stdout)
    assert [d["model"] for d in as_json["datasets"]][0] == "cocktails" and len(as_json["datasets"]) == 2
    quality = json.loads((workdir / "results/routing/quality.json").read_text())
    assert quality["percent_of_oracle"] >= 90 and quality["base_loss"] > quality["oracle_loss"], quality
    assert quality["held_out_rows"] == report["n_queries"] and quality["composition"]["why"]
    # Every choice was made on validation rows, and eval.json says so beside the held-out numbers.
    assert "validation rows" in report["chosen_on"] and report["validation"]["top1_accuracy"] >= 0.9
    assert report["abstain"]["off_domain_queries"] >= 100 and report["abstain"]["off_domain_abstain_rate"] >= 0.9
    ask = gom(workdir, "ask", "carrot, onion, celery, thyme, chicken stock", "--max-new-tokens", "20")
    assert ask.returncode == 0 and ask.stdout.strip() and "[recipes, score" in ask.stderr, ask.stderr
    ask = gom(workdir, "ask", "Which port does an HTTPS server listen on by default?", "--max-new-tokens", "5")
    assert ask.returncode == 0 and "answering with the base model" in ask.stderr, ask.stderr
    nb = gom(workdir, "neighbours", "recipes", "--metric", "jaccard")
    assert nb.returncode == 0 and [line.split()[0] for line in nb.stdout.splitlines()] == ["nutrition", "cocktails"]
    bad = gom(workdir, "neighbours", "soup")
    assert bad.returncode == 2 and "unknown dataset 'soup'" in bad.stderr


def test_rerun_does_nothing_and_report_builds(done):
    workdir, _ = done
    proc = run_snakemake(workdir, "-n", check=True)
    assert "Nothing to be done" in proc.stdout + proc.stderr
    run_snakemake(workdir, "--report", "report.html", check=True)
    html = (workdir / "report.html").read_text(errors="replace")
    assert (
        "graph_jaccard.png" in html
        and "matrix_mean_cosine.csv" in html
        and "cross_loss.png" in html
        and "confusion.png" in html
    )


def test_adding_a_dataset_reruns_only_what_depends_on_it(done):
    workdir, _ = done
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    extra = workdir / "datasets/raw/smoothies.csv"
    extra.write_text('ingredients\n"banana, spinach, oat milk"\n"mango, lime, yogurt"\n')
    config["datasets"]["smoothies"] = {
        "sources": [{"path": "datasets/raw/smoothies.csv", "rename": {"ingredients": "text"}}]
    }
    original = (workdir / "config.yaml").read_text()
    try:
        (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        graph_jobs = planned_jobs(run_snakemake(workdir, "-n", *GRAPH_TARGET, check=True))
        all_jobs = planned_jobs(run_snakemake(workdir, "-n", check=True))
    finally:
        (workdir / "config.yaml").write_text(original)
        extra.unlink()
    assert graph_jobs == {
        ("convert", "name=smoothies"),
        ("embed", "name=smoothies"),
        ("profile", "name=smoothies"),
        ("edges", "name=smoothies"),  # its pairs with the three datasets before it, and no other
        ("graph", ""),
    }
    # The tiny base depends on no dataset: only the new dataset's adapter trains.
    assert all_jobs == graph_jobs | {
        ("cross_loss", ""),
        ("route_index", ""),
        ("route_eval", ""),
        ("route_quality", ""),
        ("answers", ""),
        ("serve_bundle", ""),  # the new adapter is served too
        ("all", ""),
        ("train_lora", "name=smoothies"),
    }


def test_editing_one_source_reruns_only_what_depends_on_it(done, tmp_path):
    workdir = tmp_path / "copy"
    shutil.copytree(done[0], workdir)  # copy2 keeps the mtimes, .snakemake keeps the records
    with open(workdir / "datasets/raw/recipes.jsonl", "a") as f:
        f.write(
            json.dumps({"title": "Pear salad", "ingredients": "pear, walnut, rocket", "directions": "Toss."}) + "\n"
        )
    jobs = planned_jobs(run_snakemake(workdir, "-n", *GRAPH_TARGET, check=True))
    assert jobs == {
        ("convert", "name=recipes"),
        ("embed", "name=recipes"),
        ("profile", "name=recipes"),
        ("edges", "name=recipes"),  # recipes-nutrition
        ("edges", "name=cocktails"),  # cocktails-recipes (and cocktails-nutrition, recomputed with it)
        ("graph", ""),
    }


def test_a_missing_intermediate_is_always_rebuilt(done, tmp_path):
    """After an interrupted --forcerun embed, embeddings were missing while Snakemake said
    'Nothing to be done': what was built from them was present."""
    workdir = tmp_path / "copy"
    shutil.copytree(done[0], workdir)
    for name in ("cocktails", "nutrition"):
        (workdir / f"results/embeddings/{name}.npy").unlink()
    jobs = planned_jobs(run_snakemake(workdir, "-n", check=True))
    assert {("embed", "name=cocktails"), ("embed", "name=nutrition")} <= jobs


def test_real_base_trains_only_the_new_adapter(tmp_path):
    """With a base model that is not built from the data, adding a dataset trains only its adapter."""
    from gom.lm.base import build_tiny_base

    raw = tmp_path / "datasets/raw"
    raw.mkdir(parents=True)
    for name, items in {
        "fruit": ["apple, pear", "kiwi, lime", "plum, fig", "mango, lime"],
        "bar": ["gin, tonic", "rum, cola", "vodka, soda", "tequila, lime"],
        "herbs": ["basil, mint", "sage, thyme", "dill, parsley", "chive, mint"],
    }.items():
        pl.DataFrame({"text": items, "note": [f"{name} {i}" for i in range(4)]}).write_parquet(raw / f"{name}.parquet")
    corpus = tmp_path / "corpus"  # the external base's tokenizer is trained on two of the datasets
    corpus.mkdir()
    tables = [write_processed(pl.read_parquet(raw / f"{n}.parquet"), corpus / f"{n}.parquet") for n in ("fruit", "bar")]
    build_tiny_base(
        tmp_path / "external_base", parquets=tables, vocab_size=300, hidden_size=32, num_layers=1, num_heads=2
    )
    config = {
        "datasets": {
            n: {
                "sources": [{"path": f"datasets/raw/{n}.parquet"}],
                "train": {"prompt": "{text}:", "response": " {note}"},
            }
            for n in ["fruit", "bar"]
        },
        "lora": {"base_model": str(tmp_path / "external_base"), "epochs": 1},
        "split": {"fraction": 0.3},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run_snakemake(tmp_path, check=True)
    config["datasets"]["herbs"] = {"sources": [{"path": "datasets/raw/herbs.parquet"}]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    jobs = planned_jobs(run_snakemake(tmp_path, "-n", check=True))
    assert {j for j in jobs if j[0] in ("train_lora", "tiny_base")} == {("train_lora", "name=herbs")}
    assert ("cross_loss", "") in jobs
    before = pl.read_csv(tmp_path / "results/training/cross_loss.csv")
    run_snakemake(tmp_path, check=True)
    # Cross-evaluation takes each adapter's loss on its own dataset and the base's on each from
    # the training jobs (six), keeps the two cross pairs of the earlier adapters from its cache,
    # and evaluates the four other pairs that involve herbs.
    assert (
        "'evaluated': 4, 'from_cache': 2, 'from_training': 6, 'pairs': 9"
        in (tmp_path / "logs/cross_loss.log").read_text()
    )
    after = pl.read_csv(tmp_path / "results/training/cross_loss.csv")
    assert after.filter(pl.col("adapter") != "herbs", pl.col("dataset") != "herbs").equals(before)

    # A planted cache (every loss 0.001, keys unchanged) and a forced run: 0.001 is not a loss,
    # so every pair is evaluated again but the six the training jobs measured (each adapter on
    # its own dataset, the base on each).
    cache = tmp_path / "results/training/cross_loss_cache.json"
    cache.write_text(json.dumps(dict.fromkeys(json.loads(cache.read_text()), 0.001)))
    run_snakemake(tmp_path, "--forcerun", "results/training/cross_loss.csv", check=True)
    log = (tmp_path / "logs/cross_loss.log").read_text()
    assert "'evaluated': 6, 'from_cache': 0, 'from_training': 6, 'pairs': 9" in log and "cannot be losses" in log
    forced = pl.read_csv(tmp_path / "results/training/cross_loss.csv")
    assert forced.drop("loss", "base_loss", "improvement").equals(after.drop("loss", "base_loss", "improvement"))
    assert (forced["loss"] - after["loss"]).abs().max() < 1e-4 and forced["loss"].min() > 0.01


def test_finetuned_embedder_keeps_routing_and_switching_reruns_exactly_its_dependents(done, tmp_path):
    workdir = tmp_path / "copy"
    shutil.copytree(done[0], workdir)
    run_snakemake(workdir, "results/embedder/eval.json", check=True)
    result = json.loads((workdir / "results/embedder/eval.json").read_text())
    frozen, tuned = result["frozen"], result["finetuned"]
    assert set(frozen) == set(tuned) and "routing_top1" in frozen
    routing = json.loads((workdir / "results/routing/eval.json").read_text())
    # The gate, on held-out rows: on 99 queries of which the frozen model misses 2, "better" is one
    # query and noise; what must hold is that fine-tuning costs no more than one query's worth.
    # Whether it helps is measured on real data (benchmarks/bench_embedder.py, docs/benchmarks.md).
    assert tuned["routing_top1"] >= frozen["routing_top1"] - 1.5 / routing["n_queries"], result
    assert result["held_out_queries"] == routing["n_queries"]
    assert 0 < result["training"]["held_out_texts_excluded"] <= routing["n_queries"]
    assert "it/s" in (workdir / "logs/finetune_embedder.log").read_text()  # the progress bar is in the log
    run_snakemake(workdir, "--report", "report.html", "results/embedder/eval.json", check=True)
    assert "eval.csv" in (workdir / "report.html").read_text(errors="replace")

    config = yaml.safe_load((workdir / "config.yaml").read_text())
    # Routing alone on the fine-tuned embedder: its own embeddings and the router re-run, the graph does not.
    config["routing"] = {"embedding": "finetuned"}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    jobs = planned_jobs(run_snakemake(workdir, "-n", check=True))
    assert jobs == {("embed_routing", f"name={n}") for n in NAMES} | {
        ("route_index", ""),
        ("route_eval", ""),
        ("route_quality", ""),
        ("answers", ""),
        ("serve_bundle", ""),
        ("all", ""),
    }
    del config["routing"]
    config["embedding"] = {**config.get("embedding", {}), "model": "finetuned"}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    jobs = planned_jobs(run_snakemake(workdir, "-n", check=True))
    assert jobs == {(stage, f"name={n}") for stage in ("embed", "profile", "edges") for n in NAMES} | {
        ("graph", ""),
        ("route_index", ""),
        ("route_eval", ""),
        ("route_quality", ""),
        ("answers", ""),
        ("cross_loss", ""),
        ("serve_bundle", ""),
        ("all", ""),
    }

    run_snakemake(workdir, check=True)
    assert json.loads((workdir / "results/embeddings/recipes.json").read_text())["model"] == "models/embedder"
    switched = json.loads((workdir / "results/routing/eval.json").read_text())
    assert switched["top1_accuracy"] >= routing["top1_accuracy"]
    routed = json.loads(gom(workdir, "route", "gin, campari, sweet vermouth, orange peel", "--json").stdout)
    assert routed["choice"] == "cocktails"
    again = run_snakemake(workdir, "-n", check=True)
    assert "Nothing to be done" in again.stdout + again.stderr
