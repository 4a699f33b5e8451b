"""Stage: fine-tune the sentence-embedding model on the datasets, and measure it against the frozen one.

Three data shapes (``embedding.finetune.data``):

- ``groups``: rows of a group belong together. The group is the row's dataset (so the embedder
  learns to tell the datasets apart, which is what routing needs) or a label column.
- ``pairs``: two text columns that belong together (query/answer, source/target).
- ``scored_pairs``: two text columns and a similarity score in [0, 1].

Held-out rows are the shared split of ``gom.split`` (the rows routing and the miniModels are
evaluated on). Fine-tuning never sees them: a training example is dropped when any of its texts
is a held-out text of any dataset or of the pair file.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from gom.config import check_settings
from gom.errors import GomError
from gom.io import atomic_dir, atomic_path, read_json, verified, write_json
from gom.split import eval_mask, split_mask

log = logging.getLogger("gom.embedder")

MANIFEST = "gom_finetune.json"


# ---------------------------------------------------------------- data


@dataclass
class Split:
    """What fine-tuning may see (``train``) and what it is judged on (``held``)."""

    train: dict[str, list] = field(default_factory=dict)  # columns of the training set
    held: dict[str, list] = field(default_factory=dict)  # held-out pairs (pairs shapes only)
    held_texts: set[str] = field(default_factory=set)  # every held-out text, for the leakage guard
    dropped_for_leakage: int = 0


def dataset_splits(names, parquets, eval_fractions, columns=("text",)) -> dict[str, tuple[pl.DataFrame, np.ndarray]]:
    """{dataset: (its processed rows, held-out mask)} by the shared split."""
    out = {}
    for name, parquet, fraction in zip(names, parquets, eval_fractions):
        df = pl.read_parquet(verified(parquet))
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise GomError(f"dataset '{name}' ({parquet}) has no column {', '.join(repr(c) for c in missing)}; its columns: {', '.join(df.columns)}")
        out[name] = (df, split_mask(name, df["text"].to_list(), fraction))
    return out


def cap_training_rows(splits: dict, cap: int | None, seed: int) -> dict:
    """Keep at most ``cap`` training rows per dataset (a seeded sample) and every held-out row."""
    if not cap:
        return splits
    out = {}
    for name, (df, held) in splits.items():
        train = np.flatnonzero(~held)
        if len(train) > cap:
            keep = np.sort(np.concatenate([np.flatnonzero(held), np.random.default_rng(seed).choice(train, cap, replace=False)]))
            df, held = df[keep], held[keep]
        out[name] = (df, held)
    return out


def build_split(settings: dict, names, parquets, eval_fractions, base_dir: str | Path = ".") -> Split:
    """The training examples and held-out pairs for ``settings`` (a checked ``embedding.finetune``)."""
    shape = settings["data"]
    label = settings.get("label_column")
    splits = dataset_splits(names, parquets, eval_fractions, ("text", label) if shape == "groups" and label else ("text",))
    held_texts = {t for df, held in splits.values() for t in df["text"].filter(pl.Series(held)).to_list()}
    rng = np.random.default_rng(settings["seed"])
    if shape == "groups":
        texts, groups = [], []
        for name, (df, held) in cap_training_rows(splits, settings.get("max_rows_per_dataset"), settings["seed"]).items():
            rows = df.filter(pl.Series(~held))
            texts += rows["text"].to_list()
            groups += [name] * len(rows) if not label else [None if v is None else str(v) for v in rows[label].to_list()]
        keep = [g is not None and t not in held_texts for t, g in zip(texts, groups)]
        split = Split(held_texts=held_texts, dropped_for_leakage=sum(g is not None and t in held_texts for t, g in zip(texts, groups)))
        split.train = group_examples([t for t, k in zip(texts, keep) if k], [g for g, k in zip(groups, keep) if k], settings["loss"], rng)
        return split
    return pair_split(settings, splits, held_texts, base_dir)


def group_examples(texts: list[str], groups: list[str], loss: str, rng) -> dict[str, list]:
    """Training columns for a group loss: same-group pairs (mnrl), labelled rows (batch triplet
    losses) or positive and negative pairs (contrastive)."""
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    usable = {g: idx for g, idx in members.items() if len({texts[i] for i in idx}) >= 2}
    if len(usable) < 2:
        raise GomError(f"embedding.finetune: groups need at least two groups with two different training texts each; found {len(usable)} ({', '.join(map(str, members)) or 'none'})")
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


def pair_split(settings: dict, splits: dict, held_texts: set[str], base_dir) -> Split:
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
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise GomError(f"{where} has no column {', '.join(repr(c) for c in missing)} (named by embedding.finetune.pairs); its columns: {', '.join(df.columns)}")
    df = df.with_columns(pl.col(anchor).cast(pl.Utf8, strict=False), pl.col(positive).cast(pl.Utf8, strict=False))
    if score:
        df = df.with_columns(check_scores(df[score], f"{where}, column '{score}'"))
    if held is None:  # a pair file has its own split, by the anchor text
        held = eval_mask(df[anchor].fill_null("").to_list(), settings["eval_fraction"])
    df = df.with_columns(pl.Series("_held", held))
    df = df.filter(pl.col(anchor).str.strip_chars().str.len_chars() > 0, pl.col(positive).str.strip_chars().str.len_chars() > 0)
    held_df, train_df = df.filter(pl.col("_held")), df.filter(~pl.col("_held"))
    held_texts = held_texts | set(held_df[anchor].to_list()) | set(held_df[positive].to_list())
    leak = train_df[anchor].is_in(list(held_texts)) | train_df[positive].is_in(list(held_texts))
    train_df = train_df.filter(~leak)
    if settings.get("max_rows_per_dataset") and len(train_df) > settings["max_rows_per_dataset"]:
        train_df = train_df.sample(settings["max_rows_per_dataset"], seed=settings["seed"])
    if len(train_df) < 2 or len(held_df) < 1:
        raise GomError(f"{where}: {len(train_df)} training and {len(held_df)} held-out pairs after the split; fine-tuning needs at least 2 and 1")
    if settings["data"] == "scored_pairs":
        cols = {"sentence1": train_df[anchor], "sentence2": train_df[positive], "score": train_df[score].cast(pl.Float64)}
        held_cols = {"sentence1": held_df[anchor], "sentence2": held_df[positive], "score": held_df[score].cast(pl.Float64)}
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
        raise GomError(f"{where}: {int(bad.sum())} score(s) not a number in [0, 1], the first on row {row + 1}: {column[row]}; rescale the scores to [0, 1]")
    return values


def read_pair_file(pairs: dict, base_dir) -> pl.DataFrame:
    from gom.config import FORMATS_BY_SUFFIX
    from gom.convert import read_table

    path = Path(base_dir) / pairs["path"]
    if not path.is_file():
        raise GomError(f"embedding.finetune.pairs.path: file '{pairs['path']}' does not exist")
    fmt = pairs.get("format") or FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise GomError(f"embedding.finetune.pairs.path: '{pairs['path']}' has an unknown format; set embedding.finetune.pairs.format")
    return read_table(path, fmt, pairs.get("encoding", "utf-8"), pairs.get("delimiter"), f"embedding.finetune.pairs: file '{pairs['path']}'")


# ---------------------------------------------------------------- training


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
        from sentence_transformers.sentence_transformer.training_args import BatchSamplers
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
        raise GomError("embedding.finetune: not even a batch of 1 fits in GPU memory; lower embedding.finetune.max_seq_length")
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
            features = [{k: v.to(model.device) if torch.is_tensor(v) else v for k, v in model.tokenize([train[c][i] for i in rows]).items()}
                        for c in columns]
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


def finetune_embedder(names, parquets, eval_fractions, settings: dict, out: str | Path, threads: int | None = None) -> dict:
    """Fine-tune ``settings['base']`` on the training examples; write a sentence-transformers
    model directory ``out`` with a manifest of what it was trained on."""
    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments

    from gom.embed import load_model

    BatchSamplers = _st_modules()[2]

    if threads:
        torch.set_num_threads(threads)
    settings = check_settings(settings, names)
    split = build_split(settings, names, parquets, eval_fractions)
    n = len(next(iter(split.train.values())))
    log.info("fine-tuning %s on %d %s examples (loss %s); %d held-out texts kept out, %d examples dropped for containing one",
             settings["base"], n, settings["data"], settings["loss"], len(split.held_texts), split.dropped_for_leakage)
    torch.manual_seed(settings["seed"])
    model = load_model(settings["base"], settings["device"], settings["max_seq_length"])
    loss = make_loss(settings["loss"], model)
    batch = min(settings["batch_size"], n)
    if settings["auto_batch_size"]:
        if model.device.type == "cuda":
            batch = largest_batch(batch_probe(model, loss, split.train), batch, min(settings["max_batch_size"], n))
            log.info("automatic batch search: %d examples per batch fit in GPU memory", batch)
        else:
            log.info("embedding.finetune.auto_batch_size needs a GPU; training on %s with batch_size %d", model.device, batch)
    sampler = BatchSamplers.GROUP_BY_LABEL if settings["loss"].startswith("batch_") else (
        BatchSamplers.NO_DUPLICATES if settings["loss"].startswith("mnrl") else BatchSamplers.BATCH_SAMPLER)
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
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=Dataset.from_dict(split.train), loss=loss)
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


# ---------------------------------------------------------------- evaluation


def routing_scores(model, splits: dict, k: int, method: str, label: str | None = None, batch_size: int = 64) -> dict:
    """Held-out routing top-1 with ``model``: both routers of ``gom.route`` built from the training
    rows' embeddings, asked for the held-out rows' datasets (and labels, when grouping by one)."""
    from gom.embed import encode_unique
    from gom.route import METHODS, Index, accuracy

    names = list(splits)
    vectors = {n: encode_unique(model, df["text"].to_list(), batch_size=batch_size, progress=False) for n, (df, _) in splits.items()}
    out = {}
    index = Index.from_rows(names, [vectors[n][~splits[n][1]] for n in names], model="", k=k)
    queries = np.concatenate([vectors[n][splits[n][1]] for n in names])
    truth = np.concatenate([np.full(int(splits[n][1].sum()), i) for i, n in enumerate(names)])
    per_method = {m: accuracy(index.scores(queries, m), truth, names) for m in METHODS}
    for m in METHODS:
        out[f"routing_top1_{m}"] = per_method[m]["top1_accuracy"]
        out[f"routing_balanced_{m}"] = per_method[m]["balanced_accuracy"]
    out["routing_top1"] = max(out[f"routing_top1_{m}"] for m in METHODS) if method == "auto" else out[f"routing_top1_{method}"]
    if label:
        labels = {n: np.array([None if v is None else str(v) for v in df[label].to_list()], dtype=object) for n, (df, _) in splits.items()}
        train_rows = {lab: [] for arr in labels.values() for lab in sorted(set(arr) - {None})}
        held_rows, held_labels = [], []
        for n, (df, held) in splits.items():
            for v, lab, h in zip(vectors[n], labels[n], held):
                if lab is None:
                    continue
                if h:
                    held_rows.append(v)
                    held_labels.append(lab)
                else:
                    train_rows[lab].append(v)
        present = {lab: i for i, lab in enumerate(sorted(lab for lab, rows in train_rows.items() if rows))}
        if held_rows and len(present) >= 2:
            by_label = Index.from_rows(list(present), [np.array(train_rows[lab]) for lab in present], model="", k=k)
            truth_l = np.array([present.get(lab, -1) for lab in held_labels])
            scores = by_label.scores(np.array(held_rows), "centroid")
            out["label_top1_centroid"] = float((scores.argmax(axis=1) == truth_l).mean())
    return out


def pair_scores(model, split: Split, shape: str, batch_size: int = 64) -> dict:
    """The library's evaluator for ``shape`` (pairs or scored_pairs), on the held-out pairs."""
    evaluation = _st_modules()[1]
    held = split.held
    if shape == "pairs":
        corpus_texts = list(dict.fromkeys(held["positive"]))
        queries = {f"q{i}": a for i, a in enumerate(held["anchor"])}
        corpus = {f"d{i}": t for i, t in enumerate(corpus_texts)}
        doc_id = {t: f"d{i}" for i, t in enumerate(corpus_texts)}
        relevant: dict[str, set] = {}
        for i, p in enumerate(held["positive"]):
            relevant.setdefault(f"q{i}", set()).add(doc_id[p])
        ev = evaluation.InformationRetrievalEvaluator(queries, corpus, relevant, name="held_out", batch_size=batch_size,
                                                      show_progress_bar=False, mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[1],
                                                      precision_recall_at_k=[10], map_at_k=[10])
        scores = ev(model)
        return {"mrr@10": _metric(scores, "mrr@10"), "ndcg@10": _metric(scores, "ndcg@10")}
    ev = evaluation.EmbeddingSimilarityEvaluator(held["sentence1"], held["sentence2"], held["score"], name="held_out",
                                                 batch_size=batch_size, show_progress_bar=False)
    return {"spearman": _metric(ev(model), "spearman_cosine")}


