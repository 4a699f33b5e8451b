"""Routing for the server: queries that arrive together are embedded and scored as one batch."""

from __future__ import annotations

import asyncio


class RouteBatcher:
    """Wraps a ``Router``: while one batch is being scored (in a thread, off the event loop), new
    queries wait; the next batch takes every query waiting, up to ``max_batch``."""

    def __init__(self, router, max_batch: int = 64):
        self.router, self.max_batch = router, max_batch
        self.names: list[str] = list(router.index.names)
        self.waiting: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.largest_batch = 0  # the most queries scored together so far (GET /health)

    def start(self) -> None:
        self.waiting = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def route(self, query: str, top_k: int = 3) -> dict:
        """What ``gom route --json`` prints for ``query``."""
        future = asyncio.get_running_loop().create_future()
        await self.waiting.put((query, top_k, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self.waiting.get()]
            while len(batch) < self.max_batch and not self.waiting.empty():
                batch.append(self.waiting.get_nowait())
            self.largest_batch = max(self.largest_batch, len(batch))
            top_k = max(k for _, k, _ in batch)
            try:
                results = await asyncio.to_thread(self.router.route, [q for q, _, _ in batch], top_k)
            except Exception as e:  # one query the router cannot take must not fail the others
                results = [e] if len(batch) == 1 else [await self._alone(q, k) for q, k, _ in batch]
            for (_, k, future), result in zip(batch, results):
                self._settle(future, k, result)

    async def _alone(self, query: str, top_k: int):
        try:
            return (await asyncio.to_thread(self.router.route, [query], top_k))[0]
        except Exception as e:
            return e

    @staticmethod
    def _settle(future: asyncio.Future, k: int, result) -> None:
        if future.done():
            return
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result({**result, "ranking": result["ranking"][:k]})
