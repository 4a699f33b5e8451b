"""Generation in `gom serve`'s engine: requests on different adapters decoded one at a time
against all at once (mixed-adapter batches), side by side. A function timing of the engine in
this process (no HTTP: `bench_serve.py` measures the server as users run it).

CPU: python benchmarks/bench_engine.py                      (the tiny base, random adapters)
GPU: python benchmarks/bench_engine.py --qwen3-0.6b-shape   (a random model of Qwen3-0.6B's shape)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_train import qwen3_06b_shape  # noqa: E402

from gom.io import record_checksum, write_json  # noqa: E402
from gom.lm.base import build_tiny_base  # noqa: E402
from gom.serve.engine import Engine, Finish, Sampling  # noqa: E402

PROMPTS = [
    "tomato, basil, garlic, olive oil",
    "white rum, lime juice, mint leaves, soda water",
    "Apples, raw, with skin",
    "flour, butter, sugar, eggs, vanilla",
]


def build(root: Path, big: bool, adapters: int, seed: int = 0) -> list[str]:
    """A base in root/base and ``adapters`` random LoRA adapters (r 16, all linear layers) in root/models/."""
    import polars as pl
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    texts = pl.read_ndjson(REPO / "datasets/raw/recipes.jsonl").select(
        text=pl.col("ingredients") + " " + pl.col("directions")
    )
    texts.write_parquet(root / "corpus.parquet")
    record_checksum(root / "corpus.parquet")
    build_tiny_base(root / "base", parquets=[root / "corpus.parquet"])  # its tokenizer serves the big shape too
    if big:
        torch.manual_seed(seed)
        qwen3_06b_shape(4096).to(torch.bfloat16).save_pretrained(root / "base")
    names = []
    for i in range(adapters):
        torch.manual_seed(seed + i)
        base = AutoModelForCausalLM.from_pretrained(root / "base")
        config = LoraConfig(
            r=16, lora_alpha=32, target_modules="all-linear", init_lora_weights=False, task_type="CAUSAL_LM"
        )
        name = f"adapter{i}"
        get_peft_model(base, config).save_pretrained(root / "models" / name)
        write_json(
            root / "models" / name / "gom.json", {"dataset": name, "base_model": "base", "prompt": "Q: {text}\nA:"}
        )
        names.append(name)
    return names


async def one(engine: Engine, adapter: str, prompt: str, tokens: int) -> int:
    ids = engine.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    async for piece in engine.generate(adapter, ids, Sampling(tokens, temperature=0)):
        if isinstance(piece, Finish):
            return piece.completion_tokens
    return 0


def timed(engine: Engine, requests: list[tuple[str, str]], tokens: int, together: bool) -> dict:
    async def run():
        if together:
            return await asyncio.gather(*(one(engine, a, p, tokens) for a, p in requests))
        return [await one(engine, a, p, tokens) for a, p in requests]

    engine.largest_batch = 0
    start = time.perf_counter()
    produced = asyncio.run(run())
    seconds = time.perf_counter() - start
    return {
        "requests": len(requests),
        "seconds": round(seconds, 3),
        "tokens_per_s": round(sum(produced) / seconds, 1),
        "largest_batch": engine.largest_batch,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--qwen3-0.6b-shape", dest="big", action="store_true", help="a random model of Qwen3-0.6B's shape"
    )
    parser.add_argument("--adapters", type=int, default=8)
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument(
        "--tokens", type=int, default=32, help="tokens generated per request (EOS is not sampled: random weights)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        names = build(Path(tmp), args.big, args.adapters)
        engine = Engine("models", names, max_batch=args.requests)
        try:
            requests = [(names[i % len(names)], PROMPTS[i % len(PROMPTS)]) for i in range(args.requests)]
            timed(engine, requests[:2], 4, together=True)  # warm-up
            result = {
                "model": "random Qwen3-0.6B shape" if args.big else "tiny base",
                "device": engine.device,
                "gpu": torch.cuda.get_device_name() if engine.device == "cuda" else None,
                "adapters": len(names),
                "tokens_per_request": args.tokens,
                "one_at_a_time": timed(engine, requests, args.tokens, together=False),
                "all_at_once": timed(engine, requests, args.tokens, together=True),
            }
        finally:
            engine.close()
    result["speed_up"] = round(result["all_at_once"]["tokens_per_s"] / result["one_at_a_time"]["tokens_per_s"], 2)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
