"""The `gom` command: use what the workflow built."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from gom.errors import GomError


def _generate(args) -> int:
    from gom.generate import MiniModel

    model_dir = Path(args.models_dir) / args.model
    if not model_dir.exists():
        known = sorted(p.parent.name for p in Path(args.models_dir).glob("*/adapter_config.json"))
        hint = f"; built miniModels: {', '.join(known)}" if known else ""
        raise GomError(f"no miniModel '{args.model}' in {args.models_dir}/ (build it with `snakemake --cores all {model_dir}`){hint}")
    model = MiniModel(model_dir)
    print(model.generate(args.prompt, max_new_tokens=args.max_new_tokens, raw=args.raw, temperature=args.temperature))
    return 0


def _route(args) -> int:
    from gom.route import Router, dumps

    results = Router(args.results).route([args.query], top_k=args.top_k)[0]
    if args.json:
        print(dumps(results))
        return 0
    if results["abstained"]:
        print(f"no suitable miniModel (best score {results['ranking'][0]['score']:.3f} < threshold {results['threshold']:.3f})")
    for i, r in enumerate(results["ranking"], 1):
        mark = " <- chosen" if r["model"] == results["choice"] else ""
        print(f"{i}. {r['model']:<24} {r['score']:.4f}{mark}")
    return 0


def _ask(args) -> int:
    from gom.generate import MiniModel
    from gom.route import Router

    route = Router(args.results).route([args.query], top_k=1)[0]
    models = Path(args.models_dir)
    if route["choice"] is None:
        # Off-domain: answer with the plain base model the miniModels were trained on.
        from gom.generate import BaseModel

        print("[no suitable miniModel: answering with the base model]", file=sys.stderr)
        answer = BaseModel.of(models, route["ranking"][0]["model"]).generate(args.query, max_new_tokens=args.max_new_tokens)
    else:
        model_dir = models / route["choice"]
        if not (model_dir / "adapter_config.json").exists():
            raise GomError(f"the router chose '{route['choice']}', but {model_dir}/ holds no miniModel: build it with `snakemake --cores all {model_dir}`")
        print(f"[{route['choice']}, score {route['ranking'][0]['score']:.3f}]", file=sys.stderr)
        answer = MiniModel(model_dir).generate(args.query, max_new_tokens=args.max_new_tokens)
    print(answer)
    return 0


def _neighbours(args) -> int:
    from gom.route import neighbours

    for other, score in neighbours(args.name, args.metric, args.graph)[: args.top_k]:
        print(f"{other:<24} {score:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gom", description="Use the miniModels a Graph of Models workflow built.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="answer a prompt with one dataset's miniModel")
    gen.add_argument("prompt", help="the question; wrapped in the model's training prompt template unless --raw")
    gen.add_argument("--model", required=True, help="dataset name of the miniModel (a directory under --models-dir)")
    gen.add_argument("--models-dir", default="models", help="where the workflow wrote the miniModels (default: models)")
    gen.add_argument("--max-new-tokens", type=int, default=128)
    gen.add_argument("--temperature", type=float, default=0.0, help="0 (default) decodes greedily")
    gen.add_argument("--raw", action="store_true", help="send the prompt as given, without the training template")
    gen.set_defaults(func=_generate)

    route = sub.add_parser("route", help="rank the miniModels for a query")
    route.add_argument("query")
    route.add_argument("--top-k", type=int, default=3)
    route.add_argument("--json", action="store_true", help="print the ranking as JSON")
    route.add_argument("--results", default="results/routing", help="the router's directory (default: results/routing)")
    route.set_defaults(func=_route)

    ask = sub.add_parser("ask", help="route a query and answer it with the chosen miniModel")
    ask.add_argument("query")
    ask.add_argument("--results", default="results/routing")
    ask.add_argument("--models-dir", default="models")
    ask.add_argument("--max-new-tokens", type=int, default=128)
    ask.set_defaults(func=_ask)

    nb = sub.add_parser("neighbours", help="a miniModel's nearest miniModels in the similarity graph")
    nb.add_argument("name")
    nb.add_argument("--metric", default="centroid_cosine")
    nb.add_argument("--top-k", type=int, default=10)
    nb.add_argument("--graph", default="results/graph", help="the graph's directory (default: results/graph)")
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
    if args.command != "neighbours":
        _quiet()
    try:
        return args.func(args)
    except GomError as error:
        print(f"gom: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
