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


def row_sums(model, examples: list[Example], pad_id: int, micro_batch_size: int, device: str):
    """(each example's cross-entropy summed over its supervised tokens, its number of supervised
    tokens), in ``examples`` order; the LM head only where some row of a batch has a label."""
    import torch

    sums, tokens = np.zeros(len(examples)), np.zeros(len(examples), dtype=np.int64)
    model.eval()
    with torch.no_grad():
        for batch in length_grouped_batches([len(e.input_ids) for e in examples], micro_batch_size, 0, 0):
            ids, mask, labels = (t.to(device) for t in collate([examples[i] for i in batch], pad_id))
            target = labels[:, 1:]
            keep = torch.nonzero((target != IGNORE).any(dim=0)).squeeze(1)
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits
            kept = target[:, keep]
            token_loss = torch.nn.functional.cross_entropy(
                logits.float().transpose(1, 2), kept, ignore_index=IGNORE, reduction="none"
            )
            sums[batch] = token_loss.sum(dim=1).cpu().numpy()
            tokens[batch] = (kept != IGNORE).sum(dim=1).cpu().numpy()
    return sums, tokens


def evaluate(model, examples: list[Example], pad_id: int, micro_batch_size: int, device: str) -> float:
    """Mean cross-entropy per supervised token over ``examples``."""
    sums, tokens = row_sums(model, examples, pad_id, micro_batch_size, device)
    return float(sums.sum() / max(int(tokens.sum()), 1))


def example_losses(model, examples: list[Example], pad_id: int, micro_batch_size: int, device: str) -> np.ndarray:
    """Each example's mean cross-entropy per supervised token (in ``examples`` order)."""
    sums, tokens = row_sums(model, examples, pad_id, micro_batch_size, device)
    return sums / np.maximum(tokens, 1)
