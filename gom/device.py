"""Where models run: one place for the device choice and the CPU thread count."""

from __future__ import annotations

import logging

log = logging.getLogger("gom.device")


def pick_device(preference: str | None = "auto", purpose: str = "") -> str:
    """'cuda' when one is visible and ``preference`` is 'auto' (or None), else ``preference`` or 'cpu'."""
    import torch

    if preference not in (None, "auto"):
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if purpose:
        log.info("no GPU visible: %s on CPU", purpose)
    return "cpu"


def set_threads(threads: int | None) -> None:
    """Use ``threads`` CPU threads for torch (a job's ``threads:``), when given."""
    if threads:
        import torch

        torch.set_num_threads(threads)
