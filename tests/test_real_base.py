"""The real default base end to end on a few rows: rule gguf_base builds SmolLM2-135M-Instruct
from the installed GGUF, two miniModels train on it through the chat template and beat it on
held-out rows, and `gom generate` answers in English. (Everywhere speed matters the tests use
the tiny base; this is the one run on a model that knows language.)"""

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import REPO, run_snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("real_base")
    raw = workdir / "datasets/raw"
    raw.mkdir(parents=True)
    recipes = pl.read_ndjson(REPO / "datasets/raw/recipes.jsonl").head(40)
    recipes.write_ndjson(raw / "recipes.jsonl")
    cocktails = pl.read_parquet(next((REPO / "datasets/raw/cocktails").glob("*.parquet"))).head(40)
    cocktails.write_parquet(raw / "cocktails.parquet")
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    rename = {"ingredients": "text"}
    config["datasets"] = {
        "recipes": {
            **config["datasets"]["recipes"],
            "sources": [{"path": "datasets/raw/recipes.jsonl", "rename": rename}],
        },
        "cocktails": {
            **config["datasets"]["cocktails"],
            "sources": [{"path": "datasets/raw/cocktails.parquet", "rename": rename}],
        },
    }
    config["split"] = {"fraction": 0.2}
    config["answers"] = {"rows": 3, "max_new_tokens": 32}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    assert config["lora"]["base_model"] == "smollm2", "the shipped config trains on the real base"
    run_snakemake(workdir, check=True)
    return workdir


def test_the_real_base_is_built_from_the_installed_gguf(real):
    base = real / "models/base/smollm2"
    record = json.loads((base / "gom_base.json").read_text())
    assert record["gguf_sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert record["architecture"] == "LlamaForCausalLM" and 134_000_000 < record["parameters"] < 135_000_000
    assert (base / "model.safetensors").stat().st_size > 500_000_000 and (base / "chat_template.jinja").is_file()
    assert "quantization_config" not in json.loads((base / "config.json").read_text())


def test_real_minimodels_beat_the_base_and_answer_in_english(real):
    for name in ("recipes", "cocktails"):
        metrics = json.loads((real / f"models/{name}/metrics.json").read_text())
        assert metrics["eval_loss"] < metrics["base_eval_loss"], (name, metrics["eval_loss"], metrics["base_eval_loss"])
        assert "<|im_start|>assistant" in (real / f"logs/train_lora/{name}.log").read_text()  # the chat template
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gom.cli",
            "generate",
            "--model",
            "cocktails",
            "gin, tonic water, lime",
            "--max-new-tokens",
            "40",
        ],
        cwd=real,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    words = re.findall(r"[A-Za-z]+", proc.stdout)
    common = {"the", "a", "and", "with", "of", "in", "to", "glass", "ice", "add", "gin", "lime", "tonic", "water"}
    assert len(words) >= 5 and sum(w.lower() in common for w in words) >= 2, proc.stdout
    assert "<|im_end|>" not in proc.stdout and "<|im_start|>" not in proc.stdout
    scores = json.loads((real / "results/answers/scores.json").read_text())
    assert set(scores["datasets"]) == {"recipes", "cocktails"} and scores["mean_own"] > 0


def test_the_server_answers_a_conversation_with_the_real_base(real):
    import httpx
    from conftest import start_server

    server = start_server(real)
    try:
        chat = [
            {"role": "system", "content": "You are a bartender."},
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": "Hello! What would you like to drink?"},
            {"role": "user", "content": "gin, tonic water, lime"},
        ]
        body = {"model": "auto", "messages": chat, "max_tokens": 24, "temperature": 0}
        r = httpx.post(f"{server.url}/v1/chat/completions", json=body, timeout=300)
        assert r.status_code == 200, r.text
        reply = r.json()
        assert reply["model"] == "cocktails" and re.search(r"[A-Za-z]{3,}", reply["choices"][0]["message"]["content"])
        assert reply["usage"]["prompt_tokens"] > 30  # the earlier turns reached the model
        long = [{"role": "user", "content": "lime " * 9000}, {"role": "assistant", "content": "ok"}, chat[-1]]
        r = httpx.post(f"{server.url}/v1/chat/completions", json={**body, "messages": long}, timeout=300)
        assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"
        assert "2 earlier turns" in r.json()["error"]["message"]
    finally:
        server.stop()
