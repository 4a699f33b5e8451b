"""Embedder fine-tuning: each data shape trains on tiny data on CPU, the held-out rows stay out,
the evaluation has the promised shape, bad pair configs get one clear message."""

import json

import numpy as np
import polars as pl
import pytest
from conftest import write_processed

from gom.config import check_settings
from gom.embedding.evaluate import evaluate_embedder
from gom.embedding.finetune import MANIFEST, batch_probe, finetune_embedder, largest_batch, make_loss
from gom.embedding.finetune_data import build_split
from gom.errors import GomError
from gom.schema import load_schema
from gom.split import eval_mask

SPLIT = {"fraction": 0.2, "seed": 0}
NAMES = ["fruit", "drinks", "tools"]


def records(parquets) -> dict:
    """One record per dataset, as the rules hand them to the stages."""
    return {name: {"parquet": parquet, "split": SPLIT} for name, parquet in zip(NAMES, parquets)}


WORDS = {
    "fruit": ["apple", "pear", "mango", "plum", "kiwi", "fig", "lime", "peach"],
    "drinks": ["gin", "rum", "vodka", "tequila", "whisky", "brandy", "vermouth", "cider"],
    "tools": ["hammer", "wrench", "saw", "drill", "chisel", "pliers", "spanner", "file"],
}


# The mechanics are tested on a tiny random sentence-transformer (conftest); whether fine-tuning
# helps is measured on the real MiniLM by the workflow test and benchmarks/bench_embedder.py.
TINY = {}


@pytest.fixture(autouse=True, scope="module")
def _tiny_base(tiny_sentence_model):
    TINY["path"] = tiny_sentence_model


def defaults(**overrides) -> dict:
    """embedding.finetune with the schema's defaults, small enough for a CPU test, on the tiny model."""
    schema = load_schema()["$defs"]["finetune"]["properties"]
    settings = {k: v["default"] for k, v in schema.items() if "default" in v}
    return {**settings, "base": TINY["path"], "batch_size": 8, "max_seq_length": 32, "device": "cpu", **overrides}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("embedder")
    parquets = []
    for name, words in WORDS.items():
        texts = [f"{a} and {b}" for a in words for b in words[:3] if a != b]
        write_processed(
            pl.DataFrame(
                {
                    "text": texts,
                    "answer": [f"a {name} item: {t}" for t in texts],
                    "score": [round((i % 5) / 4, 2) for i in range(len(texts))],
                    "kind": ["even" if i % 2 else "odd" for i in range(len(texts))],
                }
            ),
            root / f"{name}.parquet",
        )
        parquets.append(str(root / f"{name}.parquet"))
    return root, parquets


