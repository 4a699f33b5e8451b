"""What ``gom serve`` answers with: a completion in OpenAI's shapes (chat or text, whole or
streamed), and the first piece of an answer taken apart from the rest (so that an upstream's
refusal is still an HTTP error, not a broken stream)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

from gom.serve.engine import Finish
from gom.serve.schemas import OpenAIError

log = logging.getLogger("gom.serve.app")


async def collect(first, pieces: AsyncIterator) -> tuple[str, Finish]:
    text, finish = [], None
    try:
        async for piece in _chain(first, pieces):
            if isinstance(piece, Finish):
                finish = piece
            else:
                text.append(piece)
    finally:
        await pieces.aclose()  # a cancelled answer tells the engine at once
    return "".join(text), finish


async def first_piece(pieces: AsyncIterator):
    try:
        return await anext(pieces)
    except OpenAIError:
        raise
    except Exception as e:
        raise OpenAIError(500, f"generation failed: {e}") from None


async def _chain(first, rest: AsyncIterator):
    yield first
    if not isinstance(first, Finish):
        async for piece in rest:
            yield piece


class Reply:
    """A completion in OpenAI's shapes (chat or text; whole or streamed), with gom's ``gom`` field."""

    def __init__(self, chat: bool, model: str, meta: dict):
        self.chat, self.model, self.meta = chat, model, meta
        self.id = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
        self.created = int(time.time())
        self.kind = "chat.completion" if chat else "text_completion"
        self.chunk_kind = "chat.completion.chunk" if chat else "text_completion"

    def _envelope(self, kind: str, choices: list, **extra) -> dict:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
            "gom": self.meta,
        }

    @staticmethod
    def _usage(finish: Finish) -> dict:
        return {
            "prompt_tokens": finish.prompt_tokens,
            "completion_tokens": finish.completion_tokens,
            "total_tokens": finish.prompt_tokens + finish.completion_tokens,
        }

    def whole(self, text: str, finish: Finish) -> dict:
        if self.chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish.reason}
        else:
            choice = {"index": 0, "text": text, "finish_reason": finish.reason, "logprobs": None}
        return self._envelope(self.kind, [choice], usage=self._usage(finish))

    def _chunk(self, text: str | None, finish: str | None = None, first: bool = False) -> dict:
        if self.chat:
            delta = {"role": "assistant", "content": ""} if first else ({"content": text} if text else {})
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
        else:
            choice = {"index": 0, "text": text or "", "finish_reason": finish, "logprobs": None}
        return self._envelope(self.chunk_kind, [choice])

    async def stream(self, first, pieces: AsyncIterator, usage: bool) -> AsyncIterator[str]:
        def event(data: dict) -> str:
            return f"data: {json.dumps(data)}\n\n"

        if self.chat:
            yield event(self._chunk(None, first=True))
        try:
            async for piece in _chain(first, pieces):
                if isinstance(piece, Finish):
                    yield event(self._chunk(None, piece.reason))
                    if usage:
                        yield event(self._envelope(self.chunk_kind, [], usage=self._usage(piece)))
                else:
                    yield event(self._chunk(piece))
        except OpenAIError as e:  # the status is sent already: the error travels in the stream
            yield event(e.body())
        except Exception as e:
            log.exception("streaming failed")
            yield event(OpenAIError(500, f"generation failed: {e}").body())
        yield "data: [DONE]\n\n"
