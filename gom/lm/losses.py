"""Losses of a causal LM over masked examples: the training loss with the LM head only where a label
is learned, the mean held-out loss, and each example's own loss (training, cross-evaluation and
routing quality share them)."""

from __future__ import annotations

import numpy as np

from gom.lm.data import IGNORE, Example, collate, length_grouped_batches


def supervised_loss(model, ids, mask, labels, n_items: int):
    """Cross-entropy summed over the learned tokens / ``n_items``, as the model's own loss with
    ``labels`` and ``num_items_in_batch``, but with the LM head applied only at the positions where
    some row of the batch has a label (``logits_to_keep``): the prompt positions need no logits, and
    a 49k-token vocabulary's logits for every prompt token cost a sixth of a small model's step."""
    import torch

    target = labels[:, 1:]
    keep = torch.nonzero((target != IGNORE).any(dim=0)).squeeze(1)
    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits
    return torch.nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), target[:, keep].reshape(-1), ignore_index=IGNORE, reduction="sum"
    ) / max(n_items, 1)


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
                loss = supervised_loss(model, ids, mask, labels, n)
            total += float(loss) * n
            tokens += n
    return total / max(tokens, 1)


def example_losses(model, examples: list[Example], pad_id: int, micro_batch_size: int, device: str) -> np.ndarray:
    """Each example's mean cross-entropy per supervised token (in ``examples`` order)."""
    import torch

    out = np.zeros(len(examples))
    model.eval()
    with torch.no_grad():
        for batch in length_grouped_batches([len(e.input_ids) for e in examples], micro_batch_size, 0, 0):
            ids, mask, labels = (t.to(device) for t in collate([examples[i] for i in batch], pad_id))
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                logits = model(input_ids=ids, attention_mask=mask).logits
            target = labels[:, 1:]
            token_loss = torch.nn.functional.cross_entropy(
                logits[:, :-1].float().transpose(1, 2), target, ignore_index=IGNORE, reduction="none"
            )
            counts = (target != IGNORE).sum(dim=1).clamp(min=1)
            out[batch] = (token_loss.sum(dim=1) / counts).cpu().numpy()
    return out
