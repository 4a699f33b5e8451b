"""LoRA training throughput: this trainer vs the prototype's recipe, side by side.

The prototype padded every example to 256 tokens and trained at batch size 1. Both runs here
use the same base, LoRA settings, examples (the sample recipes, correctly masked) and number
of examples; the table gives supervised (response) tokens per second and the share of
processed tokens that were padding.

CPU: python benchmarks/bench_train.py            (the tiny base, built from the sample data)
GPU: python benchmarks/bench_train.py --qwen3-0.6b-shape
     (a randomly initialised model of Qwen3-0.6B's exact shape: no weights needed)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gom.config import FORMATS_BY_SUFFIX  # noqa: E402
from gom.convert import convert_dataset  # noqa: E402
from gom.lm.base import build_tiny_base  # noqa: E402
from gom.lm.data import collate, length_grouped_batches, render_pairs, tokenize  # noqa: E402
from gom.lm.loading import add_lora  # noqa: E402
from gom.lm.trainer import train_step  # noqa: E402

SETTINGS = {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear", "seed": 0}
TEMPLATES = {"prompt": "Ingredients: {text}\nRecipe:", "response": " {directions}", "columns": ["text", "directions"]}


def qwen3_06b_shape(vocab_size: int):
    """Qwen3-0.6B's architecture (28 layers, hidden 1024, GQA 16/8, vocab 151,936) with random weights."""
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(
        vocab_size=151936,
        hidden_size=1024,
        intermediate_size=3072,
        num_hidden_layers=28,
        num_attention_heads=16,
        num_key_value_heads=8,
        head_dim=128,
        max_position_embeddings=40960,
        rope_theta=1000000,
        tie_word_embeddings=True,
        rms_norm_eps=1e-6,
    )
    return Qwen3ForCausalLM(config)


def run(model, examples, pad_id, device, micro_batch_size, accum, pad_to=None, max_examples=None):
    """Train over ``examples``; returns supervised tokens/s, padding fraction, peak memory."""
    import torch

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-4)
    lengths = [len(e.input_ids) for e in examples]
    batches = (
        [[i] for i in range(len(examples))]
        if micro_batch_size == 1
        else length_grouped_batches(lengths, micro_batch_size, 0, 0)
    )
    if max_examples:
        keep, n = [], 0
        for b in batches:
            if n >= max_examples:
                break
            keep.append(b)
            n += len(b)
        batches = keep
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    supervised = tokens = padded = 0
    start = time.perf_counter()
    for s in range(0, len(batches), accum):
        step = train_step(
            model,
            [collate([examples[i] for i in b], pad_id, pad_to) for b in batches[s : s + accum]],
            optimizer,
            device,
        )
        supervised, tokens, padded = supervised + step["supervised"], tokens + step["tokens"], padded + step["padded"]
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
    return {
        "supervised_tokens_per_s": supervised / seconds,
        "padding_fraction": padded / tokens,
        "seconds": seconds,
        "examples": sum(len(b) for b in batches),
        "peak_memory_mb": peak,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--qwen3-0.6b-shape", dest="big", action="store_true", help="random model of Qwen3-0.6B's shape (use on a GPU)"
    )
    parser.add_argument("--examples", type=int, default=None, help="examples per run (default: all training rows)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each recipe; the median is reported")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = REPO / "datasets/raw/recipes.jsonl"
        source = {
            "path": str(raw),
            "format": FORMATS_BY_SUFFIX[".jsonl"],
            "encoding": "utf-8",
            "rename": {"ingredients": "text"},
        }
        convert_dataset("recipes", [source], tmp / "recipes.parquet", tmp / "recipes.stats.json")
        import polars as pl

        table = pl.read_parquet(tmp / "recipes.parquet")
        pairs = render_pairs("recipes", table, TEMPLATES)
        build_tiny_base(tmp / "base", parquets=[tmp / "recipes.parquet"])
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(tmp / "base")
        examples = tokenize("recipes", pairs, list(range(len(pairs))), tokenizer, 256)

        def fresh():
            torch.manual_seed(0)
            model = qwen3_06b_shape(len(tokenizer)) if args.big else AutoModelForCausalLM.from_pretrained(tmp / "base")
            dtype = torch.bfloat16 if device == "cuda" else torch.float32
            return add_lora(model.to(device=device, dtype=dtype), SETTINGS)

        n = args.examples or len(examples)

        def median_run(**kw):
            runs = sorted(
                (
                    run(fresh(), examples, tokenizer.pad_token_id, device, max_examples=n, **kw)
                    for _ in range(args.repeats)
                ),
                key=lambda r: r["supervised_tokens_per_s"],
            )
            return {**runs[len(runs) // 2], "all_tokens_per_s": [r["supervised_tokens_per_s"] for r in runs]}

        results = {
            "model": "random Qwen3-0.6B shape" if args.big else "tiny base",
            "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu ({args.threads} threads)",
            "prototype: pad to 256, batch 1": median_run(micro_batch_size=1, accum=1, pad_to=256),
            "gom: length-grouped batches of 16": median_run(micro_batch_size=16, accum=1),
        }
    proto, ours = results["prototype: pad to 256, batch 1"], results["gom: length-grouped batches of 16"]
    print(
        f"\n## LoRA training throughput, {results['model']} on {results['device']}, {ours['examples']} recipe examples"
    )
    print(f"{'recipe':<46} {'sup. tok/s':>11} {'padding':>8} {'seconds':>8} {'GPU MB':>8}")
    for name in ("prototype: pad to 256, batch 1", "gom: length-grouped batches of 16"):
        r = results[name]
        print(
            f"{name:<46} {r['supervised_tokens_per_s']:>11.0f} {100 * r['padding_fraction']:>7.1f}% "
            f"{r['seconds']:>8.1f} {r['peak_memory_mb'] or 0:>8.0f}"
        )
    ratio = ours["supervised_tokens_per_s"] / proto["supervised_tokens_per_s"]
    results["ratio"] = ratio
    print(f"speed-up: {ratio:.1f}x, median of {args.repeats} runs each (goal: at least 3x, padding at most 10%)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
