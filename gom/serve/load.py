"""Loading what ``gom serve`` serves, once, from the workflow's outputs."""

from __future__ import annotations

from pathlib import Path

from gom.errors import GomError, first_line
from gom.lm.generate import require_minimodel
from gom.lm.loading import context_length
from gom.serve.app import Service
from gom.serve.engine import Engine, shared_base
from gom.serve.graph import graph_payload
from gom.serve.routing import RouteBatcher


def checked_api_key(flag: str | None, environment: str | None, variable: str = "GOM_API_KEY") -> str | None:
    """The key ``gom serve`` requires: ``--api-key``, else ``$GOM_API_KEY``, else none.

    A key that is given but empty or blank is refused rather than read as "no key" (an unset
    ``$KEY`` in ``--api-key "$KEY"`` would otherwise open the API), and so is one no client can
    send: an Authorization header carries printable ASCII, and clients trim its ends.
    """
    for value, where in ((flag, "--api-key"), (environment, variable)):
        if value is None:
            continue
        if not value.strip():
            raise GomError(
                f"{where} is empty: an empty key would switch authentication off; give a key, or leave "
                f"{where} unset to serve without one"
            )
        bad = next((i for i, c in enumerate(value) if not " " <= c <= "~"), None)
        if bad is not None:
            raise GomError(
                f"{where} holds {value[bad]!r} (U+{ord(value[bad]):04X}) at character {bad}: a key must be printable "
                "ASCII, which is all an 'Authorization: Bearer' header can carry"
            )
        if value != value.strip():
            raise GomError(f"{where} begins or ends with a space, which clients trim from the header: remove it")
        return value
    return None


def load_service(
    results: str | Path,
    models_dir: str | Path,
    graph_dir: str | Path,
    embedding_model: str | None = None,
    base_model: str | None = None,
    trust_remote_code: bool = False,
    upstream: str | None = None,
    upstream_api_key: str | None = None,
    api_key: str | None = None,
    max_batch: int = 32,
) -> Service:
    from gom.routing.router import Router

    router = Router(results, embedding_model=embedding_model)
    names = list(router.index.names)
    graph = graph_payload(graph_dir, models_dir, names)
    if upstream is None:
        engine = Engine(
            models_dir, names, trust_remote_code=trust_remote_code, base_model=base_model, max_batch=max_batch
        )
        tokenizer, context, infos, remote = engine.tokenizer, engine.context, engine.infos, None
    else:
        from gom.serve.upstream import Upstream

        engine = None
        dirs = {name: require_minimodel(Path(models_dir) / name) for name in names}
        base, revision, infos = shared_base(dirs, base_model)
        tokenizer, context = _tokenizer_and_context(base, revision, trust_remote_code)
        try:
            remote = Upstream(
                upstream,
                upstream_api_key,
                count=lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]),
            )
        except ValueError as e:
            raise GomError(str(e)) from None
    return Service(RouteBatcher(router, max_batch=max_batch), infos, tokenizer, context, graph, engine, remote, api_key)


def _tokenizer_and_context(base: str, revision: str | None, trust_remote_code: bool):
    """The base's tokenizer and context length, without its weights (generation happens upstream)."""
    from transformers import AutoConfig, AutoTokenizer

    from gom.lm.loading import refuse_custom_code

    refuse_custom_code(base, trust_remote_code)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, revision=revision, trust_remote_code=trust_remote_code)
        config = AutoConfig.from_pretrained(base, revision=revision, trust_remote_code=trust_remote_code)
    except Exception as e:
        raise GomError(f"the base model '{base}' could not be read ({type(e).__name__}: {first_line(e)})") from None
    return tokenizer, context_length(config)
