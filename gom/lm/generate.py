"""Using a miniModel: load its base and adapter once, then generate until EOS.

A miniModel directory may come from someone else, so nothing in it decides how much gom
trusts it: ``trust_remote_code`` and a base model outside the working directory are the
caller's choice (``--trust-remote-code``, ``--base-model``), and adapters load only from
safetensors, never from pickles.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from gom.device import pick_device
from gom.errors import GomError, first_line
from gom.io import read_json, reference_from_file
from gom.lm.chat import chat_format, question_ids, stop_ids
from gom.lm.loading import base_context, load_checked_base, refuse_custom_code

ADAPTER_WEIGHTS = "adapter_model.safetensors"
# gom.json keys and the types they must have; None marks an optional key.
INFO_KEYS = {
    "dataset": (str,),
    "base_model": (str,),
    "revision": (str, type(None)),
    "prompt": (str, type(None)),
    "system": (str, type(None)),
}
REQUIRED_INFO = ("dataset", "base_model")


def read_info(model_dir: str | Path) -> dict:
    """A miniModel's gom.json, checked; a GomError naming the file when it is unusable."""
    path = Path(model_dir) / "gom.json"
    rebuild = f"rebuild it with `snakemake --cores all {model_dir}`"
    try:
        info = read_json(path)
    except GomError as e:
        raise GomError(f"{e}: {rebuild}") from None
    except OSError as e:
        raise GomError(f"cannot read {path}: {e.strerror}") from None
    if not isinstance(info, dict):
        raise GomError(f"{path} must hold a JSON object, not {type(info).__name__}: {rebuild}")
    missing = [key for key in REQUIRED_INFO if key not in info]
    if missing:
        raise GomError(f"{path} lacks {', '.join(map(repr, missing))}: {rebuild}")
    for key, kinds in INFO_KEYS.items():
        if key in info and not isinstance(info[key], kinds):
            kind = "a string" if len(kinds) == 1 else "a string or null"
            raise GomError(f"{path}: '{key}' must be {kind}, not {json.dumps(info[key])}: {rebuild}")
    if not info["base_model"].strip():
        raise GomError(f"{path}: 'base_model' is empty: {rebuild}")
    return info


def base_of(info: dict, model_dir: str | Path, base_model: str | None = None) -> str:
    """The base to load: the caller's ``base_model``, else gom.json's if it stays inside the working directory."""
    if base_model is not None:
        looks_local = base_model.startswith(("/", ".", "~")) or base_model.count("/") > 1
        if looks_local and not Path(base_model).expanduser().is_dir():
            raise GomError(
                f"--base-model {base_model}: no such directory (a local base is a directory with the model's "
                "config.json and tokenizer; a hub id is written organisation/name)"
            )
        return str(Path(base_model).expanduser()) if looks_local else base_model
    value = info["base_model"]
    return reference_from_file(
        value,
        f"{Path(model_dir) / 'gom.json'} (base_model)",
        f"pass --base-model {shlex.quote(value)} if you really mean it",
    )


def require_minimodel(model_dir: str | Path) -> Path:
    """``model_dir``, checked to hold a miniModel (its adapter_config.json)."""
    model_dir = Path(model_dir)
    if not (model_dir / "adapter_config.json").is_file():
        raise GomError(
            f"no miniModel in {model_dir}/ (adapter_config.json is missing): build it with "
            f"`snakemake --cores all {model_dir}`"
        )
    return model_dir


def one_base(infos: dict[Path, dict]) -> tuple[str, str | None]:
    """(base_model, revision) that every miniModel's gom.json names ({directory: gom.json}); a
    GomError naming two that differ: adapters are served on one base model."""
    (first_dir, first), *rest = infos.items()
    base = (first["base_model"], first.get("revision"))
    for model_dir, info in rest:
        if (info["base_model"], info.get("revision")) != base:
            raise GomError(
                f"miniModels '{first['dataset']}' and '{info['dataset']}' have different bases (adapters are served "
                f"on one base model: miniModel '{first['dataset']}' was trained on {_describe_base(first)} in "
                f"{first_dir}/gom.json but '{info['dataset']}' on {_describe_base(info)} in {model_dir}/gom.json): "
                "train them on the same lora.base_model"
            )
    return base


def _describe_base(info: dict) -> str:
    revision = info.get("revision")
    return f"'{info['base_model']}'" + (f" at revision '{revision}'" if revision else "")


def require_safetensors(model_dir: str | Path) -> Path:
    """The adapter's weights file; refuse a miniModel that only has pickled weights."""
    weights = Path(model_dir) / ADAPTER_WEIGHTS
    if not weights.is_file():
        pickled = [p.name for p in Path(model_dir).glob("adapter_model.*") if p.is_file()]
        found = (
            f" (it has {', '.join(sorted(pickled))}, which gom does not load: unpickling can run code)"
            if pickled
            else ""
        )
        raise GomError(
            f"no {ADAPTER_WEIGHTS} in {model_dir}/{found}; gom loads adapters only from safetensors: rebuild "
            f"it with `snakemake --cores all {model_dir}`"
        )
    return weights


