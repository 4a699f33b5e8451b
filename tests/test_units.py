"""Small units that the stage tests used only indirectly: template fields, LoRA override
merging, edge validity, and the runtime router's abstain decision."""

import numpy as np
import pytest

from gom.config import lora_settings, prepare
from gom.errors import GomError
from gom.lm.source_ranking import edge_validity
from gom.lm.transfer import select_pairs
from gom.routing.index import Choice, Index
from gom.routing.router import Router
from gom.templates import fields, render


@pytest.mark.parametrize("template", ["{text.__class__}", "{text[0]}", "{text!r}", "{text:>10}", "{}", "{0}"])
def test_template_fields_refuse_anything_but_plain_names(template):
    with pytest.raises(GomError, match="is not allowed; use plain column names"):
        fields(template, "train.prompt")


def test_template_renders_plain_fields_and_literal_braces():
    assert fields("Q: {text} {{x}} {answer}", "t") == ["text", "answer"]
    assert render("Q: {text} {{x}} {answer}", {"text": "a", "answer": None}) == "Q: a {x} "


def test_per_dataset_lora_overrides_only_what_it_names(tmp_path):
    (tmp_path / "a.csv").write_text("text\nx\ny\n")
    source = {"sources": [{"path": str(tmp_path / "a.csv")}]}
    config = {"datasets": {"a": {**source, "lora": {"r": 4, "lr": 0.01}}, "b": source}, "lora": {"r": 8, "epochs": 3}}
    prepare(config)
    a, b = lora_settings(config, "a"), lora_settings(config, "b")
    assert (a["r"], a["lr"], a["epochs"]) == (4, 0.01, 3)
    assert (b["r"], b["lr"], b["epochs"]) == (8, 0.003, 3)


def test_edge_validity_correlates_each_metric_with_transfer():
    names = ["a", "b", "c"]
    base = np.full((3, 3), 5.0)
    losses = np.array([[1.0, 2.0, 4.0], [2.0, 1.0, 3.0], [4.0, 3.0, 1.0]])  # a~b close, a~c far
    similar = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.5], [0.1, 0.5, 1.0]])
    pairs = [(i, j) for i in range(3) for j in range(3)]
    losses, base = ({p: float(m[p]) for p in pairs} for m in (losses, base))
    result = edge_validity(names, losses, base, {"good": similar, "reversed": 1 - similar, "flat": np.ones((3, 3))})
    assert result["pairs"] == result["pairs_possible"] == 6 and result["improvement_over_base"]["a->b"] == 3.0
    assert result["metrics"]["good"]["spearman"] == pytest.approx(1.0)
    assert result["metrics"]["reversed"]["spearman"] == pytest.approx(-1.0)
    assert result["metrics"]["flat"]["spearman"] is None


def test_cross_evaluation_pairs_grow_as_n_times_k_and_an_added_dataset_adds_only_its_own():
    rng = np.random.default_rng(0)
    names = [f"d{i}" for i in range(41)]
    points = rng.normal(size=(41, 5))
    similarity = points @ points.T
    before = select_pairs(names[:40], similarity[:40, :40], neighbours=3, sample=2, seed=0)
    after = select_pairs(names, similarity, neighbours=3, sample=2, seed=0)
    assert all(40 * 4 <= len(s) <= 40 * 6 for s in [before])
    assert all(i == 40 or j == 40 for i, j in set(after) - set(before))
    for i in range(40):  # each adapter: itself, its 3 nearest, 2 hashed picks (which may coincide)
        mine = {j: why for (a, j), why in before.items() if a == i}
        nearest = [int(j) for j in np.argsort(-np.where(np.arange(40) == i, -np.inf, similarity[i, :40]))[:3]]
        assert mine[i] == "own" and all(mine[j] == "neighbour" for j in nearest)
        assert 4 <= len(mine) <= 6 and list(mine.values()).count("sample") <= 2
    assert select_pairs(names[:4], similarity[:4, :4], neighbours=2, sample=1, seed=0) == {
        (i, j): "own" if i == j else "all" for i in range(4) for j in range(4)
    }


class _Encoder:
    def __init__(self, vectors):
        self.vectors = vectors

    def encode(self, queries, **_):
        return np.array([self.vectors[q] for q in queries], dtype=np.float32)


def test_the_runtime_router_abstains_below_its_threshold():
    eye = np.eye(2, dtype=np.float32)
    router = Router.__new__(Router)
    router.index = Index(
        ["a", "b"],
        "default",
        eye,
        eye,
        np.array([0, 1]),
        choice=Choice("centroid", abstain_score="centroid", threshold=0.5),
    )
    router.model = _Encoder({"near a": np.array([0.9, 0.1]), "between": np.array([0.6, 0.6]) / np.sqrt(0.72)})
    near, between = router.route(["near a", "between"], top_k=2)
    assert near["choice"] == "a" and not near["abstained"] and [r["model"] for r in near["ranking"]] == ["a", "b"]
    assert between["choice"] == "a" and not between["abstained"]  # 0.707 > 0.5
    router.index.choice.threshold = 0.8
    between = router.route(["between"], top_k=1)[0]
    assert between["abstained"] and between["choice"] is None and between["threshold"] == 0.8


