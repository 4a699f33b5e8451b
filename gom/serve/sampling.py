"""Picking the next token of a row: greedy, temperature and top-p, with a per-request seed."""

from __future__ import annotations


def seeded_generator(seed: int | None):
    import torch

    if seed is None:
        return None
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def pick_token(logits, sampling, generator) -> int:
    import torch

    if sampling.temperature == 0:
        return int(logits.argmax())
    logits = logits.cpu().double()
    probs = torch.softmax((logits - logits.max()) / sampling.temperature, dim=-1)  # no overflow for a tiny temperature
    if sampling.top_p < 1:
        sorted_probs, order = probs.sort(descending=True)
        keep = sorted_probs.cumsum(0) - sorted_probs < sampling.top_p  # the smallest set reaching top_p
        keep[0] = True  # the likeliest token, however small top_p is
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs, 1, generator=generator))
