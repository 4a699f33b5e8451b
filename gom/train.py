"""Stage: train one LoRA miniModel per dataset.

What makes it learn (the prototype did not): the prompt tokens are masked to -100 and the
response plus EOS are the labels; pad is never EOS; an example with no supervised token left
after truncation stops the run naming its row. What makes it fast: no padding to max_length,
micro-batches of similar length (padding only to the longest in each), bf16 on a GPU.
What makes it robust: checkpoints with optimizer and RNG state outside the declared outputs,
written every ``checkpoint_every`` steps and on SIGTERM/SIGUSR1 (SLURM preemption), resumed
by the next run with the same losses; the final directory appears atomically. Checkpoints hold
only tensors and plain data, read with ``weights_only``: a planted or corrupt one runs nothing
and is set aside.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import os
import random
import resource
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gom.errors import GomError, first_line
from gom.io import atomic_dir, atomic_path, verified, write_json
from gom.split import split_mask
from gom.templates import render

log = logging.getLogger("gom.train")
IGNORE = -100


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    row: int

    @property
    def supervised(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


# --------------------------------------------------------------------------- data


def load_rows(name: str, parquet: str | Path, templates: dict, eval_fraction: float) -> tuple[pl.DataFrame, np.ndarray]:
    """The processed table (checked for the templates' columns) and its held-out mask."""
    table = pl.read_parquet(verified(parquet))
    missing = [c for c in templates["columns"] if c not in table.columns]
    if missing:
        raise GomError(
            f"dataset '{name}': train template names missing column(s) {', '.join(map(repr, missing))}; "
            f"{parquet} has columns: {', '.join(table.columns)}"
        )
    return table, split_mask(name, table["text"].to_list(), eval_fraction)


def render_pairs(name: str, table: pl.DataFrame, templates: dict) -> list[tuple[str, str]]:
    """(prompt, response) of every row; refuses a response template that is empty on every row."""
    pairs = [(render(templates["prompt"], row), render(templates["response"], row)) for row in table.iter_rows(named=True)]
    if pairs and not any(r.strip() for _, r in pairs):
        raise GomError(f"dataset '{name}': train.response {templates['response']!r} is empty on every row; point it at a column with text")
    return pairs


def tokenize(name: str, pairs: list[tuple[str, str]], rows: list[int], tokenizer, max_length: int) -> list[Example]:
    """Tokenise (prompt, response) pairs: labels are -100 on the prompt, the response and EOS learned.

    Rows whose response is empty are skipped; a row left with no response token after
    truncation to ``max_length`` is an error naming the row.
    """
    eos = tokenizer.eos_token_id
    examples = []
    for row in rows:
        prompt, response = pairs[row]
        if not response.strip():
            continue
        p = tokenizer.encode(prompt, add_special_tokens=False) if prompt else []
        r = tokenizer.encode(response, add_special_tokens=False) + [eos]
        ids = (p + r)[:max_length]
        labels = ([IGNORE] * len(p) + r)[:max_length]
        if all(t == IGNORE for t in labels):
            raise GomError(
                f"dataset '{name}', row {row}: no response token is left after truncation to "
                f"lora.max_length={max_length} (the prompt alone is {len(p)} tokens); raise "
                "lora.max_length or shorten train.prompt"
            )
        examples.append(Example(ids, labels, row))
    return examples


def length_grouped_batches(lengths: list[int], micro_batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Micro-batches of similar length in a random order that depends only on (seed, epoch).

    Shuffle, then sort within windows of 64 micro-batches by length, so padding is small
    while the order stays random.
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    window = micro_batch_size * 64
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window].tolist(), key=lambda i: lengths[i])
        batches += [chunk[j : j + micro_batch_size] for j in range(0, len(chunk), micro_batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def collate(examples: list[Example], pad_id: int, pad_to: int | None = None):
    """Pad to the longest example of the micro-batch (or to ``pad_to``); pads are masked and unlabelled."""
    import torch

    width = pad_to or max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for i, e in enumerate(examples):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        labels[i, :n] = torch.tensor(e.labels)
        mask[i, :n] = 1
    return ids, mask, labels


def show_example(example: Example, tokenizer) -> str:
    """A decoded example with its label mask: [prompt] in brackets is masked, the rest is learned."""
    parts, current, masked = [], [], None
    for tok, lab in zip(example.input_ids, example.labels):
        m = lab == IGNORE
        if masked is not None and m != masked:
            parts.append((masked, tokenizer.decode(current)))
            current = []
        current.append(tok)
        masked = m
    if current:
        parts.append((masked, tokenizer.decode(current)))
    text = "".join(f"[{t}]" if m else t for m, t in parts)
    return f"row {example.row}: {len(example.input_ids)} tokens, {example.supervised} learned: {text!r}"


# --------------------------------------------------------------------------- models


def load_base(base_model: str, revision: str | None = None, trust_remote_code: bool = False, device: str = "cpu"):
    """(model, tokenizer) of the base; a clear error when it cannot be loaded (offline, wrong path)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model, revision=revision, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(base_model, revision=revision, trust_remote_code=trust_remote_code, dtype=dtype)
    except Exception as e:
        raise GomError(
            f"base model '{base_model}' could not be loaded ({type(e).__name__}: {first_line(e)}). "
            "Without network only local models load: set lora.base_model to a local directory "
            "holding the model and tokenizer, or to 'tiny' for the workflow-built test base"
        ) from None
    if tokenizer.eos_token_id is None:
        raise GomError(f"base model '{base_model}': its tokenizer has no EOS token, so a miniModel could not learn to stop")
    if tokenizer.pad_token_id is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        # Labels are built explicitly, so the pad id only fills masked positions; keep it off EOS
        # so that nothing downstream mistakes padding for the end of an answer.
        tokenizer.pad_token_id = 0 if tokenizer.eos_token_id != 0 else 1
    return model.to(device), tokenizer


def pick_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    log.info("no GPU visible: training on CPU")
    return "cpu"


def add_lora(model, settings: dict):
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(settings["seed"])
    config = LoraConfig(
        r=settings["r"],
        lora_alpha=settings["alpha"],
        lora_dropout=settings["dropout"],
        target_modules=settings["target_modules"],
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def evaluate(model, examples: list[Example], pad_id: int, micro_batch_size: int, device: str) -> float:
    """Mean cross-entropy per supervised token over ``examples``."""
    import torch

    total, tokens = 0.0, 0
    model.eval()
    with torch.no_grad():
        for batch in length_grouped_batches([len(e.input_ids) for e in examples], micro_batch_size, 0, 0):
            ids, mask, labels = (t.to(device) for t in collate([examples[i] for i in batch], pad_id))
            n = int((labels[:, 1:] != IGNORE).sum())
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                out = model(input_ids=ids, attention_mask=mask, labels=labels, num_items_in_batch=n)
            total += float(out.loss) * n
            tokens += n
    return total / max(tokens, 1)


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


# --------------------------------------------------------------------------- checkpoints


class Preempted(SystemExit):
    """Raised after the checkpoint is saved when SLURM (or anyone) asks the job to stop."""


class StopFlag:
    """Turns SIGTERM/SIGUSR1 into a flag the training loop checks after each optimiser step."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self):
        self.signal: int | None = None
        self._previous = {}

    def __enter__(self):
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signal = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


CHECKPOINT_KEYS = ("step", "losses", "counters", "fingerprint", "reason", "adapter", "optimizer", "scheduler", "rng")


def save_checkpoint(path: Path, model, optimizer, scheduler, state: dict) -> None:
    """``state`` plus everything needed to resume, as tensors and plain data only."""
    import torch

    with atomic_path(path) as tmp:
        torch.save({**state, **training_state(model, optimizer, scheduler)}, tmp)


def training_state(model, optimizer, scheduler) -> dict:
    """Adapter, optimiser, scheduler and RNG states; numpy's and Python's RNG states as plain data."""
    import torch
    from peft import get_peft_model_state_dict

    _, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {
        "adapter": get_peft_model_state_dict(model),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
            "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
        },
    }


def restore_training_state(saved: dict, model, optimizer, scheduler) -> None:
    """The inverse of ``training_state``."""
    import torch
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    # set_peft_model_state_dict ignores missing keys; a partial adapter must not pass for a resume.
    if set(saved["adapter"]) != set(get_peft_model_state_dict(model)):
        raise ValueError("its adapter weights do not match the model")
    set_peft_model_state_dict(model, saved["adapter"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    rng = saved["rng"]
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    n = rng["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"]))
    p = rng["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))


def read_checkpoint(path: Path) -> dict:
    """The checkpoint's contents; ``weights_only`` refuses anything but tensors and plain data, so nothing runs."""
    import torch

    state = torch.load(path, weights_only=True, map_location="cpu")
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise ValueError(f"not a training checkpoint (no {', '.join(missing)})")
    step, losses = state["step"], state["losses"]
    if not isinstance(step, int) or not isinstance(losses, list) or len(losses) != step or not isinstance(state["counters"], dict):
        raise ValueError("its step, losses or counters are malformed")
    return state


def _first_sentence(error: Exception) -> str:
    """What went wrong in one short phrase; torch's weights_only refusal buries it under advice to load unsafely."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    refused = [line.removeprefix("WeightsUnpickler error: ") for line in lines if line.startswith("WeightsUnpickler error: ")]
    if refused:
        return f"it holds more than tensors and plain data: {refused[0].split('. ')[0]}"
    return lines[0].split(". ")[0] if lines else "no detail"


def set_aside(path: Path, error: Exception) -> None:
    """Log why ``path`` is unusable and rename it next to itself, so training starts over."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    why = f"{type(error).__name__}: {_first_sentence(error)}"
    try:
        os.replace(path, aside)
    except OSError as e:
        # The next checkpoint replaces it atomically anyway; training must not stop for it.
        log.warning("checkpoint %s could not be read (%s) nor moved aside (%s): starting from step 0", path, why, e)
        return
    log.warning("checkpoint %s could not be read (%s): moved it to %s and starting from step 0", path, why, aside)


def load_checkpoint(path: Path, fingerprint: str, model, optimizer, scheduler) -> dict | None:
    """Resume from ``path`` when it holds this run's state; a corrupt one is set aside, never trusted."""
    if not path.exists():
        return None
    try:
        state = read_checkpoint(path)
    except Exception as e:  # truncated, not a checkpoint, refused by weights_only, unreadable
        set_aside(path, e)
        return None
    if state["fingerprint"] != fingerprint:
        log.info("checkpoint %s was made with other data or settings: starting over", path)
        return None
    fresh = copy.deepcopy(training_state(model, optimizer, scheduler))
    try:
        restore_training_state(state, model, optimizer, scheduler)
    except Exception as e:
        restore_training_state(fresh, model, optimizer, scheduler)
        set_aside(path, e)
        return None
    return state


# --------------------------------------------------------------------------- training


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
    threads: int | None = None,
    stop_after_steps: int | None = None,
) -> dict:
    """Train dataset ``name``'s LoRA adapter on its training rows and write ``out_dir``.

    ``checkpoint`` is a file outside the declared outputs; an existing one made with the same
    data and settings is resumed. ``stop_after_steps`` simulates a preemption (tests).
    """
    import torch

    start_time = time.perf_counter()
    if threads:
        torch.set_num_threads(threads)
    # Columns are checked before anything heavy is loaded.
    table, held_out = load_rows(name, parquet, templates, settings["eval_fraction"])
    pairs = render_pairs(name, table, templates)
    device = pick_device()
    model, tokenizer = load_base(base_model, settings["revision"], settings["trust_remote_code"], device)
    train_rows = np.flatnonzero(~held_out).tolist()
    eval_rows = np.flatnonzero(held_out).tolist()
    train = tokenize(name, pairs, train_rows, tokenizer, settings["max_length"])
    held = tokenize(name, pairs, eval_rows, tokenizer, settings["max_length"])
    if not train or not held:
        raise GomError(f"dataset '{name}': {len(train)} training and {len(held)} held-out examples; it needs at least one of each")
    for example in train[:2]:
        log.info("example %s", show_example(example, tokenizer))

    pad_id = tokenizer.pad_token_id
    mbs = min(settings["micro_batch_size"], settings["batch_size"])
    accum = math.ceil(settings["batch_size"] / mbs)
    lengths = [len(e.input_ids) for e in train]
    micro_per_epoch = math.ceil(len(train) / mbs)
    steps_per_epoch = math.ceil(micro_per_epoch / accum)
    total_steps = max(1, math.ceil(settings["epochs"] * steps_per_epoch))

    base_eval_loss = evaluate(model, held, pad_id, mbs, device)
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
        log.info("resuming from checkpoint %s at step %d of %d (saved on %s)", checkpoint, first, total_steps, state.get("reason"))
    log.info("%s: %d training / %d held-out examples, %d steps of %d x %d examples on %s",
             name, len(train), len(held), total_steps, accum, mbs, device)

    epoch_batches: dict[int, list[list[int]]] = {}
    with StopFlag() as stop:
        for step in range(first, total_steps):
            epoch, k = divmod(step, steps_per_epoch)
            if epoch not in epoch_batches:
                epoch_batches = {epoch: length_grouped_batches(lengths, mbs, settings["seed"], epoch)}
            group = epoch_batches[epoch][k * accum : (k + 1) * accum]
            tick = time.perf_counter()
            model.train()
            optimizer.zero_grad(set_to_none=True)
            batches = [collate([train[i] for i in b], pad_id) for b in group]
            n_sup = sum(int((labels[:, 1:] != IGNORE).sum()) for _, _, labels in batches)
            step_loss = 0.0
            for ids, mask, labels in batches:
                ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
                with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                    # num_items_in_batch: the loss is a sum over the whole step's tokens / n_sup,
                    # so micro-batches of different sizes are weighted correctly.
                    out = model(input_ids=ids, attention_mask=mask, labels=labels, num_items_in_batch=n_sup)
                out.loss.backward()
                step_loss += out.loss.detach().item()
                counters["tokens"] += ids.numel()
                counters["padded"] += int((mask == 0).sum())
            if not math.isfinite(step_loss):
                raise GomError(
                    f"dataset '{name}': the training loss is {step_loss} at step {step + 1} of {total_steps}; "
                    f"lower lora.lr (now {settings['lr']}) or check the data"
                )
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            counters["supervised"] += n_sup
            counters["seconds"] += time.perf_counter() - tick
            losses.append(step_loss)
            if step % 10 == 0 or step == total_steps - 1:
                log.info("step %d/%d loss %.4f", step + 1, total_steps, step_loss)
            done = step + 1
            interrupted = stop.signal is not None or (stop_after_steps is not None and done >= stop_after_steps and done < total_steps)
            if done % settings["checkpoint_every"] == 0 or interrupted:
                why = (signal.Signals(stop.signal).name if stop.signal else "stop_after_steps") if interrupted else "schedule"
                save_checkpoint(checkpoint, model, optimizer, scheduler,
                                {"step": done, "losses": losses, "counters": counters, "fingerprint": fingerprint, "reason": why})
            if interrupted:
                log.info("stopping at step %d on %s: checkpoint saved to %s; the next run resumes", done, why, checkpoint)
                raise Preempted(3)

    eval_loss = evaluate(model, held, pad_id, mbs, device)
    if not (math.isfinite(eval_loss) and math.isfinite(base_eval_loss)):
        raise GomError(f"dataset '{name}': the held-out loss is {eval_loss} (base {base_eval_loss}); lower lora.lr (now {settings['lr']}) or check the data")
    metrics = {
        "dataset": name,
        "base_model": base_model,
        "train_examples": len(train),
        "eval_examples": len(held),
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
        "data_sha256": hashlib.sha256("\n".join(f"{p}\x00{r}" for p, r in (pairs[e.row] for e in train)).encode()).hexdigest(),
    }
    save_minimodel(out_dir, model, tokenizer, name, base_model, templates, settings, metrics)
    checkpoint.unlink(missing_ok=True)
    log.info("%s: eval loss %.4f (base %.4f), %.0f supervised tokens/s, padding %.1f%%",
             name, eval_loss, base_eval_loss, metrics["supervised_tokens_per_second"], 100 * metrics["padding_fraction"])
    return {k: v for k, v in metrics.items() if k != "train_loss"}


def save_minimodel(out_dir, model, tokenizer, name, base_model, templates, settings, metrics) -> None:
    """Adapter, tokenizer, metrics, how to prompt it, and a model card; all or nothing."""
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / "metrics.json", metrics)
        write_json(tmp / "gom.json", {"dataset": name, "base_model": base_model, "revision": settings["revision"],
                                      "prompt": templates["prompt"], "response": templates["response"]})
        (tmp / "README.md").write_text(model_card(name, base_model, templates, settings, metrics), encoding="utf-8")


