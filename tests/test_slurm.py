"""The workflow through a real SLURM cluster (slurmctld + slurmd on localhost) with a test copy
of profiles/slurm: every cluster job goes through sbatch, training goes to the gpu partition
with a GPU request, the outputs equal a local run's, and preempted training resumes."""

import json
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import polars as pl
import pytest
import yaml
from conftest import REPO, sample_config
from slurm_cluster import Cluster, missing

pytestmark = pytest.mark.slow
if missing():
    pytest.skip(f"no SLURM here: {missing()}", allow_module_level=True)

NAMES = ["nutrition", "recipes", "cocktails"]
# One thread per job in both runs, so the numbers of the cluster and the local run are identical.
THREADS = {
    "train_lora": 1,
    "cross_loss": 1,
    "route_index": 1,
    "route_eval": 1,
    "route_quality": 1,
    "answers": 1,
    "tiny_base": 1,
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("slurm"), cpus=2, memory_mb=20000)
    c.start()
    yield c
    c.stop()


def make_profile(tmp_path):
    """The shipped profile, pointed at the test partitions, with conda off (no channel here)."""
    profile = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
    profile.pop("software-deployment-method")
    profile["set-threads"] = THREADS
    for rule in ("train_lora", "cross_loss", "route_quality", "answers"):
        profile["set-resources"][rule].update({"cpus_per_gpu": 1, "mem_mb": 4000})
    profile["default-resources"].update({"mem_mb": 2000})
    profile["slurm-init-seconds-before-status-checks"] = 2
    profile["jobs"] = 4
    profile["cores"] = 2  # the node has 2
    out = tmp_path / "profile"
    out.mkdir()
    (out / "config.yaml").write_text(yaml.safe_dump(profile))
    return out


