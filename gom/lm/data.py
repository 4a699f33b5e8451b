"""miniModel training data: rows -> (prompt, response) pairs -> masked token examples -> length-grouped, dynamically padded micro-batches.

The prompt tokens are masked to -100 and the response plus its end (EOS, or a chat base's
end-of-turn token) are the labels; an example with
no supervised token left after truncation stops the run naming its row. No padding to
max_length: micro-batches of similar length, padded only to the longest in each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gom.errors import GomError, require_columns
from gom.io import verified
from gom.lm.chat import chat_format
from gom.split import split_mask
from gom.templates import render

IGNORE = -100


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    row: int

    @property
    def supervised(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE)


def load_rows(name: str, parquet: str | Path, templates: dict, split: dict) -> tuple[pl.DataFrame, np.ndarray]:
    """The processed table (checked for the templates' columns) and its held-out mask."""
    table = pl.read_parquet(verified(parquet))
    require_columns(table.columns, templates["columns"], f"dataset '{name}' ({parquet})", "its train template")
    return table, split_mask(name, table["text"].to_list(), split)


def render_pairs(name: str, table: pl.DataFrame, templates: dict) -> list[tuple[str, str]]:
    """(prompt, response) of every row; refuses a response template that is empty on every row."""
    pairs = [
        (render(templates["prompt"], row), render(templates["response"], row)) for row in table.iter_rows(named=True)
    ]
    if pairs and not any(r.strip() for _, r in pairs):
        raise GomError(
            f"dataset '{name}': train.response {templates['response']!r} is empty on every row; point it at a column with text"
        )
    return pairs


def tokenize(
    name: str,
    pairs: list[tuple[str, str]],
    rows: list[int],
    tokenizer,
    max_length: int,
    system: str | None = None,
) -> list[Example]:
    """Tokenise (prompt, response) pairs: labels are -100 on the prompt, the response and its end learned.

    With a chat base (a tokenizer with a chat template) the prompt is the user turn, after
    ``system`` when given (else the template's own default), and the response the assistant
    turn ended by the end-of-turn token (gom.lm.chat); without one, prompt + response + EOS.
    Rows whose response is empty are skipped; a row left with no response token after
    truncation to ``max_length`` is an error naming the row.
    """
    chat = chat_format(tokenizer, f"dataset '{name}': base model '{getattr(tokenizer, 'name_or_path', '')}'")
    end = [chat.end_of_turn_id] if chat else [tokenizer.eos_token_id]
    examples = []
    for row in rows:
        prompt, response = pairs[row]
        if not response.strip():
            continue
        if chat:
            prompt, response = chat.prompt(prompt, system), response.strip()
        p = tokenizer.encode(prompt, add_special_tokens=False) if prompt else []
        r = tokenizer.encode(response, add_special_tokens=False) + end
        ids = (p + r)[:max_length]
        labels = ([IGNORE] * len(p) + r)[:max_length]
        if all(t == IGNORE for t in labels):
            framing = " with the chat template" + (" and train.system" if system else "") if chat else ""
            raise GomError(
                f"dataset '{name}', row {row}: no response token is left after truncation to "
                f"lora.max_length={max_length} (the prompt alone is {len(p)} tokens{framing}); raise "
                "lora.max_length or shorten train.prompt" + (" or train.system" if system else "")
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
