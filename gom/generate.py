"""Using a miniModel: load its base and adapter once, then generate until EOS."""

from __future__ import annotations

from pathlib import Path

from gom.errors import GomError
from gom.io import read_json
from gom.templates import fields, render


class MiniModel:
    """A base model with one dataset's LoRA adapter, ready to answer prompts."""

    def __init__(self, model_dir: str | Path, device: str | None = None):
        import torch
        from peft import PeftModel

        from gom.train import load_base

        model_dir = Path(model_dir)
        if not (model_dir / "adapter_config.json").exists():
            raise GomError(
                f"no miniModel in {model_dir}/ (adapter_config.json is missing): build it with "
                f"`snakemake --cores all {model_dir}`"
            )
        self.info = read_json(model_dir / "gom.json")
        self.name = self.info["dataset"]
        base = self.info["base_model"]
        if not Path(base).exists() and "/" not in base:
            raise GomError(f"miniModel '{self.name}': its base model '{base}' is missing (build it with `snakemake --cores all models/base`)")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model, _ = load_base(base, self.info.get("revision"), self.info.get("trust_remote_code", False), self.device)
        self.model = PeftModel.from_pretrained(model, model_dir).to(self.device).eval()
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)

    def format_prompt(self, prompt: str, raw: bool = False) -> str:
        """Wrap the user's text in the training prompt template when it only uses {text}."""
        template = self.info.get("prompt") or ""
        if raw or not template or set(fields(template, "prompt")) != {"text"}:
            return prompt
        return render(template, {"text": prompt})

    def generate(self, prompt: str, max_new_tokens: int = 128, raw: bool = False, temperature: float = 0.0) -> str:
        import torch

        text = self.format_prompt(prompt, raw)
        ids = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.device)
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            out = self.model.generate(
                **ids,
                max_new_tokens=max_new_tokens,
                eos_token_id=self.tokenizer.eos_token_id,
                pad_token_id=self.tokenizer.pad_token_id,
                **sampling,
            )
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()


class BaseModel(MiniModel):
    """The base model a miniModel was trained on, without its adapter (for off-domain questions)."""

    def __init__(self, model_dir: str | Path, device: str | None = None):
        import torch

        from gom.train import load_base

        self.info = {**read_json(Path(model_dir) / "gom.json"), "prompt": ""}
        self.name = "base"
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model, self.tokenizer = load_base(self.info["base_model"], self.info.get("revision"), self.info.get("trust_remote_code", False), self.device)
        self.model.eval()

    @classmethod
    def of(cls, models_dir: str | Path, name: str) -> "BaseModel":
        model_dir = Path(models_dir) / name
        if not (model_dir / "gom.json").exists():
            raise GomError(f"no miniModel '{name}' in {models_dir}/ to take the base model from: build it with `snakemake --cores all {model_dir}`")
        return cls(model_dir)
