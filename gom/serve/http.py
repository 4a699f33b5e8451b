"""The HTTP side of ``gom serve`` below the endpoints: the request-body limit and read timeout,
and what a client is told when its body cannot be read or validated."""

from __future__ import annotations

import asyncio
import json

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gom.serve.schemas import OpenAIError, location

BODY_TIMEOUT = 30.0  # seconds a client may take to send its body once the request has started


class BodyLimit:
    """Refuses a request body over ``limit`` bytes (413), whether it declares its length or is
    sent in chunks, and one that has not arrived ``timeout`` seconds after the request began
    (408: a client that declares 100 bytes and sends 9 would otherwise hold its connection, and
    the server's shutdown, for ever); the body is read before the app sees it (bodies here are small)."""

    def __init__(self, app, limit: int, timeout: float = BODY_TIMEOUT):
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(send, f"{declared.decode(errors='replace')[:20]} bytes")
        chunks, size = [], 0
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except TimeoutError:
                expected = f" of the {declared.decode()} declared" if declared is not None else ""
                error = OpenAIError(
                    408, f"the request body did not arrive within {self.timeout:g} s ({size} bytes{expected})"
                )
                return await JSONResponse(error.body(), status_code=408, headers={"connection": "close"})(
                    {"type": "http"}, None, send
                )
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                return await self._refuse(send, f"over {self.limit} bytes")
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send, size: str) -> None:
        error = OpenAIError(413, f"the request body is {size}; gom serve accepts at most {self.limit}")
        await JSONResponse(error.body(), status_code=413)({"type": "http"}, None, send)


def invalid_request(e: RequestValidationError, request: Request) -> OpenAIError:
    """A request that FastAPI could not validate, said in terms of what the client sent."""
    first = e.errors()[0]
    content_type = request.headers.get("content-type")
    if tuple(first.get("loc", ())) == ("body",):
        if first.get("type") == "missing":
            return OpenAIError(400, "the request body is empty: send a JSON object with Content-Type: application/json")
        json_type = (content_type or "").split(";")[0].strip().lower() == "application/json"
        if isinstance(first.get("input"), (bytes, str)) and not json_type:
            return OpenAIError(
                400,
                f"the request body was sent as Content-Type {content_type or '(none)'}, so it was not read as JSON: "
                "send it with Content-Type: application/json",
            )
    if first.get("type") == "json_invalid":
        return OpenAIError(
            400, f"the request body is not valid JSON ({first.get('ctx', {}).get('error', 'parse error')})"
        )
    field = location(tuple(first.get("loc", ())))
    if first.get("type") == "extra_forbidden":
        return OpenAIError(400, f"unknown field '{field}': gom serve does not support it", field)
    if first.get("type") == "missing":
        return OpenAIError(400, f"'{field}' is required", field)
    given = json.dumps(first.get("input"), default=str)[:80]
    where = f"'{field}'" if field else "the request body"
    return OpenAIError(400, f"{where}: {first.get('msg', 'invalid')} (got {given})", field or None)


async def unreadable_body(request: Request) -> str:
    """Why a body that declares JSON could not be parsed (FastAPI says only 'error parsing the body')."""
    body = await request.body()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        return (
            f"the request body is not UTF-8 (byte 0x{body[e.start]:02x} at offset {e.start}); JSON is sent as UTF-8 "
            f"(Content-Type {request.headers.get('content-type', '(none)')})"
        )
    return "the request body could not be parsed as JSON"


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (``gzip;q=0`` refuses it; ``*`` accepts it)."""
    quality = {}
    for part in accept_encoding.split(","):
        coding, *params = (x.strip() for x in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            quality[coding.lower()] = q
    return quality.get("gzip", quality.get("*", 0.0)) > 0
