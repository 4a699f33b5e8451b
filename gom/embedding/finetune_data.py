"""What the embedder is fine-tuned on, in three data shapes (``embedding.finetune.data``):

- ``groups``: rows of a group belong together; the group is the row's dataset (so the embedder
  learns to tell the datasets apart, which is what routing needs) or a label column.
- ``pairs``: two text columns that belong together (query/answer, source/target).
- ``scored_pairs``: two text columns and a similarity score in [0, 1].

Held-out rows are the shared split of ``gom.split``; a training example is dropped when any of
its texts is a held-out text of any dataset or of the pair file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from gom.errors import GomError, require_columns
from gom.io import verified
from gom.split import eval_mask, split_mask, validation_mask


@dataclass
class Split:
    """What fine-tuning may see (``train``) and what it is judged on (``held``)."""

    train: dict[str, list] = field(default_factory=dict)  # columns of the training set
    held: dict[str, list] = field(default_factory=dict)  # held-out pairs (pairs shapes only)
    held_texts: set[str] = field(default_factory=set)  # every held-out text, for the leakage guard
    dropped_for_leakage: int = 0


def dataset_splits(datasets: Mapping[str, Mapping], columns=("text",)) -> dict[str, tuple[pl.DataFrame, np.ndarray]]:
    """{dataset: (its processed rows, held-out mask)} by the shared split (each record's ``parquet``,
    ``split`` and ``validation``). The validation rows (``split.validation``) are left out altogether: routing
    measures on them whether the fine-tuned embedder helps, so it must never train on them."""
    out = {}
    for name, dataset in datasets.items():
        parquet, split = dataset["parquet"], dataset["split"]
        df = pl.read_parquet(verified(parquet))
        require_columns(df.columns, columns, f"dataset '{name}' ({parquet})", "embedding.finetune.label_column")
        texts = df["text"].to_list()
        held = split_mask(name, texts, split)
        keep = ~validation_mask(texts, held, dataset.get("validation", 0.0), split.get("seed", 0))
        out[name] = (df.filter(pl.Series(keep)), held[keep])
    return out


def validation_texts(datasets: Mapping[str, Mapping]) -> set[str]:
    """Every dataset's validation texts: no training example may contain one, whichever dataset
    or pair file it comes from."""
    out = set()
    for name, dataset in datasets.items():
        split = dataset["split"]
        texts = pl.read_parquet(verified(dataset["parquet"]), columns=["text"])["text"].to_list()
        held = split_mask(name, texts, split)
        valid = validation_mask(texts, held, dataset.get("validation", 0.0), split.get("seed", 0))
        out.update(t for t, v in zip(texts, valid) if v)
    return out


def cap_training_rows(splits: dict, cap: int | None, seed: int) -> dict:
    """Keep at most ``cap`` training rows per dataset (a seeded sample) and every held-out row."""
    if not cap:
        return splits
    out = {}
    for name, (df, held) in splits.items():
        train = np.flatnonzero(~held)
        if len(train) > cap:
            keep = np.sort(
                np.concatenate([np.flatnonzero(held), np.random.default_rng(seed).choice(train, cap, replace=False)])
            )
            df, held = df[keep], held[keep]
        out[name] = (df, held)
    return out


def build_split(settings: dict, datasets: Mapping[str, Mapping], base_dir: str | Path = ".") -> Split:
    """The training examples and held-out pairs for ``settings`` (a checked ``embedding.finetune``)."""
    shape = settings["data"]
    label = settings.get("label_column")
    splits = dataset_splits(datasets, ("text", label) if shape == "groups" and label else ("text",))
    held_texts = {t for df, held in splits.values() for t in df["text"].filter(pl.Series(held)).to_list()}
    unseen = held_texts | validation_texts(datasets)  # texts no training example may contain
    rng = np.random.default_rng(settings["seed"])
    if shape == "groups":
        texts, groups = [], []
        for name, (df, held) in cap_training_rows(
            splits, settings.get("max_rows_per_dataset"), settings["seed"]
        ).items():
            rows = df.filter(pl.Series(~held))
            texts += rows["text"].to_list()
            groups += (
                [name] * len(rows) if not label else [None if v is None else str(v) for v in rows[label].to_list()]
            )
        keep = [g is not None and t not in unseen for t, g in zip(texts, groups)]
        split = Split(
            held_texts=held_texts,
            dropped_for_leakage=sum(g is not None and t in unseen for t, g in zip(texts, groups)),
        )
        split.train = group_examples(
            [t for t, k in zip(texts, keep) if k], [g for g, k in zip(groups, keep) if k], settings["loss"], rng
        )
        return split
    return pair_split(settings, splits, held_texts, base_dir, unseen)


def group_examples(texts: list[str], groups: list[str], loss: str, rng) -> dict[str, list]:
    """Training columns for a group loss: same-group pairs (mnrl), labelled rows (batch triplet
    losses) or positive and negative pairs (contrastive)."""
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    usable = {g: idx for g, idx in members.items() if len({texts[i] for i in idx}) >= 2}
    if len(usable) < 2:
        raise GomError(
            "embedding.finetune: groups need at least two groups with two different training texts each; "
            f"found {len(usable)} ({', '.join(map(str, members)) or 'none'})"
        )
    rows = [i for idx in usable.values() for i in idx]
    if loss.startswith("batch_"):
        ids = {g: n for n, g in enumerate(sorted(usable))}
        return {"text": [texts[i] for i in rows], "label": [ids[groups[i]] for i in rows]}

    def other(i: int, pool: list[int]) -> int:
        while True:
            j = pool[rng.integers(len(pool))]
            if texts[j] != texts[i]:
                return j

    if loss == "mnrl":
        return {"anchor": [texts[i] for i in rows], "positive": [texts[other(i, usable[groups[i]])] for i in rows]}

    def outside(i: int) -> int:  # rejection sampling: no per-row list of the other groups' rows
        while True:
            j = rows[rng.integers(len(rows))]
            if groups[j] != groups[i]:
                return j

    # contrastive: one positive and one negative pair per row
    s1, s2, y = [], [], []
    for i in rows:
        s1 += [texts[i], texts[i]]
        s2 += [texts[other(i, usable[groups[i]])], texts[outside(i)]]
        y += [1, 0]
    return {"sentence1": s1, "sentence2": s2, "label": y}


def pair_split(settings: dict, splits: dict, held_texts: set[str], base_dir, unseen: set[str] = frozenset()) -> Split:
    pairs = settings["pairs"]
    anchor, positive, score = pairs["anchor"], pairs["positive"], pairs.get("score")
    wanted = [anchor, positive] + ([score] if score else [])
    if "dataset" in pairs:
        where = f"embedding.finetune.pairs: dataset '{pairs['dataset']}'"
        df, held = splits[pairs["dataset"]]
    else:
        where = f"embedding.finetune.pairs: file '{pairs['path']}'"
        df = read_pair_file(pairs, base_dir)
        held = None
    require_columns(df.columns, wanted, where, "embedding.finetune.pairs")
    df = df.with_columns(pl.col(anchor).cast(pl.Utf8, strict=False), pl.col(positive).cast(pl.Utf8, strict=False))
    if score:
        df = df.with_columns(check_scores(df[score], f"{where}, column '{score}'"))
    if held is None:  # a pair file has its own split, by the anchor text
        held = eval_mask(df[anchor].fill_null("").to_list(), settings["eval_fraction"])
    df = df.with_columns(pl.Series("_held", held))
    df = df.filter(
        pl.col(anchor).str.strip_chars().str.len_chars() > 0, pl.col(positive).str.strip_chars().str.len_chars() > 0
    )
    held_df, train_df = df.filter(pl.col("_held")), df.filter(~pl.col("_held"))
    held_texts = held_texts | set(held_df[anchor].to_list()) | set(held_df[positive].to_list())
    blocked = list(held_texts | unseen)
    leak = train_df[anchor].is_in(blocked) | train_df[positive].is_in(blocked)
    train_df = train_df.filter(~leak)
    if settings.get("max_rows_per_dataset") and len(train_df) > settings["max_rows_per_dataset"]:
        train_df = train_df.sample(settings["max_rows_per_dataset"], seed=settings["seed"])
    if len(train_df) < 2 or len(held_df) < 1:
        raise GomError(
            f"{where}: {len(train_df)} training and {len(held_df)} held-out pairs after the split; fine-tuning needs at least 2 and 1"
        )
    if settings["data"] == "scored_pairs":
        cols = {
            "sentence1": train_df[anchor],
            "sentence2": train_df[positive],
            "score": train_df[score].cast(pl.Float64),
        }
        held_cols = {
            "sentence1": held_df[anchor],
            "sentence2": held_df[positive],
            "score": held_df[score].cast(pl.Float64),
        }
    else:
        cols = {"anchor": train_df[anchor], "positive": train_df[positive]}
        held_cols = {"anchor": held_df[anchor], "positive": held_df[positive]}
    return Split(
        train={k: v.to_list() for k, v in cols.items()},
        held={k: v.to_list() for k, v in held_cols.items()},
        held_texts=held_texts,
        dropped_for_leakage=int(leak.sum()),
    )


def check_scores(column: pl.Series, where: str) -> pl.Series:
    """Scores as floats in [0, 1], or GomError naming the first bad value and its row."""
    values = column.cast(pl.Float64, strict=False)
    bad = values.is_null() | values.is_nan() | (values < 0) | (values > 1)
    if bad.any():
        row = int(bad.arg_true()[0])
        raise GomError(
            f"{where}: {int(bad.sum())} score(s) not a number in [0, 1], the first on row {row + 1}: "
            f"{column[row]}; rescale the scores to [0, 1]"
        )
    return values


def read_pair_file(pairs: dict, base_dir) -> pl.DataFrame:
    from gom.config import FORMATS_BY_SUFFIX
    from gom.tables import read_table

    path = Path(base_dir) / pairs["path"]
    if not path.is_file():
        raise GomError(f"embedding.finetune.pairs.path: file '{pairs['path']}' does not exist")
    fmt = pairs.get("format") or FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise GomError(
            f"embedding.finetune.pairs.path: '{pairs['path']}' has an unknown format; set embedding.finetune.pairs.format"
        )
    return read_table(
        path,
        fmt,
        pairs.get("encoding", "utf-8"),
        pairs.get("delimiter"),
        f"embedding.finetune.pairs: file '{pairs['path']}'",
    )
