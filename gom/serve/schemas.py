"""The requests the server accepts, as pydantic models, and its OpenAI-style errors.

Types are strict (``"12"`` is not a number of tokens) and fields gom does not know are refused by
name rather than silently ignored, so no request is answered with settings other than the ones it
asked for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OpenAIError(Exception):
    """An error answered as ``{"error": {...}}`` with an HTTP status, as OpenAI's API does."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None, kind: str = ""):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.kind = kind or ("invalid_request_error" if status < 500 else "server_error")

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TextPart(Strict):
    type: Literal["text"]
    text: str


class Message(Strict):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None
    name: str | None = None


class StreamOptions(Strict):
    include_usage: bool = False


class Generation(Strict):
    """What both completion endpoints share."""

    model: str = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    seed: int | None = None
    n: int = Field(1, ge=1, le=1, description="gom answers one choice per request")
    user: str | None = None
    raw: bool = Field(False, description="gom's extension: send the prompt as given, without the miniModel's template")

    def stops(self) -> tuple[str, ...]:
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        if len(stops) > 4:
            raise OpenAIError(400, f"'stop' holds {len(stops)} strings; at most 4 are allowed", "stop")
        if any(not s for s in stops):
            raise OpenAIError(400, "'stop' holds an empty string, which would end every answer at once", "stop")
        return tuple(stops)


class ChatRequest(Generation):
    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1)


class CompletionRequest(Generation):
    prompt: str | list[str]
    echo: bool = False


class RouteRequest(Strict):
    query: str
    top_k: int = Field(3, ge=1)


UNION_TAGS = {"str", "int", "float", "bool", "none", "TextPart", "StreamOptions"}


def location(loc: tuple) -> str:
    """pydantic's error location as a field path: ('body', 'messages', 0, 'content') -> messages[0].content."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part) not in UNION_TAGS and "[" not in str(part):  # not a union member's tag, like list[str]
            out += f".{part}" if out else str(part)
    return out
