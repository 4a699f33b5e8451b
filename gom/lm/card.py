"""What a miniModel directory holds besides its adapter: metrics, gom.json and a model card."""

from __future__ import annotations

from gom.io import atomic_dir, write_json


def save_minimodel(out_dir, model, tokenizer, name, base_model, templates, settings, metrics) -> None:
    """Adapter, tokenizer, metrics, how to prompt it, and a model card; all or nothing."""
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / "metrics.json", metrics)
        write_json(
            tmp / "gom.json",
            {
                "dataset": name,
                "base_model": base_model,
                "revision": settings["revision"],
                "prompt": templates["prompt"],
                "response": templates["response"],
                "system": templates.get("system"),
            },
        )
        (tmp / "README.md").write_text(model_card(name, base_model, templates, settings, metrics), encoding="utf-8")


def model_card(name, base_model, templates, settings, metrics) -> str:
    hyper = "\n".join(f"| `{k}` | `{v}` |" for k, v in settings.items())
    return f"""# miniModel `{name}`

LoRA adapter trained by Graph of Models on dataset `{name}`.

- Base model: `{base_model}` (revision: `{settings["revision"] or "default"}`)
- Training data: {metrics["train_examples"]} examples, sha256 `{metrics["data_sha256"]}`
- Held-out: {metrics["eval_examples"]} examples (split.fraction = {metrics["split"]["fraction"]}, seed {metrics["split"]["seed"]})
- Prompt template: `{templates["prompt"]!r}`; response template: `{templates["response"]!r}` (+ EOS)

## Metrics (held-out rows)

| | loss | perplexity |
|---|---|---|
| base model | {metrics["base_eval_loss"]:.4f} | {metrics["base_eval_perplexity"]:.2f} |
| with this adapter | {metrics["eval_loss"]:.4f} | {metrics["eval_perplexity"]:.2f} |

{metrics["supervised_tokens_per_second"]:.0f} supervised tokens/s, padding {100 * metrics["padding_fraction"]:.1f}% of
processed tokens, peak memory {metrics["peak_memory_mb"]:.0f} MB, {metrics["wall_seconds"]:.0f} s on {metrics["device"]}.

## Hyperparameters

| key | value |
|---|---|
{hyper}

## Use

```python
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

base = AutoModelForCausalLM.from_pretrained("{base_model}")
model = PeftModel.from_pretrained(base, "models/{name}")
tokenizer = AutoTokenizer.from_pretrained("models/{name}")
```

or `gom generate --model {name} "..."`.
"""
