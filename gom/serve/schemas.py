"""The requests the server accepts, as pydantic models, and its OpenAI-style errors.

Types are strict (``"12"`` is not a number of tokens) and fields gom does not know are refused by
name rather than silently ignored, so no request is answered with settings other than the ones it
asked for.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class OpenAIError(Exception):
    """An error answered as ``{"error": {...}}`` with an HTTP status, as OpenAI's API does."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None, kind: str = ""):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.kind = kind or ("invalid_request_error" if status < 500 else "server_error")

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


def _unicode(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(
            f"holds a lone surrogate (U+{ord(text[e.start]):04X}) at character {e.start}, which is not text"
        ) from None
    return text


Text = Annotated[str, AfterValidator(_unicode)]  # a string that is text (JSON's "\ud800" is not)
# OpenAI fields gom has no use for, accepted only with a value that changes nothing.
NEUTRAL = {"presence_penalty": 0, "frequency_penalty": 0, "logprobs": False, "top_logprobs": 0, "logit_bias": {}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TextPart(Strict):
    type: Literal["text"]
    text: Text


class Message(Strict):
    """A chat message. The last must be the user's question (the router sees it alone); a chat base
    is also given the earlier turns' roles and text (what else they carry, such as ids, is accepted
    and not used), a base without a chat template only the question."""

    model_config = ConfigDict(extra="ignore", strict=True)
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[TextPart] | None = None
    name: Text | None = None


class StreamOptions(Strict):
    include_usage: bool = False


class Generation(Strict):
    """What both completion endpoints share."""

    model: Text = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(
        None, ge=0, le=2, allow_inf_nan=False, description="null or left out: 1, as OpenAI"
    )
    top_p: float | None = Field(None, gt=0, le=1, allow_inf_nan=False, description="null or left out: 1")
    stop: Text | list[Text] | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    seed: int | None = Field(None, ge=-(2**63), le=2**63 - 1)
    n: int | None = Field(None, ge=1, le=1, description="gom answers one choice per request")
    user: Text | None = None
    raw: bool = Field(False, description="gom's extension: send the prompt as given, without the miniModel's template")
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: bool | int | None = None
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = None

    def check(self) -> None:
        """Refuse what gom would otherwise ignore: a setting it does not support, with a value that matters."""
        for field, neutral in NEUTRAL.items():
            value = getattr(self, field)
            if value is not None and value != neutral:
                raise OpenAIError(400, f"'{field}' is {value!r}: gom serve does not support it (leave it out)", field)
        if self.stream_options is not None and not self.stream:
            raise OpenAIError(400, "'stream_options' is only allowed with 'stream': true", "stream_options")

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
    prompt: Text | list[Text]


class RouteRequest(Strict):
    query: Text
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


def _text(message: Message) -> str:
    return message.content if isinstance(message.content, str) else "".join(p.text for p in message.content or [])


def chat_turns(messages: list[Message]) -> tuple[str, list[dict]]:
    """(the question a chat asks: its last message, which must be the user's; the earlier turns). The
    router sees the question alone; a chat base is given the earlier turns too (a system or developer
    message as the system text; tool results and turns without text are left out: the miniModels take
    no tool calls), a base without a chat template only the question."""
    last, i = messages[-1], len(messages) - 1
    if last.role != "user":
        raise OpenAIError(
            400, f"messages[{i}] is the {last.role}'s; the last message must be the user's question", f"messages[{i}]"
        )
    text_of_last = _text(last)
    if not text_of_last.strip():
        raise OpenAIError(400, f"messages[{i}].content is empty: there is nothing to answer", f"messages[{i}].content")
    history = []
    for message in messages[:-1]:
        text = _text(message)
        if message.role == "tool" or not text:  # tool results and bare tool calls: the miniModels take none
            continue
        history.append({"role": "system" if message.role == "developer" else message.role, "content": text})
    return text_of_last, history