def model_card(name, base_model, templates, settings, metrics) -> str:
    hyper = "\n".join(f"| `{k}` | `{v}` |" for k, v in settings.items())
    return f"""# miniModel `{name}`

LoRA adapter trained by Graph of Models on dataset `{name}`.

- Base model: `{base_model}` (revision: `{settings['revision'] or 'default'}`)
- Training data: {metrics['train_examples']} examples, sha256 `{metrics['data_sha256']}`
- Held-out: {metrics['eval_examples']} examples (lora.eval_fraction = {settings['eval_fraction']})
- Prompt template: `{templates['prompt']!r}`; response template: `{templates['response']!r}` (+ EOS)

## Metrics (held-out rows)

| | loss | perplexity |
|---|---|---|
| base model | {metrics['base_eval_loss']:.4f} | {metrics['base_eval_perplexity']:.2f} |
| with this adapter | {metrics['eval_loss']:.4f} | {metrics['eval_perplexity']:.2f} |

{metrics['supervised_tokens_per_second']:.0f} supervised tokens/s, padding {100 * metrics['padding_fraction']:.1f}% of
processed tokens, peak memory {metrics['peak_memory_mb']:.0f} MB, {metrics['wall_seconds']:.0f} s on {metrics['device']}.

## Hyperparameters

| key | value |
|---|---|
{hyper}

## Use

```python
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

base = AutoModelForCausalLM.from_pretrained("{base_model}")
model = PeftModel.from_pretrained(base, "models/{name}")
tokenizer = AutoTokenizer.from_pretrained("models/{name}")
```

or `gom generate --model {name} "..."`.
"""
