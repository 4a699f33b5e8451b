"""Generation forwarded to another OpenAI-compatible server that knows the miniModels by name
(vLLM started from results/serve/vllm_serve.sh, LoRAX, or another ``gom serve``).

gom keeps routing, the prompt templates and the API; the upstream receives the prompt already
templated, as a plain completion (``raw`` tells another gom server not to template it again; vLLM
ignores the field).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from gom.serve.engine import Finish, Sampling
from gom.serve.schemas import OpenAIError


class Upstream:
    def __init__(self, url: str, api_key: str | None = None, timeout: float = 600.0, count=None):
        """``count(text)`` gives the tokens of an answer when the upstream does not report them."""
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the upstream must be an http:// or https:// URL, not {url!r}")
        self.url, self.count = url.rstrip("/").removesuffix("/v1"), count
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout)

    async def close(self) -> None:
        await self.client.aclose()

    async def generate(
        self, model: str, prompt: str, prompt_tokens: int, sampling: Sampling
    ) -> AsyncIterator[str | Finish]:
        import httpx

        body = {
            "model": model,
            "prompt": prompt,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
            "raw": True,
        }
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        where = f"the upstream server {self.url}"
        reason, completion, text, finished = None, None, [], False
        try:
            async with self.client.stream("POST", "/v1/completions", json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    # The request's own fault keeps its status; the upstream's, and a refused key
                    # or forbidden access (this server's configuration, not the client's), is a bad gateway.
                    own_fault = 400 <= response.status_code < 500 and response.status_code not in (401, 403, 407)
                    status = response.status_code if own_fault else 502
                    message = f"{where} answered {response.status_code}: {_message(response.text)}"
                    raise OpenAIError(status, message, code="upstream_error")
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finished = True
                        break
                    piece, reason, completion = _chunk(json.loads(data), where, reason, completion)
                    if piece:
                        text.append(piece)
                        yield piece
        except httpx.HTTPError as e:
            raise OpenAIError(
                502, f"{where} could not be reached ({type(e).__name__}: {e})", code="upstream_error"
            ) from None
        except (ValueError, TypeError, AttributeError, KeyError) as e:
            raise OpenAIError(502, f"{where} sent a stream that is not OpenAI's ({e})", code="upstream_error") from None
        if not finished or reason is None:
            raise OpenAIError(
                502,
                f"{where} ended the answer without finishing it (no finish_reason or [DONE])",
                code="upstream_error",
            )
        if completion is None:  # counted here: tokenising the text again may differ by a token or two
            completion = min(self.count("".join(text)), sampling.max_tokens) if self.count is not None else 0
        elif (
            isinstance(completion, bool)
            or not isinstance(completion, int)
            or not 0 <= completion <= sampling.max_tokens
        ):
            raise OpenAIError(
                502,
                f"{where} reported {completion!r} completion tokens for an answer of at most {sampling.max_tokens}",
                code="upstream_error",
            )
        yield Finish(reason, prompt_tokens, completion)


def _chunk(chunk, where: str, reason, completion):
    """(text, finish reason so far, completion tokens so far) of one streamed completion chunk."""
    if not isinstance(chunk, dict):
        raise ValueError(f"a chunk is {type(chunk).__name__}, not an object")
    if "error" in chunk:
        raise OpenAIError(502, f"{where} failed: {_message(json.dumps(chunk))}", code="upstream_error")
    piece = ""
    for choice in chunk.get("choices") or []:
        piece += choice.get("text") or ""
        reason = choice.get("finish_reason") or reason
    usage = chunk.get("usage") or {}
    return piece, reason, usage.get("completion_tokens", completion)


def _message(text: str) -> str:
    try:
        return json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return text[:300]
