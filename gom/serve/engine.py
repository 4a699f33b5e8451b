"""Generation for the server: one base model with every miniModel as a named PEFT adapter.

Requests are queued to one worker thread. Each time the worker is free it takes every request
waiting (up to ``max_batch``) and decodes them together, one token per step for all rows, each
row through its own adapter (PEFT's ``adapter_names``; ``"__base__"`` is the plain base) and with
its own temperature, top-p, stop strings and token limit. A request may name two miniModels to
compose (``mix``): the worker merges their adapters into one the first time (keeping the
``MAX_MIXES`` most recently used). Pieces of text go back to the asyncio
side as they are decoded, so a streamed answer arrives token by token while the event loop stays
free for other requests.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from gom.errors import GomError, first_line
from gom.lm.chat import stop_ids
from gom.lm.generate import base_of, one_base, read_info, require_minimodel, require_safetensors
from gom.lm.loading import compose_adapters, load_checked_base
from gom.serve.sampling import pick_token as _pick  # noqa: F401 (tests take the sampler from here)
from gom.serve.sampling import seeded_generator as _generator
from gom.serve.stream_text import Detokenizer, StopText

log = logging.getLogger(__name__)
BASE = "__base__"  # PEFT's name for "no adapter" in a mixed batch
MAX_MIXES = 16  # composed adapters kept in memory, the least recently used dropped first


@dataclass
class Sampling:
    """How one request decodes: greedy when temperature is 0."""

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass
class Finish:
    reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int


@dataclass
class Job:
    adapter: str  # a miniModel's name, or BASE
    prompt_ids: list[int]
    sampling: Sampling
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue = field(default_factory=asyncio.Queue)
    cancelled: bool = False
    mix: tuple[tuple[str, float], ...] | None = None  # miniModels and weights to compose instead

    def send(self, event) -> None:
        self.loop.call_soon_threadsafe(self.events.put_nowait, event)


def adapter_dirs(models_dir: str | Path, names: list[str]) -> dict[str, Path]:
    """{name: miniModel directory}, each checked to hold a loadable adapter."""
    dirs = {name: require_minimodel(Path(models_dir) / name) for name in names}
    for d in dirs.values():
        require_safetensors(d)
    return dirs


def shared_base(dirs: dict[str, Path], base_model: str | None) -> tuple[str, str | None, dict[str, dict]]:
    """(the base every miniModel was trained on, its revision, {name: gom.json}): the caller's
    ``base_model`` when given, else the one base their gom.json files name."""
    infos = {name: read_info(d) for name, d in dirs.items()}
    if base_model is None:  # the caller's base serves adapters however their gom.json files name it
        one_base({dirs[name]: info for name, info in infos.items()})
    first = next(iter(dirs))
    return base_of(infos[first], dirs[first], base_model), infos[first].get("revision"), infos


class Engine:
    """The base model with every miniModel loaded as a named adapter, and the worker that decodes."""

    def __init__(
        self,
        models_dir: str | Path,
        names: list[str],
        device: str | None = None,
        trust_remote_code: bool = False,
        base_model: str | None = None,
        max_batch: int = 32,
    ):
        from gom.device import pick_device
        from gom.lm.loading import attach_adapter, context_length

        dirs = adapter_dirs(models_dir, names)
        self.base, revision, self.infos = shared_base(dirs, base_model)
        self.device = pick_device(device)
        model, self.tokenizer = load_checked_base(self.base, revision, trust_remote_code, self.device)
        self.context = context_length(model.config)
        for name in names:  # adapter_dirs made sure each has adapter_model.safetensors
            model = attach_adapter(model, dirs[name], adapter_name=name)
        self.model = model.to(self.device).eval()
        # transformers renamed past_key_values to cache (5.x); older releases know only the former.
        forward = inspect.signature(type(model.get_base_model()).forward).parameters
        self.cache_arg = "cache" if "cache" in forward else "past_key_values"
        # Every token that ends an answer: the tokenizer's EOS, the model's (Qwen3 lists several) and
        # a chat base's end-of-turn token.
        self.stop_ids = stop_ids(self.tokenizer, model.generation_config)
        self.max_batch = max_batch
        self.mixes: dict[tuple, str] = {}  # (names, weights) -> composed adapter, least recently used first
        self.jobs: queue.Queue[Job | None] = queue.Queue()
        self.largest_batch = 0  # the most requests decoded together so far (GET /health)
        self.worker = threading.Thread(target=self._work, name="gom-generate", daemon=True)
        self.worker.start()

    def close(self) -> None:
        self.jobs.put(None)
        self.worker.join(timeout=30)

    async def generate(
        self, adapter: str, prompt_ids: list[int], sampling: Sampling, mix: tuple[tuple[str, float], ...] | None = None
    ) -> AsyncIterator[str | Finish]:
        """Pieces of text as they are decoded, then a Finish; through the ``mix`` composed if given."""
        job = Job(adapter, prompt_ids, sampling, asyncio.get_running_loop(), mix=mix)
        self.jobs.put(job)
        try:
            while True:
                event = await job.events.get()
                if isinstance(event, Exception):
                    raise event
                yield event
                if isinstance(event, Finish):
                    return
        finally:
            job.cancelled = True  # a client that went away stops its row at the next step

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            batch = [job]
            while len(batch) < self.max_batch:
                try:
                    more = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.jobs.put(None)
                    break
                batch.append(more)
            batch = [j for j in batch if self._compose(j, batch)]
            if not batch:
                continue
            self.largest_batch = max(self.largest_batch, len(batch))
            try:
                self._decode(batch)
            except Exception as e:  # a failed batch answers its requests; the worker goes on
                log.exception("generation failed")
                for j in batch:
                    j.send(GomError(f"{type(e).__name__}: {first_line(e)}"))

    def _compose(self, job: Job, batch: list[Job]) -> bool:
        """Point a job with a ``mix`` at the adapter composing it (made here, between batches, and
        marked recently used); False, the job answered with the error, where it cannot be made."""
        if job.mix is None:
            return True
        try:
            name = self.mixes.pop(job.mix, None) or compose_adapters(self.model, *map(list, zip(*job.mix)))
        except GomError as e:
            job.send(e)
            return False
        self.mixes[job.mix] = job.adapter = name
        in_use = {j.mix for j in batch}
        for old in [m for m in self.mixes if m not in in_use][: max(0, len(self.mixes) - MAX_MIXES)]:
            self.model.delete_adapter(self.mixes.pop(old))
        return True

    def _decode(self, batch: list[Job]) -> None:
        import torch
        from transformers import DynamicCache

        tok, rows = self.tokenizer, len(batch)
        width = max(len(j.prompt_ids) for j in batch)
        pad = tok.pad_token_id
        ids = torch.full((rows, width), pad, dtype=torch.long)
        mask = torch.zeros((rows, width), dtype=torch.long)
        for i, j in enumerate(batch):  # left padding: every row's next token is at the same column
            ids[i, width - len(j.prompt_ids) :] = torch.tensor(j.prompt_ids)
            mask[i, width - len(j.prompt_ids) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        adapters = [j.adapter for j in batch]
        rows_of = [Row(j, self.tokenizer) for j in batch]
        cache = DynamicCache()
        with torch.inference_mode():
            while not all(r.done for r in rows_of):
                logits = (
                    self.model(
                        input_ids=ids,
                        attention_mask=mask,
                        position_ids=positions,
                        use_cache=True,
                        **{self.cache_arg: cache},
                        adapter_names=adapters,
                    )
                    .logits[:, -1, :]
                    .float()
                )
                nxt = [r.step(logits[i], self.stop_ids) if not r.done else pad for i, r in enumerate(rows_of)]
                ids = torch.tensor(nxt, dtype=torch.long, device=self.device).unsqueeze(1)
                mask = torch.cat([mask, torch.ones((rows, 1), dtype=torch.long, device=self.device)], dim=1)
                positions = positions[:, -1:] + 1


class Row:
    """One request in a batch: picks its tokens, decodes its text and tells its client."""

    def __init__(self, job: Job, tokenizer):
        self.job, self.text, self.stop = job, Detokenizer(tokenizer), StopText(job.sampling.stop)
        self.done = False
        try:
            self.generator = _generator(job.sampling.seed)
        except (RuntimeError, ValueError, OverflowError) as e:
            self._fail(e)

    def _fail(self, e: Exception) -> None:
        log.exception("generation failed for one request")
        self.done = True
        self.job.send(GomError(f"{type(e).__name__}: {first_line(e)}"))

    def step(self, logits, stop_ids: set[int]) -> int:
        """This row's next token (the pad when it has finished); a failure ends this row only."""
        job = self.job
        if job.cancelled:
            self.done = True
            log.info(
                "a client went away: its answer stopped after %d of at most %d tokens",
                len(self.text.ids),
                job.sampling.max_tokens,
            )
            return 0
        try:
            token = _pick(logits, job.sampling, self.generator)
        except (RuntimeError, ValueError, OverflowError) as e:
            self._fail(e)
            return 0
        reason = None
        if token in stop_ids:
            reason = "stop"
        else:
            self.text.add(token)
            if len(self.text.ids) >= job.sampling.max_tokens:
                reason = "length"
        piece, stopped = self.stop.step(self.text.value(final=reason is not None), final=reason is not None)
        if piece:
            job.send(piece)
        if stopped or reason:
            self.done = True
            job.send(Finish("stop" if stopped else reason, len(job.prompt_ids), len(self.text.ids)))
        return token
