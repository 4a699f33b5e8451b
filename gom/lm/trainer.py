"""Stage: train one LoRA miniModel per dataset.

One ``train_step`` (gradient accumulation over micro-batches, bf16 on a GPU) used by the
trainer and the throughput benchmark; a warm-up + cosine schedule in which no step has a zero
learning rate; checkpoints resumed with the same losses; the final directory appears atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import resource
import signal
import time
from pathlib import Path

import numpy as np

from gom.device import pick_device, set_threads
from gom.errors import GomError
from gom.io import verified_checksum
from gom.lm.card import save_minimodel
from gom.lm.checkpoints import Preempted, StopFlag, load_checkpoint, save_checkpoint
from gom.lm.data import (
    IGNORE,
    Example,
    collate,
    length_grouped_batches,
    load_rows,
    render_pairs,
    show_example,
    tokenize,
)
from gom.lm.held_out import held_out_key, record
from gom.lm.loading import add_lora, load_base
from gom.lm.loss_cache import base_key
from gom.lm.losses import row_sums, supervised_loss

log = logging.getLogger("gom.train")


def train_step(model, micro_batches, optimizer, device: str, clip: float | None = None) -> dict:
    """One optimiser step over collated micro-batches (gradients accumulated), used by the trainer
    and the throughput benchmark alike; returns the step's loss and token counts."""
    import torch

    model.train()
    optimizer.zero_grad(set_to_none=True)
    n_sup = sum(int((labels[:, 1:] != IGNORE).sum()) for _, _, labels in micro_batches)
    loss, tokens, padded = 0.0, 0, 0
    for ids, mask, labels in micro_batches:
        ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
            # num_items_in_batch: the loss is a sum over the whole step's tokens / n_sup,
            # so micro-batches of different sizes are weighted correctly.
            step_loss = supervised_loss(model, ids, mask, labels, n_sup)
        step_loss.backward()
        loss += step_loss.detach().item()
        tokens += ids.numel()
        padded += int((mask == 0).sum())
    if clip is not None:
        torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], clip)
    optimizer.step()
    return {"loss": loss, "supervised": n_sup, "tokens": tokens, "padded": padded}


