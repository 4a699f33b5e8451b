"""Loading a causal-LM base model and its tokenizer, and putting LoRA layers on it."""

from __future__ import annotations

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
