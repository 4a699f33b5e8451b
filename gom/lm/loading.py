"""Loading a causal-LM base model and its tokenizer (refusing a local base that would run its own
code unless asked), and putting LoRA layers on it."""

from __future__ import annotations

import json
from pathlib import Path

from gom.errors import GomError, first_line


def load_base(base_model: str, revision: str | None = None, trust_remote_code: bool = False, device: str = "cpu"):
    """(model, tokenizer) of the base; a clear error when it cannot be loaded (offline, wrong path)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model, revision=revision, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            base_model, revision=revision, trust_remote_code=trust_remote_code, dtype=dtype
        )
    except Exception as e:
        raise GomError(
            f"base model '{base_model}' could not be loaded ({type(e).__name__}: {first_line(e)}). "
            "Without network only local models load: set lora.base_model to a local directory "
            "holding the model and tokenizer, or to 'tiny' for the workflow-built test base"
        ) from None
    if tokenizer.eos_token_id is None:
        raise GomError(
            f"base model '{base_model}': its tokenizer has no EOS token, so a miniModel could not learn to stop"
        )
    if tokenizer.pad_token_id is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        # Labels are built explicitly, so the pad id only fills masked positions; keep it off EOS
        # so that nothing downstream mistakes padding for the end of an answer.
        tokenizer.pad_token_id = 0 if tokenizer.eos_token_id != 0 else 1
    return model.to(device), tokenizer


def add_lora(model, settings: dict):
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(settings["seed"])
    config = LoraConfig(
        r=settings["r"],
        lora_alpha=settings["alpha"],
        lora_dropout=settings["dropout"],
        target_modules=settings["target_modules"],
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def check_adapter_weights(model_dir) -> None:
    """Refuse a miniModel whose adapter tensors are not finite, or whose LoRA matrices do not
    have the rank its adapter_config.json gives; the message names the adapter and the tensor."""
    import json
    from pathlib import Path

    import torch
    from safetensors import safe_open

    model_dir = Path(model_dir)
    weights, config_path = model_dir / "adapter_model.safetensors", model_dir / "adapter_config.json"
    rebuild = f"rebuild it with `snakemake --cores all --force {model_dir}`"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GomError(
            f"miniModel {model_dir}/: {config_path.name} is unreadable ({first_line(e)}): {rebuild}"
        ) from None
    r = config.get("r") if isinstance(config, dict) else None
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise GomError(
            f"miniModel {model_dir}/: {config_path.name} gives no positive integer rank r (got {json.dumps(r)}): {rebuild}"
        )
    per_module = isinstance(config.get("rank_pattern"), dict) and config["rank_pattern"]
    try:
        with safe_open(str(weights), framework="pt") as f:
            for key in f.keys():
                tensor = f.get_tensor(key)
                if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                    bad = int((~torch.isfinite(tensor)).sum())
                    raise GomError(
                        f"miniModel {model_dir}/: tensor {key} in {weights.name} holds {bad} NaN or infinite "
                        f"value(s) of {tensor.numel()}, so every answer would be garbage: {rebuild}"
                    )
                rank_dim = 0 if ".lora_A." in key else 1 if ".lora_B." in key else None
                if rank_dim is None or per_module or tensor.dim() != 2:
                    continue
                if tensor.shape[rank_dim] != r:
                    raise GomError(
                        f"miniModel {model_dir}/: tensor {key} in {weights.name} has shape {tuple(tensor.shape)}, "
                        f"but {config_path.name} says r = {r}: the two do not belong together; {rebuild}"
                    )
    except GomError:
        raise
    except Exception as e:  # a truncated or corrupted file
        raise GomError(f"miniModel {model_dir}/: {weights.name} cannot be read ({first_line(e)}): {rebuild}") from None


def attach_adapter(model, model_dir, adapter_name: str = "default"):
    """``model`` with the miniModel in ``model_dir`` loaded as ``adapter_name``, its weights checked
    first (``check_adapter_weights``): the first adapter wraps the base in a PeftModel, later ones
    are added to it. PEFT has no switch to refuse pickles, but it loads adapter_model.safetensors
    whenever that file exists, which callers make sure of (``require_safetensors``)."""
    from peft import PeftModel

    check_adapter_weights(model_dir)
    try:
        if isinstance(model, PeftModel):
            model.load_adapter(str(model_dir), adapter_name=adapter_name)
            return model
        return PeftModel.from_pretrained(model, str(model_dir), adapter_name=adapter_name)
    except Exception as e:
        raise GomError(
            f"miniModel {model_dir}/: its adapter does not fit the base ({type(e).__name__}: {_mismatch(e)}); "
            f"rebuild it with `snakemake --cores all --force {model_dir}`"
        ) from None


def compose_adapters(model, names: list[str], weights: list[float]) -> str:
    """The adapters ``names`` (attached to the PeftModel ``model``) merged into one with ``weights``
    (PEFT's ``add_weighted_adapter``, ``cat``: the exact weighted sum of their low-rank updates), made
    once per names and weights; returns its adapter name (not made active)."""
    target = "mix_" + "_".join(f"{n}x{round(w * 10)}" for n, w in zip(names, weights))
    if target not in model.peft_config:
        try:
            model.add_weighted_adapter(list(names), list(weights), adapter_name=target, combination_type="cat")
        except Exception as e:
            raise GomError(
                f"adapters {', '.join(names)} cannot be composed ({type(e).__name__}: {first_line(e)})"
            ) from None
    return target


def _mismatch(error: Exception) -> str:
    """The line of a state-dict error that says which tensor differs (PEFT's first line says only
    'Error(s) in loading state_dict for PeftModelForCausalLM:')."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = next((line for line in lines if "size mismatch" in line or "shape" in line), None)
    return detail or (lines[0] if lines else type(error).__name__)


def context_length(config) -> int:
    """How many tokens the base attends to (prompt and answer together)."""
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    raise GomError("the base model's config names no context length (max_position_embeddings)")


def refuse_custom_code(base: str, trust_remote_code: bool) -> None:
    """Say clearly, before transformers is asked, that a local base wants its own Python code run."""
    config = Path(base) / "config.json"
    if trust_remote_code or not config.is_file():
        return
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # load_base reports a broken config
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    # transformers uses its own class for a known model_type and ignores auto_map then.
    if isinstance(data, dict) and data.get("auto_map") and data.get("model_type") not in CONFIG_MAPPING:
        raise GomError(
            f"base model '{base}' needs its own Python code to load ({config} has an auto_map); "
            "gom does not run code that comes with a model unless you pass --trust-remote-code"
        )


def base_context(base: str, revision: str | None, trust_remote_code: bool) -> int:
    """How many tokens ``base`` attends to, from its config alone (no weights are loaded)."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(base, revision=revision, trust_remote_code=trust_remote_code)
    except Exception as e:
        raise GomError(
            f"base model '{base}': its config could not be loaded ({type(e).__name__}: {first_line(e)})"
        ) from None
    return context_length(config)


def load_checked_base(base: str, revision: str | None, trust_remote_code: bool, device: str):
    """load_base, after refusing a local base that would run its own code without --trust-remote-code."""
    refuse_custom_code(base, trust_remote_code)
    return load_base(base, revision, trust_remote_code, device)
