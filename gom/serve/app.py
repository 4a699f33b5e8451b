"""``gom serve``: the graph of models behind one OpenAI-compatible HTTP API, and its web page.

Everything is loaded once when the server starts (the router, the base model with every miniModel
as a named adapter, the graph); requests only route, template and generate. ``model: "auto"``
routes the question (an abstaining router sends it to the base model), a miniModel's name picks
that adapter, ``"base"`` the plain base.
"""

from __future__ import annotations

import asyncio
import gzip
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from gom.errors import first_line
from gom.limits import MAX_TEXT_BYTES
from gom.lm.chat import question_ids
from gom.serve.engine import BASE, Finish, Sampling
from gom.serve.http import BodyLimit, accepts_gzip, invalid_request, unreadable_body
from gom.serve.replies import Reply, collect, first_piece
from gom.serve.schemas import (
    ChatRequest,
    CompletionRequest,
    Generation,
    OpenAIError,
    RouteRequest,
    chat_turns,
)

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_BODY = MAX_TEXT_BYTES  # bytes of a request body; a question longer than this is not a question
DEFAULT_MAX_TOKENS = 256
LISTED = 20  # model names an error message lists before pointing at /v1/models


@dataclass
class Service:
    """What the server loaded: the router, the prompt templates, the tokenizer and context of the
    base, the graph, and where generation happens (``engine`` here, or ``upstream``)."""

    routes: object  # RouteBatcher
    infos: dict[str, dict]  # each miniModel's gom.json: its prompt template and system text
    tokenizer: object
    context: int
    graph: dict
    engine: object | None = None  # gom.serve.engine.Engine
    upstream: object | None = None  # gom.serve.upstream.Upstream
    api_key: str | None = None
    chat: object | None = None  # gom.lm.chat.ChatFormat of a chat base; None: plain prompts

    def __post_init__(self):
        from gom.lm.chat import chat_format

        self.chat = chat_format(self.tokenizer)

    @property
    def names(self) -> list[str]:
        return list(self.infos)

    @property
    def served(self) -> list[str]:
        """What a request's ``model`` may name."""
        return ["auto", "base", *self.infos]

    async def close(self) -> None:
        await self.routes.stop()
        if self.engine is not None:
            await asyncio.to_thread(self.engine.close)
        if self.upstream is not None:
            await self.upstream.close()

    def generate(
        self, model: str, prompt: str, ids: list[int], sampling: Sampling, mix: list[dict] | None = None
    ) -> AsyncIterator[str | Finish]:
        """``mix``: the miniModels to compose (the local engine only: ``_choose`` drops it upstream)."""
        if self.upstream is not None:
            return self.upstream.generate(model, prompt, len(ids), sampling)
        parts = tuple((p["model"], p["weight"]) for p in mix) if mix else None
        return self.engine.generate(BASE if model == "base" else model, ids, sampling, mix=parts)


def create_app(service: Service) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.routes.start()
        yield
        await service.close()

    # The API's own documentation pages only where no key guards the API.
    docs = {} if service.api_key is None else {"docs_url": None, "openapi_url": None}
    app = FastAPI(title="Graph of Models", lifespan=lifespan, redoc_url=None, **docs)
    app.state.service = service
    graph_body = json.dumps(service.graph).encode()
    graph_gzip = gzip.compress(graph_body, mtime=0)  # the graph of 1,000 datasets is megabytes of JSON

    app.add_middleware(BodyLimit, limit=MAX_BODY)

    @app.exception_handler(OpenAIError)
    async def openai_error(request: Request, e: OpenAIError):
        return JSONResponse(e.body(), status_code=e.status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception):
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        error = OpenAIError(500, f"gom serve failed ({type(e).__name__}: {first_line(e)})")
        return JSONResponse(error.body(), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        return JSONResponse(invalid_request(e, request).body(), status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):
        message = f"no such endpoint: {request.method} {request.url.path}" if e.status_code == 404 else str(e.detail)
        if e.status_code == 400 and "parsing the body" in message:
            message = await unreadable_body(request)
        return JSONResponse(OpenAIError(e.status_code, message).body(), status_code=e.status_code)

    async def authorize(request: Request) -> None:
        if service.api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, key = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), service.api_key.encode()):
            why = "no API key was given" if not given else "the API key is not valid"
            raise OpenAIError(401, f"{why}: send 'Authorization: Bearer <key>'", code="invalid_api_key")

    api = APIRouter(prefix="/v1", dependencies=[Depends(authorize)])

    @api.get("/models")
    async def models():
        created = int(time.time())
        return {
            "object": "list",
            "data": [{"id": i, "object": "model", "created": created, "owned_by": "gom"} for i in service.served],
        }

    @api.post("/route")
    async def route(req: RouteRequest):
        if not req.query.strip():
            raise OpenAIError(400, "'query' is empty: there is nothing to route", "query")
        return JSONResponse(await service.routes.route(req.query, req.top_k))

    @api.get("/graph")
    async def graph(request: Request):
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            headers = {"content-encoding": "gzip", "vary": "accept-encoding"}
            return Response(graph_gzip, media_type="application/json", headers=headers)
        return Response(graph_body, media_type="application/json", headers={"vary": "accept-encoding"})

    @api.post("/chat/completions")
    async def chat(req: ChatRequest, request: Request):
        query, history = chat_turns(req.messages)
        max_tokens = req.max_completion_tokens or req.max_tokens
        return await _answer(service, request, req, query, max_tokens, chat=True, history=history)

    @api.post("/completions")
    async def completions(req: CompletionRequest, request: Request):
        prompts = [req.prompt] if isinstance(req.prompt, str) else req.prompt
        if len(prompts) != 1:
            raise OpenAIError(400, f"'prompt' holds {len(prompts)} prompts; gom answers one per request", "prompt")
        if not prompts[0].strip():
            raise OpenAIError(400, "'prompt' is empty: there is nothing to answer", "prompt")
        return await _answer(service, request, req, prompts[0], req.max_tokens, chat=False)

    app.include_router(api)

    @app.get("/health")
    async def health():
        mode = "upstream" if service.upstream is not None else "local"
        return {
            "status": "ok",
            "models": len(service.names),
            "generation": mode,
            "largest_batch": {
                "route": service.routes.largest_batch,
                "generate": service.engine.largest_batch if service.engine else None,
            },
        }

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _choose(service: Service, model: str, query: str) -> tuple[str, dict]:
    """(the model that answers: a miniModel's name or 'base', what the response says of the choice)."""
    if model == "auto":
        routed = await service.routes.route(query, 1)
        top = routed["ranking"][0]
        name = routed["choice"] or "base"
        return name, {
            "model": name,
            "score": top["score"] if routed["choice"] else None,
            "in_domain_score": routed["in_domain_score"],
            "abstained": routed["abstained"],
            "routed": True,
            # composing happens in the local engine; an upstream server answers with the top miniModel
            "mix": routed.get("mix") if service.upstream is None else None,
        }
    if model != "base" and model not in service.infos:
        names = service.served
        shown = ", ".join(names[:LISTED]) + (
            f" ... ({len(names) - LISTED} more: GET /v1/models)" if len(names) > LISTED else ""
        )
        raise OpenAIError(
            404, f"the model '{model[:100]}' does not exist; available: {shown}", "model", "model_not_found"
        )
    return model, {
        "model": model,
        "score": None,
        "in_domain_score": None,
        "abstained": False,
        "routed": False,
        "mix": None,
    }