def snakemake(workdir, cluster, *args, timeout=1500):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir), *args],
        cwd=workdir,
        env={**cluster.env, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def workdir_with_samples(path):
    shutil.copytree(REPO / "datasets/raw", path / "datasets/raw")
    sample_config(path)
    return path


def test_workflow_on_slurm_equals_a_local_run(tmp_path, cluster):
    local = workdir_with_samples(tmp_path / "local")
    remote = workdir_with_samples(tmp_path / "remote")
    profile = make_profile(tmp_path)
    start = time.time()
    proc = snakemake(remote, cluster, "--profile", str(profile), "--verbose")
    out = proc.stdout + proc.stderr
    (tmp_path / "slurm_run.log").write_text(out)
    assert proc.returncode == 0, out[-5000:]
    slurm_seconds = time.time() - start
    threads = [f"{rule}={n}" for rule, n in THREADS.items()]
    local_proc = snakemake(local, cluster, "--cores", "2", "--set-threads", *threads)
    assert local_proc.returncode == 0, local_proc.stderr[-3000:]

    # Every job but the local rules (`all`, `serve_bundle`) went through sbatch, the small ones bundled
    # (group-components): the 9 convert/embed/profile jobs of the 3 datasets as one cluster job, the 3
    # edge jobs as one; answers is a job of its own.
    submitted = re.findall(r"Job (\S+) has been submitted with SLURM jobid (\d+)", out)
    sbatch_lines = [line for line in out.splitlines() if line.lstrip().startswith("sbatch call:")]
    assert len(submitted) == len(sbatch_lines) == 12, submitted
    jobs = {sid: cluster.run("scontrol", "show", "job", sid).stdout for _, sid in submitted}
    comments = [re.search(r"Comment=(\S+)", info).group(1) for info in jobs.values()]
    per_rule = {
        rule: sum(c.startswith(f"rule_{rule}") for c in comments)
        for rule in [
            "datasets_convert_embed_profile",
            "edges_edges",
            "graph",
            "tiny_base",
            "train_lora",
            "cross_loss",
            "route_index",
            "route_eval",
            "route_quality",
            "answers",
        ]
    }
    assert per_rule == {
        "datasets_convert_embed_profile": 1,
        "edges_edges": 1,
        "graph": 1,
        "tiny_base": 1,
        "train_lora": 3,
        "cross_loss": 1,
        "route_index": 1,
        "route_eval": 1,
        "route_quality": 1,
        "answers": 1,
    }, comments
    assert all("JobState=COMPLETED" in info for info in jobs.values())
    assert not any("serve_bundle" in c for c in comments) and (remote / "results/serve/manifest.json").is_file()

    # Training was sent to the gpu partition with a GPU request, and ran on the CPU.
    train_calls = [line for line in sbatch_lines if "train_lora" in line]
    assert len(train_calls) == 3
    for line in train_calls:
        assert re.search(r"(-p|--partition)[ =]gpu\b", line) and "--gpus=1" in line, line
    trained = [info for info in jobs.values() if "Comment=rule_train_lora" in info]
    assert len(trained) == 3
    for info in trained:
        assert "Partition=gpu" in info and "TresPerJob=gres:gpu:1" in info, info
    assert all("Partition=cpu" in info for info in jobs.values() if "Comment=rule_datasets" in info)
    for name in NAMES:
        assert "no GPU visible: training on CPU" in (remote / f"logs/train_lora/{name}.log").read_text()

    # The same outputs as the local run.
    for name in NAMES:
        assert pl.read_parquet(remote / f"datasets/processed/{name}.parquet").equals(
            pl.read_parquet(local / f"datasets/processed/{name}.parquet")
        )
        assert np.array_equal(
            np.load(remote / f"results/embeddings/{name}.npy"), np.load(local / f"results/embeddings/{name}.npy")
        )
        a = json.loads((remote / f"models/{name}/metrics.json").read_text())
        b = json.loads((local / f"models/{name}/metrics.json").read_text())
        assert a["train_loss"] == b["train_loss"] and a["eval_loss"] == b["eval_loss"]
    for path in [
        "results/graph/matrix_mean_cosine.csv",
        "results/graph/matrix_jaccard.csv",
        "results/training/cross_loss.csv",
        "results/routing/quality.json",
    ]:
        assert (remote / path).read_text() == (local / path).read_text(), path
    for path in (remote / "results/edges").iterdir():
        with np.load(path) as a, np.load(local / "results/edges" / path.name) as b:
            assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files), path
    ra, la = (json.loads((d / "results/routing/eval.json").read_text()) for d in (remote, local))
    assert ra == la
    print(f"SLURM run of the sample workflow: {slurm_seconds:.0f} s, {len(submitted)} cluster jobs")


def test_preempted_training_resumes_from_its_checkpoint(tmp_path, cluster):
    """scancel --signal=TERM on a running training job: the resubmitted job resumes, not restarts."""
    workdir = workdir_with_samples(tmp_path / "work")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["datasets"] = {"recipes": config["datasets"]["recipes"]}
    config["lora"].update({"epochs": 6, "checkpoint_every": 5})
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    profile = make_profile(tmp_path)
    log = workdir / "logs/train_lora/recipes.log"
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(workdir),
            "--profile",
            str(profile),
            "models/recipes",
        ],
        cwd=workdir,
        env={**cluster.env, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 600
        while time.time() < deadline and not (log.exists() and re.search(r"step 1\d/", log.read_text())):
            assert run.poll() is None, run.stdout.read()[-3000:]
            time.sleep(0.5)
        jobs = cluster.run("squeue", "-h", "-p", "gpu", "-t", "running", "-o", "%i").stdout.split()
        assert len(jobs) == 1, jobs
        cluster.run("scancel", "--signal=TERM", jobs[0])
        out, _ = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, out[-4000:]
    text = log.read_text()
    resumed = re.search(r"resuming from checkpoint \S+ at step (\d+) of (\d+) \(saved on SIGTERM\)", text)
    assert resumed, text[-3000:]
    step = int(resumed.group(1))
    assert 10 <= step < int(resumed.group(2))
    assert json.loads((workdir / "models/recipes/metrics.json").read_text())["resumed_from_step"] == step
    assert not (workdir / "models/.checkpoints/recipes.pt").exists()
