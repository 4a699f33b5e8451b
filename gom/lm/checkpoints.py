"""Training checkpoints outside the declared outputs, for SLURM preemption and resumption.

Written every ``checkpoint_every`` steps and on SIGTERM/SIGUSR1; they hold only tensors and
plain data, read with ``weights_only``: a planted or corrupt one runs nothing and is set aside.
"""

from __future__ import annotations

import copy
import logging
import os
import random
import signal
import time
from pathlib import Path

import numpy as np

from gom.io import atomic_path

log = logging.getLogger("gom.train")


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
            "numpy": {
                "keys": torch.from_numpy(keys.astype(np.int64)),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached_gaussian": float(cached_gaussian),
            },
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
    np.random.set_state(
        ("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
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
    if (
        not isinstance(step, int)
        or not isinstance(losses, list)
        or len(losses) != step
        or not isinstance(state["counters"], dict)
    ):
        raise ValueError("its step, losses or counters are malformed")
    return state


def _first_sentence(error: Exception) -> str:
    """What went wrong in one short phrase; torch's weights_only refusal buries it under advice to load unsafely."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    refused = [
        line.removeprefix("WeightsUnpickler error: ") for line in lines if line.startswith("WeightsUnpickler error: ")
    ]
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
