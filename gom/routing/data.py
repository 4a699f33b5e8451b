"""The rows routing learns from and is judged on: every dataset's texts and embeddings, cut by
the shared split into training, validation and held-out parts (``gom.split``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gom.errors import GomError
from gom.io import load_npy, verified
from gom.split import split_mask, validation_mask

TRAIN, VALIDATION, HELD_OUT = "train", "validation", "held_out"


@dataclass
class Rows:
    texts: list[str]
    vectors: np.ndarray  # rows x dim, unit rows
    labels: np.ndarray  # dataset index of each row
    numbers: np.ndarray  # each row's number in its dataset's processed table
    parts: np.ndarray  # TRAIN, VALIDATION or HELD_OUT

    def take(self, *parts: str) -> Rows:
        keep = np.isin(self.parts, parts)
        return Rows(
            [t for t, k in zip(self.texts, keep) if k],
            self.vectors[keep],
            self.labels[keep],
            self.numbers[keep],
            self.parts[keep],
        )

    def by_dataset(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(vectors, row numbers) of each of the ``n`` datasets."""
        return [self.vectors[self.labels == i] for i in range(n)], [self.numbers[self.labels == i] for i in range(n)]


def routing_rows(datasets: Mapping[str, Mapping], parts: Sequence[str]) -> Rows:
    """The rows of ``parts`` of every dataset (records with ``parquet``, ``embeddings``, ``split``
    and ``validation``), in ``datasets`` order; rows of other parts are dropped as soon as they are read."""
    texts, vectors, labels, numbers, kinds = [], [], [], [], []
    for i, (name, dataset) in enumerate(datasets.items()):
        parquet, embeddings, split = dataset["parquet"], dataset["embeddings"], dataset["split"]
        rows_text = pl.read_parquet(verified(parquet), columns=["text"])["text"].to_list()
        rows = load_npy(embeddings)
        if len(rows) != len(rows_text):
            raise GomError(
                f"dataset '{name}': {embeddings} has {len(rows)} rows, {parquet} has {len(rows_text)}; re-run embed"
            )
        held = split_mask(name, rows_text, split)
        valid = validation_mask(rows_text, held, dataset.get("validation", 0.0), split.get("seed", 0))
        part = np.where(held, HELD_OUT, np.where(valid, VALIDATION, TRAIN))
        keep = np.flatnonzero(np.isin(part, parts))
        texts += [rows_text[j] for j in keep]
        vectors.append(rows[keep].astype(np.float32))
        labels.append(np.full(len(keep), i, dtype=np.int32))
        numbers.append(keep.astype(np.int64))
        kinds.append(part[keep])
    dim = vectors[0].shape[1] if vectors else 0
    return Rows(
        texts,
        np.concatenate(vectors) if vectors else np.zeros((0, dim), dtype=np.float32),
        np.concatenate(labels) if labels else np.zeros(0, dtype=np.int32),
        np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64),
        np.concatenate(kinds) if kinds else np.zeros(0, dtype="<U10"),
    )