def lr_factor(step: int, warmup: int, total: int) -> float:
    """The fraction of the peak learning rate at optimiser step ``step`` (from 0): linear warm-up, then cosine.

    Warm-up step s gets (s+1)/(warmup+1), not s/warmup, and the cosine reaches 0 only one step
    after the last, so no step has a learning rate of 0 (with one step, nothing would be learnt).
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def lr_schedule(optimizer, warmup_ratio: float, total_steps: int):
    """Warm-up over ceil(warmup_ratio * total_steps) steps, always leaving one step of decay."""
    from torch.optim.lr_scheduler import LambdaLR

    warmup = min(math.ceil(warmup_ratio * total_steps), total_steps - 1)
    # A closure, not a callable object: LambdaLR's state_dict then holds only counters, which resume.
    return LambdaLR(optimizer, lambda step: lr_factor(step, warmup, total_steps))


def fingerprint_of(settings: dict, base_model: str, examples: list[Example]) -> str:
    h = hashlib.sha256(json.dumps({k: settings[k] for k in sorted(settings)}, sort_keys=True, default=str).encode())
    h.update(base_model.encode())
    for e in examples:
        h.update(np.asarray(e.input_ids, dtype=np.int64).tobytes())
        h.update(np.asarray(e.labels, dtype=np.int64).tobytes())
    return h.hexdigest()


def peak_memory_mb(device: str) -> float:
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def train_lora(
    name: str,
    parquet: str | Path,
    out_dir: str | Path,
    checkpoint: str | Path,
    templates: dict,
    settings: dict,
    base_model: str,
    split: dict,
    threads: int | None = None,
    stop_after_steps: int | None = None,
) -> dict:
    """Train dataset ``name``'s LoRA adapter on its training rows (``split``: the held-out split) and write ``out_dir``.

    ``checkpoint`` is a file outside the declared outputs; an existing one made with the same
    data and settings is resumed. ``stop_after_steps`` simulates a preemption (tests).
    """
    import torch

    start_time = time.perf_counter()
    set_threads(threads)
    # Columns are checked before anything heavy is loaded.
    table, held_out = load_rows(name, parquet, templates, split)
    pairs = render_pairs(name, table, templates)
    device = pick_device("auto", "training")
    model, tokenizer = load_base(base_model, settings["revision"], settings["trust_remote_code"], device)
    train_rows = np.flatnonzero(~held_out).tolist()
    eval_rows = np.flatnonzero(held_out).tolist()
    system = templates.get("system")
    train = tokenize(name, pairs, train_rows, tokenizer, settings["max_length"], system)
    held = tokenize(name, pairs, eval_rows, tokenizer, settings["max_length"], system)
    if not train or not held:
        raise GomError(
            f"dataset '{name}': {len(train)} training and {len(held)} held-out examples; it needs at least one of each"
        )
    for example in train[:2]:
        log.info("example %s", show_example(example, tokenizer))

    pad_id = tokenizer.pad_token_id
    mbs = min(settings["micro_batch_size"], settings["batch_size"])
    accum = math.ceil(settings["batch_size"] / mbs)
    lengths = [len(e.input_ids) for e in train]
    micro_per_epoch = math.ceil(len(train) / mbs)
    steps_per_epoch = math.ceil(micro_per_epoch / accum)
    total_steps = max(1, math.ceil(settings["epochs"] * steps_per_epoch))
    if settings.get("max_steps"):
        total_steps = min(total_steps, settings["max_steps"])

    base_sums, held_tokens = row_sums(model, held, pad_id, mbs, device)
    model = add_lora(model, settings)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings["lr"], weight_decay=settings["weight_decay"])
    scheduler = lr_schedule(optimizer, settings["warmup_ratio"], total_steps)

    checkpoint = Path(checkpoint)
    fingerprint = fingerprint_of(settings, base_model, train)
    state = load_checkpoint(checkpoint, fingerprint, model, optimizer, scheduler)
    losses: list[float] = state["losses"] if state else []
    counters = state["counters"] if state else {"supervised": 0, "tokens": 0, "padded": 0, "seconds": 0.0}
    first = state["step"] if state else 0
    if state:
        log.info(
            "resuming from checkpoint %s at step %d of %d (saved on %s)",
            checkpoint,
            first,
            total_steps,
            state.get("reason"),
        )
    log.info(
        "%s: %d training / %d held-out examples, %d steps of %d x %d examples on %s",
        name,
        len(train),
        len(held),
        total_steps,
        accum,
        mbs,
        device,
    )

    epoch_batches: dict[int, list[list[int]]] = {}
    with StopFlag() as stop:
        for step in range(first, total_steps):
            epoch, k = divmod(step, steps_per_epoch)
            if epoch not in epoch_batches:
                epoch_batches = {epoch: length_grouped_batches(lengths, mbs, settings["seed"], epoch)}
            group = epoch_batches[epoch][k * accum : (k + 1) * accum]
            tick = time.perf_counter()
            done_step = train_step(
                model, [collate([train[i] for i in b], pad_id) for b in group], optimizer, device, clip=1.0
            )
            step_loss = done_step["loss"]
            if not math.isfinite(step_loss):
                raise GomError(
                    f"dataset '{name}': the training loss is {step_loss} at step {step + 1} of {total_steps}; "
                    f"lower lora.lr (now {settings['lr']}) or check the data"
                )
            scheduler.step()
            for key in ("supervised", "tokens", "padded"):
                counters[key] += done_step[key]
            counters["seconds"] += time.perf_counter() - tick
            losses.append(step_loss)
            if step % 10 == 0 or step == total_steps - 1:
                log.info("step %d/%d loss %.4f", step + 1, total_steps, step_loss)
            done = step + 1
            interrupted = stop.signal is not None or (
                stop_after_steps is not None and done >= stop_after_steps and done < total_steps
            )
            if done % settings["checkpoint_every"] == 0 or interrupted:
                why = (
                    (signal.Signals(stop.signal).name if stop.signal else "stop_after_steps")
                    if interrupted
                    else "schedule"
                )
                save_checkpoint(
                    checkpoint,
                    model,
                    optimizer,
                    scheduler,
                    {"step": done, "losses": losses, "counters": counters, "fingerprint": fingerprint, "reason": why},
                )
            if interrupted:
                log.info(
                    "stopping at step %d on %s: checkpoint saved to %s; the next run resumes", done, why, checkpoint
                )
                raise Preempted(3)

    sums, _ = row_sums(model, held, pad_id, mbs, device)
    n_held = max(int(held_tokens.sum()), 1)
    eval_loss, base_eval_loss = float(sums.sum() / n_held), float(base_sums.sum() / n_held)
    if not (math.isfinite(eval_loss) and math.isfinite(base_eval_loss)):
        raise GomError(
            f"dataset '{name}': the held-out loss is {eval_loss} (base {base_eval_loss}); lower lora.lr (now "
            f"{settings['lr']}) or check the data"
        )
    metrics = {
        "dataset": name,
        "base_model": base_model,
        "train_examples": len(train),
        "eval_examples": len(held),
        "split": split,
        "steps": total_steps,
        "resumed_from_step": first,
        "train_loss": losses,
        "eval_loss": eval_loss,
        "base_eval_loss": base_eval_loss,
        "eval_perplexity": math.exp(min(eval_loss, 50)),
        "base_eval_perplexity": math.exp(min(base_eval_loss, 50)),
        "supervised_tokens_per_second": counters["supervised"] / max(counters["seconds"], 1e-9),
        "padding_fraction": counters["padded"] / max(counters["tokens"], 1),
        "peak_memory_mb": peak_memory_mb(device),
        "wall_seconds": time.perf_counter() - start_time,
        "device": device,
        "data_sha256": hashlib.sha256(
            "\n".join(f"{p}\x00{r}" for p, r in (pairs[e.row] for e in train)).encode()
        ).hexdigest(),
        # Each held-out row's losses, for the cross-evaluation and routing quality to reuse.
        "held_out": record(
            held_out_key(
                base_key(base_model, settings["revision"]),
                verified_checksum(parquet),
                templates,
                split,
                settings["max_length"],
                device,
            ),
            [e.row for e in held],
            held_tokens,
            sums / np.maximum(held_tokens, 1),
            base_sums / np.maximum(held_tokens, 1),
            sorted(set(eval_rows) - {e.row for e in held}),
        ),
    }
    save_minimodel(out_dir, model, tokenizer, name, base_model, templates, settings, metrics)
    checkpoint.unlink(missing_ok=True)
    log.info(
        "%s: eval loss %.4f (base %.4f), %.0f supervised tokens/s, padding %.1f%%",
        name,
        eval_loss,
        base_eval_loss,
        metrics["supervised_tokens_per_second"],
        100 * metrics["padding_fraction"],
    )
    return {k: v for k, v in metrics.items() if k not in ("train_loss", "held_out")}
