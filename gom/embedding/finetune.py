"""Stage: fine-tune the sentence-embedding model on the datasets' training rows (sentence-transformers'
trainer; the loss per data shape; on a GPU, the largest batch that fits).
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from gom.config import check_settings
from gom.device import set_threads
from gom.embedding.finetune_data import build_split
from gom.errors import GomError
from gom.io import atomic_dir, write_json

log = logging.getLogger("gom.embedder")


MANIFEST = "gom_finetune.json"


def make_loss(name: str, model):
    losses = _st_modules()[0]
    return {
        "mnrl": lambda: losses.MultipleNegativesRankingLoss(model),
        "mnrl_symmetric": lambda: losses.MultipleNegativesSymmetricRankingLoss(model),
        "batch_all_triplet": lambda: losses.BatchAllTripletLoss(model),
        "batch_hard_triplet": lambda: losses.BatchHardTripletLoss(model),
        "batch_semi_hard_triplet": lambda: losses.BatchSemiHardTripletLoss(model),
        "batch_hard_soft_margin_triplet": lambda: losses.BatchHardSoftMarginTripletLoss(model),
        "contrastive": lambda: losses.OnlineContrastiveLoss(model),
        "cosent": lambda: losses.CoSENTLoss(model),
        "cosine": lambda: losses.CosineSimilarityLoss(model),
    }[name]()


def _st_modules():
    """(losses, evaluation, BatchSamplers) of sentence-transformers, wherever this version keeps them."""
    try:
        from sentence_transformers.sentence_transformer import evaluation, losses
        from sentence_transformers.sentence_transformer.training_args import (
            BatchSamplers,
        )
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers import evaluation, losses
        from sentence_transformers.training_args import BatchSamplers
    return losses, evaluation, BatchSamplers


def largest_batch(fits: Callable[[int], bool], start: int, limit: int) -> int:
    """The largest batch size that ``fits``: double from ``start`` until it fails or reaches
    ``limit``, then bisect between the last size that fit and the first that did not."""
    if not fits(start):
        low, high = 0, start
    else:
        low = start
        while low < limit:
            trial = min(low * 2, limit)
            if not fits(trial):
                high = trial
                break
            low = trial
        else:
            return low
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    if low == 0:
        raise GomError(
            "embedding.finetune: not even a batch of 1 fits in GPU memory; lower embedding.finetune.max_seq_length"
        )
    return low


def batch_probe(model, loss, train: dict[str, list]) -> Callable[[int], bool]:
    """``fits(b)``: one forward and backward pass over the b longest training examples on the
    model's device; False when it runs out of GPU memory."""
    import torch

    columns = [c for c in train if c not in ("label", "score")]
    order = np.argsort([-sum(len(str(train[c][i])) for c in columns) for i in range(len(train[columns[0]]))])
    target = "label" if "label" in train else "score" if "score" in train else None

    def fits(batch: int) -> bool:
        rows = [order[i % len(order)] for i in range(batch)]
        try:
            features = [
                {
                    k: v.to(model.device) if torch.is_tensor(v) else v
                    for k, v in model.tokenize([train[c][i] for i in rows]).items()
                }
                for c in columns
            ]
            labels = torch.tensor([train[target][i] for i in rows], device=model.device) if target else None
            loss(features, labels).backward()
            return True
        except torch.cuda.OutOfMemoryError:
            return False
        finally:
            model.zero_grad(set_to_none=True)
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    return fits


def finetune_embedder(
    datasets: Mapping[str, Mapping], settings: dict, out: str | Path, threads: int | None = None
) -> dict:
    """Fine-tune ``settings['base']`` on the training examples; write a sentence-transformers
    model directory ``out`` with a manifest of what it was trained on."""
    import torch
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )

    from datasets import Dataset
    from gom.embedding.encode import load_model

    BatchSamplers = _st_modules()[2]

    set_threads(threads)
    settings = check_settings(settings, list(datasets))
    split = build_split(settings, datasets)
    n = len(next(iter(split.train.values())))
    log.info(
        "fine-tuning %s on %d %s examples (loss %s); %d held-out texts kept out, %d examples dropped for containing one",
        settings["base"],
        n,
        settings["data"],
        settings["loss"],
        len(split.held_texts),
        split.dropped_for_leakage,
    )
    torch.manual_seed(settings["seed"])
    model = load_model(settings["base"], settings["device"], settings["max_seq_length"])
    loss = make_loss(settings["loss"], model)
    batch = min(settings["batch_size"], n)
    if settings["auto_batch_size"]:
        if model.device.type == "cuda":
            batch = largest_batch(batch_probe(model, loss, split.train), batch, min(settings["max_batch_size"], n))
            log.info("automatic batch search: %d examples per batch fit in GPU memory", batch)
        else:
            log.info(
                "embedding.finetune.auto_batch_size needs a GPU; training on %s with batch_size %d", model.device, batch
            )
    sampler = (
        BatchSamplers.GROUP_BY_LABEL
        if settings["loss"].startswith("batch_")
        else (BatchSamplers.NO_DUPLICATES if settings["loss"].startswith("mnrl") else BatchSamplers.BATCH_SAMPLER)
    )
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        args = SentenceTransformerTrainingArguments(
            output_dir=str(tmp / ".trainer"),
            num_train_epochs=settings["epochs"],
            per_device_train_batch_size=batch,
            learning_rate=settings["lr"],
            # warm-up as a step count: an int means steps in every transformers version
            warmup_steps=int(settings["warmup_ratio"] * math.ceil(n / batch) * settings["epochs"]),
            seed=settings["seed"],
            batch_sampler=sampler,
            save_strategy="no",
            logging_steps=max(1, n // batch // 10),
            report_to=[],
            disable_tqdm=False,  # the progress bar goes to the rule's log
            use_cpu=model.device.type == "cpu",
            dataloader_drop_last=settings["loss"].startswith("mnrl") and n > batch,
        )
        trainer = SentenceTransformerTrainer(
            model=model, args=args, train_dataset=Dataset.from_dict(split.train), loss=loss
        )
        result = trainer.train()
        model.save(str(tmp))
        shutil.rmtree(tmp / ".trainer", ignore_errors=True)
        manifest = {
            "base": settings["base"],
            "data": settings["data"],
            "loss": settings["loss"],
            "label_column": settings.get("label_column"),
            "examples": n,
            "held_out_texts_excluded": len(split.held_texts),
            "examples_dropped_for_leakage": split.dropped_for_leakage,
            "batch_size": batch,
            "epochs": settings["epochs"],
            "lr": settings["lr"],
            "device": str(model.device),
            "train_loss": round(float(result.training_loss), 5),
            "seconds": round(time.perf_counter() - start, 1),
        }
        write_json(tmp / MANIFEST, manifest)
    return manifest
