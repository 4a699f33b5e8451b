"""The `gom` command: use what the workflow built."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from gom import paths
from gom.cli_ask import ask as _ask
from gom.cli_input import non_negative_float, port_number, positive_int, read_query
from gom.cli_render import explanation
from gom.errors import GomError

SHUTDOWN_SECONDS = 120
MAX_NEW_HELP = "most tokens to answer with (default: 128, or what the base's context leaves)"


def _generate(args) -> int:
    from gom.lm.generate import MiniModel

    model_dir = Path(args.models_dir) / args.model
    if model_dir == Path(args.models_dir) / "base" or (model_dir / "gom_base.json").exists():
        known = sorted(p.parent.name for p in Path(args.models_dir).glob("*/adapter_config.json"))
        raise GomError(
            f"{model_dir}/ holds base models, not a miniModel: --model names a miniModel"
            + (f" ({', '.join(known)})" if known else "")
            + "; `gom ask` answers with the base when no miniModel suits a question"
        )
    if not model_dir.exists():
        known = sorted(p.parent.name for p in Path(args.models_dir).glob("*/adapter_config.json"))
        hint = f"; built miniModels: {', '.join(known)}" if known else ""
        raise GomError(
            f"no miniModel '{args.model}' in {args.models_dir}/ (build it with `snakemake --cores all {model_dir}`){hint}"
        )
    model = MiniModel(model_dir, trust_remote_code=args.trust_remote_code, base_model=args.base_model)
    print(model.generate(args.query, max_new_tokens=args.max_new_tokens, raw=args.raw, temperature=args.temperature))
    return 0


def _route(args) -> int:
    from gom.io import dumps
    from gom.routing.router import Router

    router = Router(args.results, embedding_model=args.embedding_model)
    if args.explain:
        explained = router.explain(args.query)
        print(dumps(explained) if args.json else explanation(explained))
        return 0
    results = router.route([args.query], top_k=args.top_k)[0]
    if args.json:
        print(dumps(results))
        return 0
    if results["abstained"]:
        print(
            f"no suitable miniModel (in-domain score {results['in_domain_score']:.3f} < threshold "
            f"{results['threshold']:.3f})"
        )
    for i, r in enumerate(results["ranking"], 1):
        mark = " <- chosen" if r["model"] == results["choice"] else ""
        print(f"{i}. {r['model']:<24} {r['score']:.4f}{mark}")
    if results.get("mix"):  # the router is unsure and route_quality kept composing: `gom ask` composes
        print("unsure: gom ask composes " + " + ".join(f"{p['model']} {p['weight']:.1f}" for p in results["mix"]))
    return 0


def _neighbours(args) -> int:
    from gom.matrices import neighbours

    for other, score in neighbours(args.name, args.metric, args.graph)[: args.top_k]:
        print(f"{other:<24} {score:.4f}")
    return 0


def _serve(args) -> int:
    import uvicorn

    from gom.serve.app import create_app
    from gom.serve.load import checked_api_key, load_service

    logging.getLogger("gom").setLevel(args.log_level.upper())
    api_key = checked_api_key(args.api_key, os.environ.get("GOM_API_KEY"))
    service = load_service(
        args.results,
        args.models_dir,
        args.graph,
        embedding_model=args.embedding_model,
        base_model=args.base_model,
        trust_remote_code=args.trust_remote_code,
        upstream=args.upstream,
        upstream_api_key=checked_api_key(None, os.environ.get("GOM_UPSTREAM_API_KEY"), "GOM_UPSTREAM_API_KEY"),
        api_key=api_key,
        max_batch=args.max_batch,
    )
    where = f"http://{args.host}:{args.port}"
    generation = f"generation forwarded to {args.upstream}" if args.upstream else "generation here"
    print(
        f"gom serve: {len(service.names)} miniModels, {generation}, "
        f"{'an API key required' if api_key else 'no API key: anyone who can reach it may use it'}; "
        f"the page is at {where}/",
        file=sys.stderr,
    )
    # uvicorn stops on SIGTERM/SIGINT after the requests in flight have been answered, or after
    # SHUTDOWN_SECONDS (a request body must arrive within 30 s, so only an answer can take that long).
    uvicorn.run(
        create_app(service),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,
    )
    return 0


def _check_config(args) -> int:
    from gom.config import load

    config, datasets = load(args.config)
    files = sum(len(d["sources"]) for d in datasets.values())
    print(f"{args.config}: valid; {len(config['datasets'])} dataset(s), {files} source file(s)")
    return 0


def _add_query(parser: argparse.ArgumentParser, name: str, help: str) -> None:
    parser.add_argument("query", metavar=name, nargs="?", help=f"{help}; '-' reads it from standard input")
    parser.add_argument("--file", metavar="PATH", help=f"read the {name} from this UTF-8 file instead (for long texts)")


def _add_model_trust(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-model",
        metavar="PATH",
        help="load this base model (hub id or directory) instead of the one the miniModel's gom.json names",
    )
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="let the base model run the Python code it comes with (off by default; a model directory cannot turn it on)",
    )


def _add_embedding_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--embedding-model",
        metavar="PATH",
        help="embed queries with this model instead of the one the router index names "
        "(which is only followed inside the working directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gom", description="Use the miniModels a Graph of Models workflow built.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="answer a prompt with one dataset's miniModel")
    _add_query(gen, "prompt", "the question; wrapped in the model's training prompt template unless --raw")
    gen.add_argument("--model", required=True, help="dataset name of the miniModel (a directory under --models-dir)")
    gen.add_argument(
        "--models-dir",
        default=paths.MODELS_DIR,
        help=f"where the workflow wrote the miniModels (default: {paths.MODELS_DIR})",
    )
    gen.add_argument("--max-new-tokens", type=positive_int, help=MAX_NEW_HELP)
    gen.add_argument("--temperature", type=non_negative_float, default=0.0, help="0 (default) decodes greedily")
    gen.add_argument("--raw", action="store_true", help="send the prompt as given, without the training template")
    _add_model_trust(gen)
    gen.set_defaults(func=_generate)

    route = sub.add_parser("route", help="rank the miniModels for a query")
    _add_query(route, "query", "the text to route")
    route.add_argument("--top-k", type=positive_int, default=3)
    route.add_argument("--json", action="store_true", help="print the ranking as JSON")
    route.add_argument(
        "--explain",
        action="store_true",
        help="show, for the chosen and the runner-up dataset, the nearest training rows and the terms that drove the score",
    )
    route.add_argument(
        "--results", default=paths.ROUTING_DIR, help=f"the router's directory (default: {paths.ROUTING_DIR})"
    )
    _add_embedding_model(route)
    route.set_defaults(func=_route)

    ask = sub.add_parser("ask", help="route a query and answer it with the chosen miniModel")
    _add_query(ask, "query", "the question")
    ask.add_argument("--results", default=paths.ROUTING_DIR)
    ask.add_argument("--models-dir", default=paths.MODELS_DIR)
    _add_embedding_model(ask)
    ask.add_argument("--max-new-tokens", type=positive_int, help=MAX_NEW_HELP)
    ask.add_argument(
        "--no-compose", action="store_true", help="answer with the top miniModel alone, also where the router is unsure"
    )
    _add_model_trust(ask)
    ask.set_defaults(func=_ask)

    check = sub.add_parser("check-config", help="check a config file as the workflow would, without running it")
    check.add_argument(
        "config",
        nargs="?",
        default="config.yaml",
        help="the file (default: config.yaml); Snakemake reports only 'not valid YAML' for a --configfile, this names the line",
    )
    check.set_defaults(func=_check_config)

    serve = sub.add_parser(
        "serve",
        help="serve the router, every miniModel and the graph as an OpenAI-compatible HTTP API with a web page",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine only)"
    )
    serve.add_argument("--port", type=port_number, default=8000, help="1 to 65535 (default: 8000)")
    serve.add_argument(
        "--api-key",
        help="require 'Authorization: Bearer KEY' on every endpoint but /health "
        "(better: set GOM_API_KEY, which other users of the machine cannot read from the process list)",
    )
    serve.add_argument(
        "--upstream",
        metavar="URL",
        help="forward generation to this OpenAI-compatible server that knows the miniModels by name (vLLM started "
        "from results/serve/vllm_serve.sh, or another gom serve); its key, if any, in GOM_UPSTREAM_API_KEY",
    )
    serve.add_argument(
        "--results", default=paths.ROUTING_DIR, help=f"the router's directory (default: {paths.ROUTING_DIR})"
    )
    serve.add_argument("--models-dir", default=paths.MODELS_DIR)
    serve.add_argument("--graph", default=paths.GRAPH_DIR, help=f"the graph's directory (default: {paths.GRAPH_DIR})")
    serve.add_argument("--max-batch", type=positive_int, default=32, help="most requests routed or generated together")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    _add_embedding_model(serve)
    _add_model_trust(serve)
    serve.set_defaults(func=_serve)

    nb = sub.add_parser("neighbours", help="a miniModel's nearest miniModels in the similarity graph")
    nb.add_argument("name")
    nb.add_argument("--metric", default="centroid_cosine")
    nb.add_argument("--top-k", type=positive_int, default=10)
    nb.add_argument("--graph", default=paths.GRAPH_DIR, help=f"the graph's directory (default: {paths.GRAPH_DIR})")
    nb.set_defaults(func=_neighbours)
    return parser


def _quiet() -> None:
    """Keep the libraries' progress bars and deprecation chatter out of the answers."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore", category=FutureWarning)
    logging.basicConfig(level=logging.WARNING)
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if sys.stdout is None and args.command != "serve":  # `gom route q >&-`: the answer would vanish
        print(f"gom: error: standard output is closed: gom {args.command} has nowhere to write", file=sys.stderr)
        return 2
    try:
        if hasattr(args, "file"):  # validate the query before anything is loaded
            args.query = read_query(args.query, args.file)
        if args.command not in ("neighbours", "check-config"):
            _quiet()
        return args.func(args)
    except GomError as error:
        print(f"gom: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