def _metric(scores: dict, suffix: str) -> float:
    """One value of an evaluator's result dict, whose keys carry name and similarity prefixes."""
    matches = [v for k, v in scores.items() if k.endswith(suffix) and "cosine" in k]
    if not matches:
        raise GomError(f"the evaluator reported no '{suffix}' (keys: {', '.join(sorted(scores))})")
    return float(matches[0])


def evaluate_embedder(names, parquets, eval_fractions, settings: dict, finetuned: str | Path, routing: dict,
                      out_json: str | Path, out_csv: str | Path, threads: int | None = None) -> dict:
    """Score the frozen base and the fine-tuned model on the same held-out rows; write eval.json
    ({"frozen": ..., "finetuned": ...}, same keys) and a table for the report."""
    import torch

    from gom.embed import load_model

    if threads:
        torch.set_num_threads(threads)
    settings = check_settings(settings, names)
    # held-out pairs for the pair shapes' evaluators; groups are scored by routing alone
    split = build_split(settings, names, parquets, eval_fractions) if settings["data"] != "groups" else None
    label = settings.get("label_column") if settings["data"] == "groups" else None
    # the index rows are capped like the training rows (evaluation at scale); held-out rows never are
    splits = cap_training_rows(dataset_splits(names, parquets, eval_fractions, ("text", label) if label else ("text",)),
                               settings.get("max_rows_per_dataset"), settings["seed"])
    results = {}
    for which, path in (("frozen", settings["base"]), ("finetuned", str(finetuned))):
        model = load_model(path, settings["device"], settings["max_seq_length"])
        scores = routing_scores(model, splits, routing["k"], routing["method"], label)
        if split is not None:
            scores.update(pair_scores(model, split, settings["data"]))
        results[which] = scores
        log.info("%s: %s", which, scores)
    report = {
        **results,
        "data": settings["data"],
        "loss": settings["loss"],
        "held_out_queries": int(sum(int(held.sum()) for _, held in splits.values())),
        "training": read_json(Path(finetuned) / MANIFEST) if (Path(finetuned) / MANIFEST).exists() else None,
    }
    write_json(out_json, report)
    table = pl.DataFrame({
        "metric": list(results["frozen"]),
        "frozen": [round(results["frozen"][m], 4) for m in results["frozen"]],
        "finetuned": [round(results["finetuned"][m], 4) for m in results["frozen"]],
    }).with_columns((pl.col("finetuned") - pl.col("frozen")).round(4).alias("change"))
    with atomic_path(out_csv) as tmp:
        table.write_csv(tmp)
    return {"frozen_routing_top1": results["frozen"]["routing_top1"], "finetuned_routing_top1": results["finetuned"]["routing_top1"]}