SHAPES = {
    "groups by dataset": {"data": "groups"},
    "groups by label, batch triplet": {"data": "groups", "label_column": "kind", "loss": "batch_all_triplet"},
    "groups, contrastive": {"data": "groups", "loss": "contrastive"},
    "pairs": {"data": "pairs", "pairs": {"dataset": "fruit", "anchor": "text", "positive": "answer"}},
    "scored pairs": {
        "data": "scored_pairs",
        "pairs": {"dataset": "drinks", "anchor": "text", "positive": "answer", "score": "score"},
    },
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_trains_a_model_that_loads_and_is_evaluated(data, shape):
    from sentence_transformers import SentenceTransformer

    root, parquets = data
    settings = defaults(**SHAPES[shape])
    out = root / f"model-{shape.replace(' ', '_').replace(',', '')}"
    manifest = finetune_embedder(records(parquets), settings, out, threads=2)
    assert manifest["examples"] > 0 and manifest["batch_size"] == 8 and manifest["device"] == "cpu"
    assert json.loads((out / MANIFEST).read_text())["loss"] == check_settings(settings, NAMES)["loss"]
    model = SentenceTransformer(str(out), device="cpu")
    assert model.encode(["apple and pear"]).shape == (1, 32)
    assert not (out / ".trainer").exists() and not list(root.glob(".model-*.tmp"))

    evaluate_embedder(
        records(parquets),
        settings,
        out,
        {"k": 3, "method": "auto"},
        root / f"{out.name}.json",
        root / f"{out.name}.csv",
    )
    result = json.loads((root / f"{out.name}.json").read_text())
    assert set(result["frozen"]) == set(result["finetuned"])
    assert {"routing_top1", "routing_top1_centroid", "routing_top1_knn"} <= set(result["frozen"])
    expected = {"pairs": {"mrr@10", "ndcg@10"}, "scored_pairs": {"spearman"}}.get(settings["data"], set())
    assert expected <= set(result["frozen"])
    if settings.get("label_column"):
        assert "label_top1_centroid" in result["frozen"]
    assert all(0 <= v <= 1 or k == "spearman" for k, v in result["finetuned"].items())
    assert result["training"]["examples"] == manifest["examples"]
    table = pl.read_csv(root / f"{out.name}.csv")
    assert table.columns == ["metric", "frozen", "finetuned", "change"] and set(table["metric"]) == set(
        result["frozen"]
    )


def held_texts(parquets, fraction):
    held = set()
    for p in parquets:
        texts = pl.read_parquet(p)["text"].to_list()
        held |= {t for t, h in zip(texts, eval_mask(texts, fraction)) if h}
    return held


@pytest.mark.parametrize("shape", SHAPES)
def test_no_held_out_row_reaches_fine_tuning(data, shape):
    _, parquets = data
    settings = check_settings(defaults(**SHAPES[shape]), NAMES)
    split = build_split(settings, records(parquets))
    held = held_texts(parquets, 0.2)
    assert held and held <= split.held_texts
    trained = {t for column in split.train.values() for t in column if isinstance(t, str)}
    assert trained and not (trained & held)
    anchors = split.held.get("anchor", split.held.get("sentence1", []))
    assert set(anchors) <= held  # held-out pairs are the held-out rows' pairs


def test_a_pair_file_repeating_held_out_texts_is_filtered(data, tmp_path):
    _, parquets = data
    held = sorted(held_texts(parquets, 0.2))
    rows = (
        [(f"question {i}", f"answer {i}") for i in range(40)]
        + [(t, "leaked answer") for t in held[:5]]
        + [("fresh q", held[5])]
    )
    pl.DataFrame({"q": [r[0] for r in rows], "a": [r[1] for r in rows]}).write_csv(tmp_path / "pairs.csv")
    settings = check_settings(
        defaults(data="pairs", pairs={"path": "pairs.csv", "anchor": "q", "positive": "a"}), NAMES
    )
    split = build_split(settings, records(parquets), base_dir=tmp_path)
    assert split.dropped_for_leakage >= 1
    trained = set(split.train["anchor"]) | set(split.train["positive"])
    assert not trained & split.held_texts
    assert not trained & set(held)


@pytest.mark.parametrize(
    "pairs, message",
    [
        (
            {"dataset": "fruit", "anchor": "text", "positive": "reply"},
            "embedding.finetune.pairs: dataset 'fruit' has no column(s) 'reply' (named by "
            "embedding.finetune.pairs); its columns: text, answer, score, kind",
        ),
        ({"dataset": "fruit", "anchor": "question", "positive": "reply"}, "has no column(s) 'question', 'reply'"),
    ],
)
def test_pair_config_naming_missing_columns(data, pairs, message):
    _, parquets = data
    settings = check_settings(defaults(data="pairs", pairs=pairs), NAMES)
    with pytest.raises(GomError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_split(settings, records(parquets))


def test_scores_outside_0_1(data, tmp_path):
    _, parquets = data
    pl.DataFrame({"a": ["x", "y", "z", "w"], "b": ["p", "q", "r", "s"], "s": [0.5, 1.0, 4.0, -1.0]}).write_csv(
        tmp_path / "scored.csv"
    )
    settings = check_settings(
        defaults(data="scored_pairs", pairs={"path": "scored.csv", "anchor": "a", "positive": "b", "score": "s"}), NAMES
    )
    with pytest.raises(GomError) as error:
        build_split(settings, records(parquets), base_dir=tmp_path)
    assert str(error.value) == (
        "embedding.finetune.pairs: file 'scored.csv', column 's': 2 score(s) not a number in [0, 1], "
        "the first on row 3: 4.0; rescale the scores to [0, 1]"
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"data": "pairs"}, "embedding.finetune.data is 'pairs' but embedding.finetune.pairs is missing"),
        (
            {"data": "scored_pairs", "pairs": {"dataset": "fruit", "anchor": "text", "positive": "answer"}},
            "embedding.finetune.pairs.score (the score column) is not set",
        ),
        (
            {"data": "pairs", "pairs": {"dataset": "nuts", "anchor": "text", "positive": "answer"}},
            "embedding.finetune.pairs.dataset 'nuts' is not a configured dataset (datasets: fruit, drinks, tools)",
        ),
        ({"data": "groups", "loss": "cosent"}, "embedding.finetune.loss 'cosent' does not fit data 'groups'"),
        (
            {
                "data": "pairs",
                "label_column": "kind",
                "pairs": {"dataset": "fruit", "anchor": "text", "positive": "answer"},
            },
            "label_column groups rows only with data: groups",
        ),
    ],
)
def test_inconsistent_finetune_config(overrides, message):
    with pytest.raises(GomError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        check_settings(defaults(**overrides), NAMES)


def test_group_label_column_missing(data):
    _, parquets = data
    with pytest.raises(
        GomError,
        match=r"dataset 'fruit' .* has no column\(s\) 'topic' \(named by embedding.finetune.label_column\); "
        r"its columns: text, answer, score, kind",
    ):
        build_split(check_settings(defaults(label_column="topic"), NAMES), records(parquets))


@pytest.mark.parametrize(
    "capacity, start, limit, expected",
    [(100, 8, 1024, 100), (1024, 8, 1024, 1024), (5, 8, 1024, 5), (64, 64, 1024, 64), (3000, 8, 512, 512)],
)
def test_automatic_batch_search_finds_the_largest_batch_that_fits(capacity, start, limit, expected):
    tried = []

    def fits(batch):
        tried.append(batch)
        return batch <= capacity

    assert largest_batch(fits, start, limit) == expected
    assert len(tried) <= 2 * int(np.log2(limit)) + 2


def test_automatic_batch_search_when_nothing_fits():
    with pytest.raises(GomError, match="not even a batch of 1 fits"):
        largest_batch(lambda b: False, 8, 64)


@pytest.mark.parametrize(
    "shape", ["groups by dataset", "groups by label, batch triplet", "groups, contrastive", "scored pairs"]
)
def test_the_batch_probe_runs_a_training_step_of_every_loss(data, shape):
    """The probe the GPU batch search uses, run on the CPU: one forward and backward pass."""
    from gom.embedding.encode import load_model

    _, parquets = data
    settings = check_settings(defaults(**SHAPES[shape]), NAMES)
    model = load_model(TINY["path"], "cpu", 32)
    fits = batch_probe(model, make_loss(settings["loss"], model), build_split(settings, records(parquets)).train)
    assert fits(4) and fits(3)
    assert all(p.grad is None for p in model.parameters())


def test_row_cap_limits_training_and_index_rows_but_keeps_every_held_out_row(data):
    from gom.embedding.finetune_data import cap_training_rows, dataset_splits

    _, parquets = data
    splits = dataset_splits(records(parquets))
    capped = cap_training_rows(splits, 5, 0)
    for name in NAMES:
        df, held = splits[name]
        small, small_held = capped[name]
        assert int((~small_held).sum()) == 5 and int(small_held.sum()) == int(held.sum())
        assert set(small["text"].filter(pl.Series(small_held))) == set(df["text"].filter(pl.Series(held)))
    split = build_split(check_settings(defaults(max_rows_per_dataset=5), NAMES), records(parquets))
    assert len(split.train["anchor"]) == 15
