"""The vLLM bundle: adapters checked against what vLLM's LoRA loader accepts, then a manifest, a
`vllm serve` script and the router's settings, all written or none."""

import json
import os
import shlex
import subprocess
from dataclasses import asdict

import numpy as np
import pytest
from safetensors.numpy import save_file

from gom.errors import GomError
from gom.routing.index import Choice, Index
from gom.serve.bundle import check_vllm_adapter, served_rank, write_bundle

ATTENTION = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn"}
MLP = {"gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}
MODULES = {**ATTENTION, **MLP}
OUTPUTS = ["results/serve/manifest.json", "results/serve/vllm_serve.sh", "results/serve/router.json"]


def adapter_config(r=16, kinds=tuple(MODULES), **changes) -> dict:
    """An adapter_config.json as PEFT 0.21 writes it for gom's miniModels (full module names)."""
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": "models/base",
        "r": r,
        "lora_alpha": 2 * r,
        "lora_dropout": 0.05,
        "bias": "none",
        "lora_bias": False,
        "use_dora": False,
        "use_rslora": False,
        "modules_to_save": None,
        "init_lora_weights": True,
        "rank_pattern": {},
        "alpha_pattern": {},
        "layer_replication": None,
        "target_modules": [f"model.layers.{layer}.{MODULES.get(k, 'mlp')}.{k}" for layer in (0, 1) for k in kinds],
    }
    return {**config, **changes}


def make_minimodel(
    root, name, config=None, base="models/base", revision=None, weights=None, metrics=True, prompt="{text}:"
):
    """models/<name>/ with gom.json, adapter_config.json and LoRA weights for its target modules."""
    config = config or adapter_config()
    model_dir = root / "models" / name
    model_dir.mkdir(parents=True)
    (model_dir / "adapter_config.json").write_text(json.dumps(config))
    info = {"dataset": name, "base_model": base, "revision": revision, "prompt": prompt, "response": " {x}"}
    (model_dir / "gom.json").write_text(json.dumps(info))
    if metrics:
        (model_dir / "metrics.json").write_text(json.dumps({"eval_loss": 1.5, "base_eval_loss": 3.0}))
    if weights is None:
        r = config.get("r", 16) if isinstance(config.get("r"), int) else 16
        weights = {}
        for module in config.get("target_modules") or []:
            weights[f"base_model.model.{module}.lora_A.weight"] = np.zeros((r, 8), np.float32)
            weights[f"base_model.model.{module}.lora_B.weight"] = np.zeros((8, r), np.float32)
    if weights is not False:
        save_file(weights, str(model_dir / "adapter_model.safetensors"))
    return f"models/{name}"


def make_router(root, names, choice=None):
    """results/routing/index.npz and selection.json for ``names``."""
    rng = np.random.default_rng(0)
    rows = []
    for _ in names:
        v = rng.normal(size=(4, 8)).astype(np.float32)
        rows.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    index = Index.from_rows(list(names), rows, "models/embedder", k=5)
    index.choice = choice or Choice(router="knn", k=5, abstain_score="nearest_rows", threshold=0.42)
    (root / "results/routing").mkdir(parents=True, exist_ok=True)
    index.save(root / "results/routing/index.npz")
    selection = {"method_setting": "auto", "choice": asdict(index.choice), "validation": {"top1_accuracy": 0.9}}
    (root / "results/routing/selection.json").write_text(json.dumps(selection))
    return "results/routing/index.npz", "results/routing/selection.json"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with a local Qwen3-architecture base."""
    (tmp_path / "models/base").mkdir(parents=True)
    (tmp_path / "models/base/config.json").write_text(json.dumps({"architectures": ["Qwen3ForCausalLM"]}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def bundle(models, index, selection, max_loras=8):
    return write_bundle(models, index, selection, *OUTPUTS, max_loras=max_loras)


def command_line(path) -> list[str]:
    """The arguments of the script's one command, as the shell reads them."""
    text = open(path).read()
    body = text[text.index("exec vllm serve") :]
    return shlex.split(body.replace("\\\n", " "))


