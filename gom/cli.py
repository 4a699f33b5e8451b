"""The `gom` command: use what the workflow built."""

from __future__ import annotations

import argparse
import logging
import os
import sys
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING)
    try:
        return args.func(args)
    except GomError as error:
        print(f"gom: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