async def _answer(
    service: Service,
    request: Request,
    req: Generation,
    query: str,
    max_tokens: int | None,
    chat: bool,
    history: list[dict] | None = None,
):
    req.check()
    stops = req.stops()
    name, meta = await _choose(service, req.model, query)
    info = None if name == "base" else service.infos[name]
    history = (history or []) if service.chat is not None else []
    prompt, ids = await asyncio.to_thread(question_ids, service.tokenizer, info, service.chat, query, req.raw, history)
    room = service.context - len(ids)
    if room < 1:
        framing = [] if req.raw else ["the miniModel’s template"] * bool(info and info.get("prompt"))
        framing += [f"{len(history)} earlier turn{'s' * (len(history) != 1)}"] * bool(history and not req.raw)
        raise OpenAIError(
            400,
            f"the prompt is {len(ids)} tokens{' with ' + ' and '.join(framing) if framing else ''}; "
            f"the base model attends to at most {service.context} tokens, prompt and answer together",
            "messages" if chat else "prompt",
            "context_length_exceeded",
        )
    if max_tokens is not None and max_tokens > room:
        field = "max_completion_tokens" if chat and req.max_completion_tokens else "max_tokens"
        raise OpenAIError(
            400,
            f"'{field}' is {max_tokens}, but the prompt ({len(ids)} tokens) leaves room for at most {room} "
            f"within the base model's context of {service.context}",
            field,
            "context_length_exceeded",
        )
    temperature, top_p = 1.0 if req.temperature is None else req.temperature, 1.0 if req.top_p is None else req.top_p
    sampling = Sampling(max_tokens or min(DEFAULT_MAX_TOKENS, room), temperature, top_p, stops, req.seed)
    pieces = service.generate(name, prompt, ids, sampling, meta["mix"])
    first = await first_piece(pieces)  # an upstream's refusal is still an HTTP error, not a broken stream
    headers = {"x-gom-model": name}
    if meta["score"] is not None:
        headers["x-gom-score"] = f"{meta['score']:.6f}"
    if meta["mix"]:
        headers["x-gom-mix"] = ",".join(f"{p['model']}={p['weight']:.1f}" for p in meta["mix"])
    reply = Reply(chat, name, meta)
    if req.stream:
        usage = bool(req.stream_options and req.stream_options.include_usage)
        headers |= {"cache-control": "no-cache", "x-accel-buffering": "no"}  # no proxy holds the pieces back
        return StreamingResponse(reply.stream(first, pieces, usage), media_type="text/event-stream", headers=headers)
    whole = asyncio.ensure_future(collect(first, pieces))
    while not (await asyncio.wait({whole}, timeout=0.5))[0]:
        if await request.is_disconnected():  # nobody will read the answer: stop decoding it
            whole.cancel()
            await asyncio.gather(whole, return_exceptions=True)
            return Response(status_code=499)
    text, finish = whole.result()
    return JSONResponse(reply.whole(text, finish), headers=headers)