def test_good_bundle_serves_every_adapter_with_the_smallest_rank_vllm_accepts(workdir):
    models = [
        make_minimodel(workdir, "nutrition", adapter_config(r=16)),
        make_minimodel(workdir, "recipes", adapter_config(r=24, kinds=("q_proj", "v_proj")), prompt=None),
        make_minimodel(workdir, "cocktails", adapter_config(r=8), metrics=False),
    ]
    index, selection = make_router(workdir, ["nutrition", "recipes", "cocktails"])
    summary = bundle(models, index, selection, max_loras=2)
    assert summary == {"adapters": 3, "max_lora_rank": 32, "max_loras": 2}

    manifest = json.loads((workdir / OUTPUTS[0]).read_text())
    assert manifest["base_model"] == "models/base" and manifest["served_base_name"] == "base"
    assert (manifest["max_lora_rank"], manifest["max_loras"], manifest["max_cpu_loras"]) == (32, 2, 3)
    first, second, third = manifest["adapters"]
    assert first == {
        "name": "nutrition",
        "path": "models/nutrition",
        "rank": 16,
        "alpha": 32,
        "target_modules": sorted(MODULES),
        "prompt": "{text}:",
        "eval_loss": 1.5,
        "base_eval_loss": 3.0,
    }
    assert second["target_modules"] == ["q_proj", "v_proj"] and second["prompt"] is None
    assert "eval_loss" not in third
    checks = manifest["vllm_checks"]
    assert checks["architecture"] == "Qwen3ForCausalLM" and checks["target_modules_checked"]
    assert any("peft_helper.py" in c for c in checks["checked"])

    script = workdir / OUTPUTS[1]
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n") and "from the workflow's working directory" in text
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    args = command_line(script)
    assert args[:4] == ["exec", "vllm", "serve", "models/base"]
    modules = args[args.index("--lora-modules") + 1 : args.index("--max-lora-rank")]
    assert modules == ["nutrition=models/nutrition", "recipes=models/recipes", "cocktails=models/cocktails"]
    assert args[args.index("--served-model-name") + 1] == "base" and "--enable-lora" in args
    assert args[args.index("--max-lora-rank") + 1] == "32"
    assert args[args.index("--max-loras") + 1] == "2"
    assert args[args.index("--max-cpu-loras") + 1] == "3"
    assert args[-1] == "$@" and "--revision" not in args

    router = json.loads((workdir / OUTPUTS[2]).read_text())
    assert router["index"] == index and router["names"] == ["nutrition", "recipes", "cocktails"]
    assert (router["method"], router["k"], router["threshold"]) == ("knn", 5, 0.42)
    assert router["abstain_score"] == "nearest_rows" and router["embedding_model"] == "models/embedder"
    assert router["on_abstain"] == "base" and router["method_setting"] == "auto"


def test_the_script_serves_only_the_files_gom_checked(workdir, tmp_path):
    """A byte appended to the manifest, or an adapter replaced after the bundle was written, went unnoticed."""
    models = [make_minimodel(workdir, "fruit"), make_minimodel(workdir, "bar")]
    bundle(models, *make_router(workdir, ["fruit", "bar"]))
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "vllm").write_text('#!/bin/sh\necho "vllm $*"\n')
    (fake / "vllm").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}

    def run():
        return subprocess.run(["sh", OUTPUTS[1]], cwd=workdir, env=env, capture_output=True, text=True)

    ok = run()
    assert ok.returncode == 0 and ok.stdout.startswith("vllm serve models/base"), ok.stderr
    manifest = workdir / OUTPUTS[0]
    original = manifest.read_bytes()
    manifest.write_bytes(original + b" ")
    bad = run()
    assert bad.returncode == 1 and "vllm" not in bad.stdout
    assert "results/serve/manifest.json: FAILED" in bad.stderr and "rebuild the bundle" in bad.stderr
    manifest.write_bytes(original)
    weights = workdir / "models/bar/adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes() + b"x")
    bad = run()
    assert bad.returncode == 1 and "models/bar/adapter_model.safetensors: FAILED" in bad.stderr


def test_max_loras_is_capped_by_the_adapters_and_a_revision_is_passed_on(workdir):
    models = [make_minimodel(workdir, "fruit", revision="v1.0"), make_minimodel(workdir, "bar", revision="v1.0")]
    bundle(models, *make_router(workdir, ["fruit", "bar"]))
    args = command_line(workdir / OUTPUTS[1])
    assert args[args.index("--max-loras") + 1] == "2" and args[args.index("--max-lora-rank") + 1] == "16"
    assert args[args.index("--revision") + 1] == "v1.0"


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"modules_to_save": ["lm_head"]}, "modules_to_save"),
        ({"use_dora": True}, "DoRA"),
        ({"bias": "all"}, 'bias is "all"'),
        ({"bias": "lora_only"}, "adapter biases"),
        ({"lora_bias": True}, "lora_bias"),
        ({"init_lora_weights": "pissa"}, "init_lora_weights"),
        ({"target_modules": ["model.layers.0.self_attn.q_proj", "lm_head"]}, "lm_head"),
        ({"target_modules": "model.*(q_proj|embed_tokens)$"}, "embed_tokens"),
        ({"r": 1024}, "rank 1024 is greater than 512"),
        ({"rank_pattern": {"q_proj": 600}}, "rank 600"),
        ({"r": 0}, "not a positive integer"),
        ({"r": 16.0}, "not a positive integer"),
        ({"r": True}, "not a positive integer"),
        ({"peft_type": "IA3"}, 'peft_type is "IA3"'),
        ({"lora_alpha": "32"}, "lora_alpha"),
    ],
)
def test_what_vllm_would_refuse_is_refused_and_nothing_is_written(workdir, changes, problem):
    good = make_minimodel(workdir, "nutrition")
    weights = {"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": np.zeros((4, 8), np.float32)}
    bad = make_minimodel(workdir, "recipes", adapter_config(**changes), weights=weights)
    index, selection = make_router(workdir, ["nutrition", "recipes"])
    with pytest.raises(GomError, match="vLLM would refuse") as error:
        bundle([good, bad], index, selection)
    assert str(error.value).startswith("models/recipes: ") and problem in str(error.value)
    assert not (workdir / "results/serve").exists()