def fitting_answer(prompt_tokens: int, max_new_tokens: int | None, context: int, framing: str = "") -> int:
    """The number of tokens to generate after a prompt of ``prompt_tokens`` (None: up to 128 as
    room allows); a GomError with gom serve's numbers when the prompt or the asked answer does
    not fit the base's ``context``."""
    room = context - prompt_tokens
    if room < 1:
        raise GomError(
            f"the prompt is {prompt_tokens} tokens{framing}; the base model attends to at most {context} tokens, "
            "prompt and answer together"
        )
    if max_new_tokens is not None and max_new_tokens > room:
        raise GomError(
            f"--max-new-tokens is {max_new_tokens}, but the prompt ({prompt_tokens} tokens) leaves room for at most "
            f"{room} within the base model's context of {context}"
        )
    return max_new_tokens if max_new_tokens is not None else min(128, room)


class MiniModel:
    """A base model with one dataset's LoRA adapter, ready to answer prompts."""

    def __init__(
        self,
        model_dir: str | Path,
        device: str | None = None,
        trust_remote_code: bool = False,
        base_model: str | None = None,
        mix: list[tuple[str | Path, float]] | None = None,
    ):
        """``mix``: [(miniModel directory, weight), ...], this one first: their adapters, composed, answer."""
        model_dir = require_minimodel(model_dir)
        require_safetensors(model_dir)
        self.info = read_info(model_dir)
        self.name = self.info["dataset"]
        base = base_of(self.info, model_dir, base_model)
        self.mix = [(Path(d), float(w)) for d, w in mix or []]
        for other, _ in self.mix[1:]:
            require_safetensors(require_minimodel(other))
            one_base({model_dir: self.info, other: read_info(other)})  # composed adapters share one base
        if not Path(base).exists() and "/" not in base:
            raise GomError(
                f"miniModel '{self.name}': its base model '{base}' is missing (build it with `snakemake --cores all {base}`)"
            )
        self.device = pick_device(device)
        self.model_dir, self.base, self.trust_remote_code, self._model = model_dir, base, trust_remote_code, None
        refuse_custom_code(base, trust_remote_code)
        self.tokenizer = self._tokenizer(model_dir, trust_remote_code)
        self.context = base_context(base, self.info.get("revision"), trust_remote_code)

    @property
    def model(self):
        """The base with the adapter, loaded when first needed (after the prompt is known to fit)."""
        if self._model is None:
            model, _ = load_checked_base(self.base, self.info.get("revision"), self.trust_remote_code, self.device)
            self._model = self._with_adapter(model, self.model_dir)
        return self._model

    def _with_adapter(self, model, model_dir: Path):
        from gom.lm.loading import attach_adapter, compose_adapters

        names = [f"part{k}" for k in range(len(self.mix))] or ["default"]
        for name, other in zip(names, [d for d, _ in self.mix] or [model_dir]):
            model = attach_adapter(model, other, adapter_name=name)
        if self.mix:
            model.set_adapter(compose_adapters(model, names, [w for _, w in self.mix]))
        return model.to(self.device).eval()

    @staticmethod
    def _tokenizer(model_dir: Path, trust_remote_code: bool):
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(model_dir, trust_remote_code=trust_remote_code)
        except Exception as e:
            raise GomError(
                f"the tokenizer in {model_dir}/ could not be loaded ({type(e).__name__}: {first_line(e)})"
            ) from None

    def generate(
        self, prompt: str, max_new_tokens: int | None = None, raw: bool = False, temperature: float = 0.0
    ) -> str:
        """The answer to ``prompt``; ``max_new_tokens`` None: up to 128, as far as the context allows."""
        import torch

        if not prompt.strip():
            raise GomError("the prompt is empty: there is nothing to answer")
        _, ids = question_ids(self.tokenizer, self.info, chat_format(self.tokenizer, self.name), prompt, raw)
        ids = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
        framing = "" if raw or not self.info.get("prompt") else " with the miniModel's template"
        max_new_tokens = fitting_answer(ids["input_ids"].shape[1], max_new_tokens, self.context, framing)
        ids = {k: v.to(self.device) for k, v in ids.items()}
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            out = self.model.generate(
                **ids,
                max_new_tokens=max_new_tokens,
                eos_token_id=sorted(stop_ids(self.tokenizer, self.model.generation_config)),
                pad_token_id=self.tokenizer.pad_token_id,
                **sampling,
            )
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()


class BaseModel(MiniModel):
    """The base model a miniModel was trained on, without its adapter (for off-domain questions)."""

    def __init__(
        self,
        model_dir: str | Path,
        device: str | None = None,
        trust_remote_code: bool = False,
        base_model: str | None = None,
    ):
        self.info = {**read_info(model_dir), "prompt": ""}
        self.name = "base"
        self.base = base_of(self.info, model_dir, base_model)
        self.device, self.trust_remote_code, self._model = pick_device(device), trust_remote_code, None
        refuse_custom_code(self.base, trust_remote_code)
        self.tokenizer = self._tokenizer(Path(model_dir), trust_remote_code)  # the base's, saved with the miniModel
        self.context = base_context(self.base, self.info.get("revision"), trust_remote_code)

    @property
    def model(self):
        if self._model is None:
            model, _ = load_checked_base(self.base, self.info.get("revision"), self.trust_remote_code, self.device)
            self._model = model.eval()
        return self._model

    @classmethod
    def of(
        cls, models_dir: str | Path, name: str, trust_remote_code: bool = False, base_model: str | None = None
    ) -> BaseModel:
        model_dir = Path(models_dir) / name
        if not (model_dir / "gom.json").exists():
            raise GomError(
                f"no miniModel '{name}' in {models_dir}/ to take the base model from: build it with `snakemake --cores all {model_dir}`"
            )
        return cls(model_dir, trust_remote_code=trust_remote_code, base_model=base_model)
