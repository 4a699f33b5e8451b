"""What vLLM's LoRA loader refuses, checked before a bundle is written (gom.serve.bundle):
vLLM refuses some PEFT adapters only when it loads them, at start-up or at the first request
that names them."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from gom.errors import GomError
from gom.io import read_json

ADAPTER_CONFIG = "adapter_config.json"

# The values vLLM accepts for --max-lora-rank: vllm/config/lora.py,
# `MaxLoRARanks = Literal[1, 8, 16, 32, 64, 128, 256, 320, 512]` (the default is 16).
VLLM_MAX_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)

# The modules vLLM applies a LoRA adapter to, by the base's architecture (config.json
# "architectures"). vLLM expects, for every adapter tensor, the last part of its module name to
# be one of the model's linear layers, with packed layers replaced by the names they pack
# (vllm/lora/utils.py get_supported_lora_modules; vllm/lora/worker_manager.py expands
# packed_modules_mapping; vllm/lora/lora_model.py from_local_checkpoint raises "expected target
# modules in ... but received ..."). Qwen3: vllm/model_executor/models/qwen3.py has the linear
# layers qkv_proj, o_proj (attention), gate_up_proj, down_proj (Qwen2MLP) and
# packed_modules_mapping qkv_proj -> q_proj, k_proj, v_proj and gate_up_proj -> gate_proj, up_proj.
# Llama (vllm/model_executor/models/llama.py, SmolLM2's architecture) has the same layers and mapping.
QWEN3_LORA_MODULES = frozenset({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"})
LORA_MODULES_BY_ARCHITECTURE = {"Qwen3ForCausalLM": QWEN3_LORA_MODULES, "LlamaForCausalLM": QWEN3_LORA_MODULES}

# vllm/lora/peft_helper.py (PEFTHelper._validate_features): PEFT features vLLM refuses, and the
# init_lora_weights values that leave a plain LoRA (PiSSA, OLoRA, CorDA and LoftQ change the base
# weights, so vLLM refuses them).
UNSUPPORTED_FEATURES = {
    "lora_bias": "LoRA bias (lora_bias)",
    "alora_invocation_tokens": "Activated LoRA (alora_invocation_tokens)",
    "layer_replication": "layer_replication",
    "use_bdlora": "block-diagonal LoRA (use_bdlora)",
    "use_qalora": "QALoRA (use_qalora)",
}
PLAIN_INITS = ("gaussian", "eva", "orthogonal", "mica", "lora_ga")
# What vllm/lora/utils.py parse_fine_tuned_lora_name reads from an adapter's weights, and the
# base-layer copies of embeddings that it skips (is_base_embedding_weights).
WEIGHT_SUFFIXES = (".lora_A.weight", ".lora_B.weight")
SKIPPED_WEIGHTS = (".embed_tokens.base_layer.weight", ".lm_head.base_layer.weight")

VLLM_CHECKS = [
    "peft_type is LORA, with r, lora_alpha and target_modules given (vllm/lora/peft_helper.py PEFTHelper.from_dict)",
    "r and every rank_pattern value a positive integer, at most the largest --max-lora-rank vLLM accepts "
    "(512; vllm/config/lora.py MaxLoRARanks); --max-lora-rank is the smallest accepted value >= the largest rank "
    "(vllm/lora/peft_helper.py validate_legal: 'LoRA rank ... is greater than max_lora_rank')",
    "modules_to_save empty, use_dora false, bias 'none', no lora_bias, aLoRA, layer_replication, BD-LoRA or QALoRA, "
    "init_lora_weights a plain LoRA init (vllm/lora/peft_helper.py _validate_features, validate_legal)",
    "adapter_model.safetensors present (gom loads no pickled weights), and its tensors lora_A/lora_B weights "
    "(vllm/lora/utils.py parse_fine_tuned_lora_name)",
    "target_modules and the weights' modules among the base architecture's LoRA modules "
    "(vllm/lora/lora_model.py from_local_checkpoint)",
    "one base model (and revision) for every adapter",
    "--max-cpu-loras (every adapter) >= --max-loras (vllm/config/lora.py)",
]


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def module_kinds(target_modules) -> set[str] | None:
    """The module kinds (last name part) that ``target_modules`` names, as vLLM reads them; None
    when it is a pattern that only the weights can tell (PEFT's 'all-linear', a free regex)."""
    if isinstance(target_modules, list):
        return {m.rsplit(".", 1)[-1] for m in target_modules}
    if target_modules == "all-linear":
        return None
    # vllm/lora/utils.py is_regex_target_modules: the alternatives of a trailing '(a|b)$' group.
    group = re.search(r"\((.*?)\)\$?$", target_modules)
    if group:
        return set(group.group(1).split("|"))
    return {target_modules.rsplit(".", 1)[-1]} if re.fullmatch(r"[\w.]+", target_modules) else None


def check_vllm_adapter(
    config: dict,
    where: str,
    max_rank: int | None = None,
    supported_modules: frozenset[str] | None = QWEN3_LORA_MODULES,
) -> None:
    """GomError naming ``where`` (the adapter's directory) and every setting of its
    adapter_config.json (``config``) that vLLM's LoRA loader would refuse. ``max_rank``: the
    --max-lora-rank it is served with (default: the largest vLLM accepts);
    ``supported_modules``: the base's LoRA modules (None: not checked)."""
    if not isinstance(config, dict):
        raise GomError(f"{where}/{ADAPTER_CONFIG} must hold a JSON object, not {type(config).__name__}")
    limit = max_rank if max_rank is not None else VLLM_MAX_LORA_RANKS[-1]
    problems = []
    peft_type = config.get("peft_type")
    if peft_type != "LORA":
        problems.append(f'peft_type is {json.dumps(peft_type)}, not "LORA" (vLLM serves LoRA adapters only)')
    missing = [key for key in ("r", "lora_alpha", "target_modules") if key not in config]
    if missing:
        problems.append(f"it lacks {', '.join(map(repr, missing))}, which vLLM requires")
    rank, pattern = config.get("r"), config.get("rank_pattern") or {}
    if "r" in config and not is_positive_int(rank):
        problems.append(f"r is {json.dumps(rank)}, not a positive integer")
    if not isinstance(pattern, dict) or not all(is_positive_int(v) for v in pattern.values()):
        problems.append(f"rank_pattern is {json.dumps(pattern)}: its ranks must be positive integers")
    else:
        ranks = [r for r in [rank, *pattern.values()] if is_positive_int(r)]
        if ranks and max(ranks) > limit:
            problems.append(
                f"its rank {max(ranks)} is greater than {limit}, the largest --max-lora-rank "
                f"{'it is served with' if max_rank is not None else 'vLLM accepts'} (lower lora.r)"
            )
    if "lora_alpha" in config and not is_number(config["lora_alpha"]):
        problems.append(f"lora_alpha is {json.dumps(config['lora_alpha'])}, not a number")
    if config.get("modules_to_save"):
        problems.append(
            f"modules_to_save is {json.dumps(config['modules_to_save'])}: vLLM serves a language model's "
            "adapter only without modules_to_save (fully trained copies of base layers)"
        )
    if config.get("use_dora"):
        problems.append("use_dora is true: vLLM does not support DoRA")
    if config.get("bias", "none") != "none":
        problems.append(f"bias is {json.dumps(config['bias'])}: vLLM does not support adapter biases (bias 'none')")
    for key, feature in UNSUPPORTED_FEATURES.items():
        if config.get(key):
            problems.append(f"vLLM does not support {feature}")
    init = config.get("init_lora_weights", True)
    if isinstance(init, str) and init.lower() not in PLAIN_INITS:
        problems.append(
            f"init_lora_weights is {json.dumps(init)}: vLLM does not serve adapters whose init changes the base "
            "weights (PiSSA, OLoRA, CorDA, LoftQ)"
        )
    targets = config.get("target_modules")
    if "target_modules" in config:
        if not (isinstance(targets, str) or (isinstance(targets, list) and all(isinstance(m, str) for m in targets))):
            problems.append(f"target_modules is {json.dumps(targets)}, not a list of module names or a pattern")
        elif supported_modules is not None:
            kinds = module_kinds(targets)
            outside = sorted((kinds or set()) - supported_modules)
            if outside:
                problems.append(
                    f"it adapts {', '.join(outside)}, which vLLM does not apply LoRA to on this base "
                    f"(it does on {', '.join(sorted(supported_modules))})"
                )
    if problems:
        raise GomError(f"{where}: vLLM would refuse this adapter: {'; '.join(problems)}")


def weight_names(path: str | Path) -> list[str]:
    """The tensor names in a safetensors file, read from its JSON header alone (no tensor and
    no code is loaded)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 2 <= size <= 100_000_000 or size > path.stat().st_size - 8:
                raise ValueError(f"a header of {size} bytes")
            header = json.loads(f.read(size).decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (OSError, ValueError) as e:
        raise GomError(f"{path} is not a readable safetensors file ({e})") from None
    return [name for name in header if name != "__metadata__"]


def check_vllm_weights(path: str | Path, where: str, supported_modules: frozenset[str] | None) -> set[str]:
    """The kinds of module the adapter's weights adapt (q_proj, ...); GomError when they hold a
    tensor vLLM cannot load: not a lora_A/lora_B weight, or of a module vLLM does not apply LoRA
    to on this base."""
    odd, kinds = [], set()
    for name in weight_names(path):
        if name.endswith(SKIPPED_WEIGHTS):
            continue
        if not name.endswith(WEIGHT_SUFFIXES):
            odd.append(name)
            continue
        kinds.add(name[: -len(WEIGHT_SUFFIXES[0])].rsplit(".", 1)[-1])
    outside = kinds - supported_modules if supported_modules is not None else set()
    problems = []
    if odd:
        shown = ", ".join(odd[:3]) + (f" and {len(odd) - 3} more" if len(odd) > 3 else "")
        problems.append(f"its weights hold tensors that are not LoRA A/B weights ({shown})")
    if outside:
        problems.append(
            f"its weights adapt {', '.join(sorted(outside))}, which vLLM does not apply LoRA to on this base "
            f"(it does on {', '.join(sorted(supported_modules))})"
        )
    if problems:
        raise GomError(f"{where}: vLLM would refuse this adapter: {'; '.join(problems)}")
    return kinds


def lora_modules_of(base: str) -> tuple[str | None, frozenset[str] | None]:
    """(architecture, its LoRA modules) of a local base model directory; (None or the
    architecture, None) when gom cannot tell (a hub name, an architecture not in its table)."""
    config = Path(base) / "config.json"
    if not config.is_file():
        return None, None
    data = read_json(config)
    architectures = data.get("architectures") if isinstance(data, dict) else None
    if not isinstance(architectures, list) or not architectures:
        return None, None
    architecture = str(architectures[0])
    return architecture, LORA_MODULES_BY_ARCHITECTURE.get(architecture)


def served_rank(rank: int) -> int:
    """The smallest --max-lora-rank vLLM accepts that serves an adapter of rank ``rank``."""
    for allowed in VLLM_MAX_LORA_RANKS:
        if allowed >= rank:
            return allowed
    raise GomError(f"LoRA rank {rank} is above {VLLM_MAX_LORA_RANKS[-1]}, the largest vLLM serves")