def test_a_config_missing_what_vllm_requires_is_refused(workdir):
    config = adapter_config()
    del config["lora_alpha"], config["target_modules"]
    with pytest.raises(GomError, match="lacks 'lora_alpha', 'target_modules', which vLLM requires"):
        check_vllm_adapter(config, "models/x")
    with pytest.raises(GomError, match="rank 32 is greater than 16, the largest --max-lora-rank it is served with"):
        check_vllm_adapter(adapter_config(r=32), "models/x", max_rank=16)
    check_vllm_adapter(adapter_config(r=512), "models/x")
    check_vllm_adapter(adapter_config(target_modules="all-linear"), "models/x")
    check_vllm_adapter(adapter_config(target_modules=["lm_head"]), "models/x", supported_modules=None)


@pytest.mark.parametrize(
    "weights, problem",
    [
        (False, "no adapter_model.safetensors in models/recipes/"),
        ({"base_model.model.lm_head.lora_A.weight": np.zeros((4, 8), np.float32)}, "its weights adapt lm_head"),
        (
            {"base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector": np.zeros(8, np.float32)},
            "not LoRA A/B weights",
        ),
    ],
)
def test_weights_vllm_cannot_load_are_refused(workdir, weights, problem):
    bad = make_minimodel(workdir, "recipes", weights=weights)
    if weights is False:
        (workdir / bad / "adapter_model.bin").write_bytes(b"pickle")
    with pytest.raises(GomError) as error:
        bundle([bad], *make_router(workdir, ["recipes"]))
    assert problem in str(error.value) and "models/recipes" in str(error.value)
    assert not (workdir / "results/serve").exists()


def test_a_truncated_weights_file_is_named(workdir):
    bad = make_minimodel(workdir, "recipes")
    (workdir / bad / "adapter_model.safetensors").write_bytes(b"\xff" * 12)
    with pytest.raises(GomError, match="adapter_model.safetensors is not a readable safetensors file"):
        bundle([bad], *make_router(workdir, ["recipes"]))


def test_adapters_of_different_bases_are_refused(workdir):
    models = [make_minimodel(workdir, "fruit"), make_minimodel(workdir, "bar", base="Qwen/Qwen3-0.6B")]
    with pytest.raises(GomError) as error:
        bundle(models, *make_router(workdir, ["fruit", "bar"]))
    message = str(error.value)
    assert "'fruit' and 'bar' have different bases" in message
    assert "'models/base'" in message and "'Qwen/Qwen3-0.6B'" in message
    assert not (workdir / "results/serve").exists()


def test_a_refused_rerun_leaves_the_previous_bundle_as_it_was(workdir):
    models = [make_minimodel(workdir, "fruit"), make_minimodel(workdir, "bar")]
    router = make_router(workdir, ["fruit", "bar"])
    bundle(models, *router)
    before = {out: (workdir / out).read_bytes() for out in OUTPUTS}
    (workdir / "models/bar/adapter_config.json").write_text(json.dumps(adapter_config(use_dora=True)))
    with pytest.raises(GomError, match="DoRA"):
        bundle(models, *router, max_loras=1)
    assert {out: (workdir / out).read_bytes() for out in OUTPUTS} == before
    assert sorted(p.name for p in (workdir / "results/serve").iterdir()) == sorted(p.split("/")[-1] for p in OUTPUTS)


def test_a_router_for_other_datasets_is_refused(workdir):
    models = [make_minimodel(workdir, "fruit"), make_minimodel(workdir, "bar")]
    with pytest.raises(GomError, match="routes to fruit, herbs but the miniModels are fruit, bar"):
        bundle(models, *make_router(workdir, ["fruit", "herbs"]))


def test_an_unknown_architecture_is_served_without_a_module_check(workdir):
    (workdir / "models/base/config.json").write_text(json.dumps({"architectures": ["GPT2LMHeadModel"]}))
    config = adapter_config(target_modules=["transformer.h.0.attn.c_attn"])
    model = make_minimodel(workdir, "fruit", config)
    bundle([model], *make_router(workdir, ["fruit"]))
    checks = json.loads((workdir / OUTPUTS[0]).read_text())["vllm_checks"]
    assert checks["architecture"] == "GPT2LMHeadModel" and not checks["target_modules_checked"]
    assert any("target modules not checked" in c for c in checks["checked"])


def test_served_rank_is_the_smallest_value_vllm_accepts():
    assert [served_rank(r) for r in (1, 2, 8, 16, 17, 64, 300, 320, 512)] == [1, 8, 8, 16, 32, 64, 320, 320, 512]
    with pytest.raises(GomError, match="above 512"):
        served_rank(513)