def test_a_missing_column_is_named_with_what_named_it_and_the_columns_there():
    from gom.errors import require_columns

    require_columns(["text", "answer"], ["text", "answer", "text"], "dataset 'qa'", "its train template")
    with pytest.raises(GomError) as e:
        require_columns(["text", "answer"], ["answr", "text", "answr"], "dataset 'qa'", "its train template")
    assert str(e.value) == (
        "dataset 'qa' has no column(s) 'answr' (named by its train template); its columns: text, answer"
    )


def test_profile_refuses_an_items_column_the_dataset_lacks(tmp_path):
    import polars as pl
    from conftest import write_embeddings, write_processed

    from gom.profiles import profile_dataset

    parquet = write_processed(pl.DataFrame({"text": ["apple pie", "pear tart"]}), tmp_path / "fruit.parquet")
    npy = write_embeddings(np.ones((2, 4), dtype=np.float32), tmp_path / "fruit.npy")
    with pytest.raises(
        GomError, match=r"dataset 'fruit' \(.*fruit.parquet\) has no column\(s\) 'ingredients' \(named by"
    ):
        profile_dataset("fruit", parquet, npy, tmp_path / "p.npz", "ingredients", {"separator": ","})
    assert not (tmp_path / "p.npz").exists()


def test_most_confused_pairs_are_the_largest_off_diagonal_counts(tmp_path):
    from gom.drawing import bar_table
    from gom.routing.evaluate import most_confused

    names = ["a", "b", "c"]
    confusion = [[5, 3, 0], [1, 9, 0], [0, 4, 2]]
    assert most_confused(confusion, names) == [
        {"true": "c", "chosen": "b", "queries": 4, "of": 6},
        {"true": "a", "chosen": "b", "queries": 3, "of": 8},
        {"true": "b", "chosen": "a", "queries": 1, "of": 10},
    ]
    assert most_confused(confusion, names, top=1) == [{"true": "c", "chosen": "b", "queries": 4, "of": 6}]
    assert most_confused(np.diag([3, 3, 3]).tolist(), names) == []
    pairs = most_confused(confusion, names)
    bar_table(tmp_path / "c.png", "title", [p["true"] for p in pairs], [p["queries"] for p in pairs], ["x"] * 3)
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cross_loss_picture_lists_the_largest_gains_past_the_matrix_limit(tmp_path):
    from gom.lm.transfer import _draw
    from gom.matrices import MATRIX_LIMIT

    n = MATRIX_LIMIT + 5
    names = [f"d{i}" for i in range(n)]
    pairs = select_pairs(names, np.eye(n), neighbours=2, sample=1, seed=0)
    losses = {p: 1.0 + 0.01 * (p[0] + p[1]) for p in pairs}
    base = {p: 3.0 for p in pairs}
    _draw(tmp_path / "wide.png", names, losses, base)
    _draw(
        tmp_path / "small.png",
        names[:3],
        {(i, j): 1.0 for i in range(3) for j in range(3)},
        {(i, j): 2.0 for i in range(3) for j in range(3)},
    )
    import cairocffi as cairo

    wide = cairo.ImageSurface.create_from_png(str(tmp_path / "wide.png"))
    small = cairo.ImageSurface.create_from_png(str(tmp_path / "small.png"))
    assert wide.get_height() < 50 + 26 * 26 + 40  # 25 bars, not a 35 x 35 grid
    assert small.get_width() > 3 * 90  # the heatmap: one 90-pixel column per dataset


def test_cached_losses_that_cannot_be_losses_are_not_taken():
    from gom.lm.loss_cache import plausible

    # key -> (adapter or None for the base, adapter index, dataset index)
    wanted = {"a": (0, 0, 1), "base": (None, 0, 1), "b": (1, 1, 1), "c": (2, 2, 1), "d": (3, 3, 1), "e": (4, 4, 1)}
    base_entry = dict.fromkeys("abcde", "base")
    cache = {"a": 1.2, "base": 2.0, "b": 0.001, "c": 9.0, "d": -1.0, "e": 1.9, "other": 5.0}
    kept = plausible(cache, wanted, base_entry, dict.fromkeys(range(5), 300))  # ln(300) = 5.7
    assert kept == {"a": 1.2, "base": 2.0, "e": 1.9}  # 0.001: 2000x better; 9.0: worse than 1.5 x uniform
    assert plausible({"a": 1.2}, wanted, base_entry, {}) == {}  # an adapter's loss without its base's
    assert plausible({"a": 0.001, "base": 0.001}, wanted, base_entry, {}) == {}  # nor beside a planted base
