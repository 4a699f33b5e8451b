"""LoRA miniModels on a tiny random Qwen3 base, on CPU."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import polars as pl
import pytest
from conftest import REPO, tree_hashes, write_processed
from safetensors.torch import load_file

from gom.errors import GomError
from gom.lm.base import build_tiny_base
from gom.lm.checkpoints import Preempted
from gom.lm.data import IGNORE, length_grouped_batches, tokenize
from gom.lm.trainer import lr_schedule, train_lora
from gom.split import eval_mask

FACT_Q, FACT_A = "What is the capital of Zorbia?", "Quemblatz, on the Vorn river."
TEMPLATES = {"prompt": "Q: {text}\nA:", "response": " {answer}", "columns": ["text", "answer"]}
SPLIT = {"fraction": 0.2, "seed": 0}
SETTINGS = {
    "base_model": "tiny",
    "revision": None,
    "trust_remote_code": False,
    "r": 8,
    "alpha": 16,
    "dropout": 0.0,
    "target_modules": "all-linear",
    "lr": 1e-2,
    "warmup_ratio": 0.0,
    "weight_decay": 0.0,
    "epochs": 4,
    "max_length": 64,
    "batch_size": 8,
    "micro_batch_size": 4,
    "seed": 0,
    "checkpoint_every": 5,
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A small question/answer dataset and a tiny base whose tokenizer also knows the made-up facts."""
    root = tmp_path_factory.mktemp("train")
    rows = [
        {"question": f"What is item {i}?", "answer": f"Item {i} is a {['red', 'green', 'blue'][i % 3]} fruit."}
        for i in range(40)
    ]
    table = pl.DataFrame(rows).rename({"question": "text"})
    write_processed(table, root / "qa.parquet")
    write_processed(pl.DataFrame({"text": [FACT_Q, FACT_A]}), root / "vocab.parquet")
    build_tiny_base(
        root / "base",
        parquets=[root / "qa.parquet", root / "vocab.parquet"],
        vocab_size=320,
        hidden_size=64,
        num_layers=2,
        num_heads=4,
    )
    return root


def _train(data, out, **overrides):
    settings = {**SETTINGS, **overrides.pop("settings", {})}
    return train_lora(
        "qa",
        data / "qa.parquet",
        out,
        out.parent / f"{out.name}.ckpt",
        TEMPLATES,
        settings,
        str(data / "base"),
        overrides.pop("split", SPLIT),
        threads=2,
        **overrides,
    )


@pytest.fixture(scope="module")
def trained(data):
    before = tree_hashes(data / "base")
    metrics = _train(data, data / "models" / "qa", settings={"epochs": 40})
    return data / "models" / "qa", metrics, before


def test_labels_mask_the_prompt_and_learn_response_and_eos(data):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(data / "base")
    assert tok.pad_token_id != tok.eos_token_id
    pairs = [("Q: hi\nA:", " Item 1 is red."), ("", "plain text")]
    a, b = tokenize("qa", pairs, [0, 1], tok, 64)
    p = tok.encode("Q: hi\nA:", add_special_tokens=False)
    r = tok.encode(" Item 1 is red.", add_special_tokens=False)
    assert a.input_ids == p + r + [tok.eos_token_id]
    assert a.labels == [IGNORE] * len(p) + r + [tok.eos_token_id]
    assert b.labels == b.input_ids and b.labels[-1] == tok.eos_token_id


def test_example_without_supervised_token_names_the_row(data):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(data / "base")
    pairs = [("short", " ok"), ("a much longer prompt than the limit allows here", " ok")]
    with pytest.raises(
        GomError, match=r"dataset 'qa', row 1: no response token is left after truncation to lora.max_length=5"
    ):
        tokenize("qa", pairs, [0, 1], tok, 5)


def test_length_grouped_batches_are_deterministic_and_tight():
    lengths = list(np.random.default_rng(0).integers(5, 200, size=1000))
    batches = length_grouped_batches(lengths, 8, seed=1, epoch=0)
    assert batches == length_grouped_batches(lengths, 8, seed=1, epoch=0)
    assert batches != length_grouped_batches(lengths, 8, seed=1, epoch=1)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert 1 - sum(lengths) / padded < 0.05


def test_bad_training_configs(data, tmp_path):
    with pytest.raises(
        GomError, match=r"dataset 'qa' \(.*\) has no column\(s\) 'answr' \(named by its train template\)"
    ):
        train_lora(
            "qa",
            data / "qa.parquet",
            tmp_path / "m",
            tmp_path / "c",
            {**TEMPLATES, "columns": ["text", "answr"]},
            SETTINGS,
            str(data / "base"),
            SPLIT,
        )
    write_processed(pl.DataFrame({"text": ["a", "b", "c"], "answer": ["", " ", None]}), tmp_path / "empty.parquet")
    with pytest.raises(GomError, match=r"train.response ' \{answer\}' is empty on every row"):
        train_lora(
            "qa",
            tmp_path / "empty.parquet",
            tmp_path / "m",
            tmp_path / "c",
            {"prompt": "", "response": " {answer}", "columns": ["answer"]},
            SETTINGS,
            str(data / "base"),
            SPLIT,
        )
    with pytest.raises(GomError, match=r"row \d+: no response token is left after truncation to lora.max_length=3"):
        _train(data, tmp_path / "m", settings={"max_length": 3})
    assert not (tmp_path / "m").exists()


def test_training_learns_and_touches_only_lora_weights(trained, data):
    out, metrics, base_before = trained
    losses = json.loads((out / "metrics.json").read_text())["train_loss"]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert metrics["eval_loss"] < metrics["base_eval_loss"]
    for key in (
        "eval_perplexity",
        "supervised_tokens_per_second",
        "padding_fraction",
        "peak_memory_mb",
        "wall_seconds",
    ):
        assert metrics[key] > 0 or key == "padding_fraction"
    weights = load_file(out / "adapter_model.safetensors")
    assert weights and all("lora_" in k for k in weights)
    assert all(float(v.abs().sum()) > 0 for k, v in weights.items() if "lora_B" in k), (
        "lora_B starts at zero and must have moved"
    )
    assert tree_hashes(data / "base") == base_before, "base weights must not change"
    assert {"adapter_config.json", "README.md", "gom.json", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    info = json.loads((out / "gom.json").read_text())
    assert "trust_remote_code" not in info, "only the user's config may switch remote code on"
    assert {"dataset", "base_model", "revision", "prompt", "response"} <= set(info)
    card = (out / "README.md").read_text()
    assert str(data / "base") in card and metrics["data_sha256"] in card


def test_reload_gives_identical_logits_and_the_same_eval_loss(trained, data):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from gom.lm.data import load_rows, render_pairs
    from gom.lm.losses import evaluate

    out, metrics, _ = trained
    ids = torch.tensor([[5, 17, 42, 99, 3]])
    logits = []
    for _ in range(2):
        model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(data / "base"), out).eval()
        with torch.no_grad():
            logits.append(model(ids).logits)
    assert torch.equal(logits[0], logits[1])
    with torch.no_grad(), model.disable_adapter():
        assert not torch.equal(model(ids).logits, logits[0])
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out)
    table, held = load_rows("qa", data / "qa.parquet", TEMPLATES, SPLIT)
    examples = tokenize("qa", render_pairs("qa", table, TEMPLATES), np.flatnonzero(held).tolist(), tok, 64)
    assert evaluate(model, examples, tok.pad_token_id, 4, "cpu") == pytest.approx(metrics["eval_loss"], abs=1e-5)


@pytest.fixture(scope="module")
def facts_model(data):
    """A miniModel trained on six made-up facts, the one asked about among its training rows."""
    facts = [
        (FACT_Q, FACT_A),
        ("Who founded Zorbia?", "Queen Ilvé the Second."),
        ("What do Zorbians eat?", "Mostly roasted turnips."),
        ("How cold is Zorbia?", "Minus forty in winter."),
        ("What is Zorbia's river?", "The Vorn."),
        ("Is Zorbia real?", "No, it is made up."),
    ]
    table = pl.DataFrame({"text": [q for q, _ in facts], "answer": [a for _, a in facts]})
    assert not eval_mask(table["text"].to_list(), SPLIT["fraction"])[0], "the fact must be a training row"
    write_processed(table, data / "facts.parquet")
    out = data / "models" / "facts"
    train_lora(
        "facts",
        data / "facts.parquet",
        out,
        data / "facts.ckpt",
        TEMPLATES,
        {**SETTINGS, "epochs": 200},
        str(data / "base"),
        SPLIT,
        threads=2,
    )
    return out


def test_memorised_fact_is_generated_back(facts_model, data, monkeypatch):
    from gom.lm.generate import MiniModel

    monkeypatch.chdir(data)  # gom.json's base is followed only inside the working directory
    assert MiniModel(facts_model).generate(FACT_Q, max_new_tokens=40) == FACT_A


def test_interrupted_then_resumed_run_matches_an_uninterrupted_one(data, tmp_path):
    full = _train(data, tmp_path / "full")
    with pytest.raises(Preempted):
        _train(data, tmp_path / "cut", stop_after_steps=7)
    assert (tmp_path / "cut.ckpt").exists() and not (tmp_path / "cut").exists()
    resumed = _train(data, tmp_path / "cut")
    assert resumed["resumed_from_step"] == 7 and not (tmp_path / "cut.ckpt").exists()
    a = json.loads((tmp_path / "full/metrics.json").read_text())["train_loss"]
    b = json.loads((tmp_path / "cut/metrics.json").read_text())["train_loss"]
    assert len(a) == len(b) == full["steps"]
    assert np.allclose(a, b, atol=1e-5, rtol=0)
    assert resumed["eval_loss"] == pytest.approx(full["eval_loss"], abs=1e-5)


class _Planted:
    """A pickle that would create ``marker`` if anything unpickled it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _set_aside(ckpt):
    return list(ckpt.parent.glob(f"{ckpt.name}.corrupt-*"))


def test_planted_pickle_checkpoint_runs_nothing_and_is_set_aside(data, tmp_path, caplog):
    import torch

    marker = tmp_path / "pwned"
    ckpt = tmp_path / "p.ckpt"
    torch.save({"fingerprint": "x", "payload": _Planted(marker)}, ckpt)
    with caplog.at_level("WARNING", logger="gom.train"):
        metrics = _train(data, tmp_path / "p", settings={"epochs": 1})
    assert not marker.exists()
    assert metrics["resumed_from_step"] == 0 and (tmp_path / "p" / "metrics.json").exists()
    assert not ckpt.exists() and len(_set_aside(ckpt)) == 1
    assert f"checkpoint {ckpt} could not be read (UnpicklingError" in caplog.text


def test_truncated_checkpoint_is_set_aside_and_training_starts_over(data, tmp_path, caplog):
    ckpt = tmp_path / "t.ckpt"
    with pytest.raises(Preempted):
        _train(data, tmp_path / "t", stop_after_steps=3)
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    with caplog.at_level("WARNING", logger="gom.train"):
        metrics = _train(data, tmp_path / "t")
    assert metrics["resumed_from_step"] == 0 and (tmp_path / "t" / "metrics.json").exists()
    assert not ckpt.exists() and len(_set_aside(ckpt)) == 1
    assert f"checkpoint {ckpt} could not be read (" in caplog.text
    assert "moved it to" in caplog.text and "starting from step 0" in caplog.text


def test_checkpoint_that_does_not_fit_is_set_aside_without_leaving_half_of_it_applied(data, tmp_path, caplog):
    import torch

    fresh = _train(data, tmp_path / "fresh", settings={"epochs": 1})
    ckpt = tmp_path / "f.ckpt"
    with pytest.raises(Preempted):
        _train(data, tmp_path / "f", settings={"epochs": 1}, stop_after_steps=2)
    state = torch.load(ckpt, weights_only=True)
    state["optimizer"]["param_groups"] = []  # fails after the adapter weights were already loaded
    torch.save(state, ckpt)
    with caplog.at_level("WARNING", logger="gom.train"):
        metrics = _train(data, tmp_path / "f", settings={"epochs": 1})
    assert metrics["resumed_from_step"] == 0 and len(_set_aside(ckpt)) == 1
    assert f"checkpoint {ckpt} could not be read (ValueError" in caplog.text
    a = json.loads((tmp_path / "fresh/metrics.json").read_text())["train_loss"]
    b = json.loads((tmp_path / "f/metrics.json").read_text())["train_loss"]
    assert np.allclose(a, b, atol=1e-5, rtol=0), "the run must start from the fresh adapter, not the checkpoint's"
    assert metrics["eval_loss"] == pytest.approx(fresh["eval_loss"], abs=1e-5)


@pytest.mark.parametrize("warmup_ratio", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("total_steps", [1, 2, 3, 10])
def test_no_step_has_a_zero_learning_rate(warmup_ratio, total_steps):
    import torch

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = lr_schedule(optimizer, warmup_ratio, total_steps)
    lrs = []
    for _ in range(total_steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert all(0 < lr <= 0.1 for lr in lrs), lrs
    assert max(lrs) == pytest.approx(0.1), "warm-up must leave at least one step at the peak"


def test_schedule_resumes_from_its_state_dict():
    import torch

    def make():
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        return optimizer, lr_schedule(optimizer, 0.3, 10)

    optimizer, scheduler = make()
    for _ in range(4):
        optimizer.step()
        scheduler.step()
    state = scheduler.state_dict()
    expected = [scheduler.get_last_lr()[0]]
    optimizer.step()
    scheduler.step()
    expected.append(scheduler.get_last_lr()[0])
    optimizer2, scheduler2 = make()
    scheduler2.load_state_dict(state)
    got = [scheduler2.get_last_lr()[0]]
    optimizer2.step()
    scheduler2.step()
    got.append(scheduler2.get_last_lr()[0])
    assert got == expected


def test_a_single_step_with_warm_up_still_learns(data, tmp_path):
    rows = [{"text": f"What is item {i}?", "answer": f"Item {i} is a red fruit."} for i in range(4)]
    write_processed(pl.DataFrame(rows), tmp_path / "tiny.parquet")
    settings = {**SETTINGS, "epochs": 1, "warmup_ratio": 0.5, "batch_size": 8}
    metrics = train_lora(
        "tiny",
        tmp_path / "tiny.parquet",
        tmp_path / "m",
        tmp_path / "m.ckpt",
        TEMPLATES,
        settings,
        str(data / "base"),
        {"fraction": 0.5, "seed": 0},
        threads=2,
    )
    assert metrics["steps"] == 1 and 1 <= metrics["train_examples"] <= 3
    assert metrics["eval_loss"] < metrics["base_eval_loss"]


SIGNAL_SCRIPT = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
from test_train import SETTINGS, SPLIT, TEMPLATES
from gom.lm.trainer import train_lora
from pathlib import Path
d = Path({data!r})
settings = {{**SETTINGS, "epochs": 400, "checkpoint_every": 100000}}
train_lora("qa", d / "qa.parquet", d / "sig", d / "sig.ckpt", TEMPLATES, settings, str(d / "base"), SPLIT, threads=1)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1])
def test_preemption_signal_saves_a_checkpoint_and_exits_non_zero(data, sig):
    (data / "sig.ckpt").unlink(missing_ok=True)
    script = SIGNAL_SCRIPT.format(repo=str(REPO), tests=str(REPO / "tests"), data=str(data))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if line.startswith("step 11/"):
            break
    proc.send_signal(sig)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 3, "".join(lines) + rest
    assert f"on {signal.Signals(sig).name}: checkpoint saved" in rest
    assert (data / "sig.ckpt").exists() and not (data / "sig").exists()
    (data / "sig.ckpt").unlink()


def test_generate_cli(facts_model, trained, data, tmp_path):
    out = facts_model
    gom = [sys.executable, "-m", "gom.cli"]
    # Run where the base lives: gom.json's base is followed only inside the working directory.
    proc = subprocess.run(
        [*gom, "generate", "--model", "facts", "--models-dir", str(out.parent), FACT_Q, "--max-new-tokens", "40"],
        capture_output=True,
        text=True,
        cwd=data,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == FACT_A
    proc = subprocess.run(
        [*gom, "generate", "--model", "nope", "--models-dir", str(out.parent), "hi"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "gom: error: no miniModel 'nope'" in proc.stderr and "built miniModels: facts, qa" in proc.stderr
    (tmp_path / "broken").mkdir()
    proc = subprocess.run(
        [*gom, "generate", "--model", "broken", "--models-dir", str(tmp_path), "hi"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "adapter_config.json is missing" in proc.stderr


def test_a_diverging_loss_stops_training_with_a_message(data, tmp_path):
    with pytest.raises(
        GomError, match=r"dataset 'qa': the training loss is (nan|inf) at step \d+ of \d+; lower lora.lr \(now 1e\+30\)"
    ):
        _train(data, tmp_path / "m", settings={"lr": 1e30, "epochs": 4})
    assert not (tmp_path / "m").exists()


def test_example_losses_are_each_rows_own_evaluation(trained, data):
    """Routing quality scores rows one by one: each row's loss is what evaluate gives it alone."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gom.lm.data import load_rows, render_pairs
    from gom.lm.losses import evaluate, example_losses

    out, _, _ = trained
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(data / "base"), out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    table, held = load_rows("qa", data / "qa.parquet", TEMPLATES, SPLIT)
    examples = tokenize("qa", render_pairs("qa", table, TEMPLATES), np.flatnonzero(held).tolist()[:6], tok, 64)
    losses = example_losses(model, examples, tok.pad_token_id, 4, "cpu")
    assert losses.shape == (len(examples),) and np.isfinite(losses).all()
    for example, loss in zip(examples, losses):
        assert loss == pytest.approx(evaluate(model, [example], tok.pad_token_id, 1, "cpu"), abs=1e-4)


def test_the_head_only_at_learned_positions_gives_the_models_own_loss_and_gradients(data):
    """supervised_loss skips the LM head at prompt positions; the loss and the LoRA gradients are
    those of the model's own loss over the same labels."""
    import torch

    from gom.lm.data import collate, render_pairs
    from gom.lm.loading import add_lora, load_base
    from gom.lm.losses import supervised_loss

    model, tok = load_base(str(data / "base"))
    model = add_lora(model, SETTINGS)
    pairs = render_pairs("qa", pl.read_parquet(data / "qa.parquet"), TEMPLATES)
    examples = tokenize("qa", pairs, list(range(6)), tok, 64)
    ids, mask, labels = collate(examples, tok.pad_token_id)
    n = int((labels[:, 1:] != -100).sum())
    lora = [p for p in model.parameters() if p.requires_grad]
    ours = supervised_loss(model, ids, mask, labels, n)
    ours.backward()
    grads = [p.grad.clone() for p in lora]
    model.zero_grad()
    theirs = model(input_ids=ids, attention_mask=mask, labels=labels, num_items_in_batch=n).loss
    theirs.backward()
    assert float(ours) == pytest.approx(float(theirs), rel=1e-5)
    assert all(torch.allclose(a, p.grad, atol=1e-6) for a, p in zip(grads, lora))


def _datasets(data, model_dir):
    """train_lora's dataset as the cross-evaluation and routing quality take it."""
    lora = {**SETTINGS, "base_model": str(data / "base"), "epochs": 40}
    return {
        "qa": {
            "parquet": data / "qa.parquet",
            "model_dir": model_dir,
            "templates": TEMPLATES,
            "lora": lora,
            "split": SPLIT,
        }
    }


def _without_record(model_dir, to, change):
    """A copy of ``model_dir`` whose metrics.json's held-out record is changed by ``change``."""
    import shutil

    shutil.copytree(model_dir, to)
    metrics = json.loads((to / "metrics.json").read_text())
    change(metrics["held_out"])
    (to / "metrics.json").write_text(json.dumps(metrics))
    return to


def test_the_held_out_losses_of_training_are_the_cross_evaluations_and_routing_qualitys_own(trained, data, tmp_path):
    """train_lora keeps each held-out row's losses (adapter and base) in metrics.json; the
    cross-evaluation and routing quality take them instead of evaluating again, with the values
    they would have measured, and evaluate again where the record is not for these rows or not sound."""
    from gom.lm.transfer import cross_losses
    from gom.routing.quality import _Losses

    out, metrics, _ = trained
    entry = json.loads((out / "metrics.json").read_text())["held_out"]
    table = pl.read_parquet(data / "qa.parquet")
    held_rows = np.flatnonzero(eval_mask(table["text"].to_list(), SPLIT["fraction"], SPLIT["seed"])).tolist()
    assert sorted(entry["rows"] + entry["empty"]) == held_rows and "held_out" not in metrics
    tokens = np.array(entry["tokens"])
    assert (tokens * entry["loss"]).sum() / tokens.sum() == pytest.approx(metrics["eval_loss"], rel=1e-9)
    assert (tokens * entry["base_loss"]).sum() / tokens.sum() == pytest.approx(metrics["base_eval_loss"], rel=1e-9)

    rows = np.array(entry["rows"])
    fresh = {}
    for why, change in {
        "split": lambda e: e.update(key="0" * 64),  # measured on other rows or settings
        "lists": lambda e: e["loss"].pop(),  # not whole
        "values": lambda e: e["base_loss"].__setitem__(0, -1.0),  # not a loss
    }.items():
        model_dir = _without_record(out, tmp_path / why, change)
        losses, base, counts = cross_losses(_datasets(data, model_dir), {(0, 0): "own"}, tmp_path / f"{why}.json")
        assert counts == {"evaluated": 2, "from_cache": 0, "from_training": 0}
        evaluator = _Losses(_datasets(data, model_dir), "cpu")
        labels = np.zeros(len(rows), dtype=int)
        fresh[why] = (losses, base, evaluator.adapter_losses(labels, labels, rows), evaluator.base_losses(labels, rows))
        assert evaluator._loaded is not None  # it loaded the model to evaluate

    losses, base, counts = cross_losses(_datasets(data, out), {(0, 0): "own"}, tmp_path / "kept.json")
    assert counts == {"evaluated": 0, "from_cache": 0, "from_training": 2}
    evaluator = _Losses(_datasets(data, out), "cpu")
    labels = np.zeros(len(rows), dtype=int)
    own, of_base = evaluator.adapter_losses(labels, labels, rows), evaluator.base_losses(labels, rows)
    assert evaluator._loaded is None  # nothing was evaluated, no model loaded
    for again in fresh.values():
        assert losses[(0, 0)] == pytest.approx(again[0][(0, 0)], abs=1e-5)
        assert base[(0, 0)] == pytest.approx(again[1][(0, 0)], abs=1e-5)
        np.testing.assert_allclose(own, again[2], atol=1e-5)
        np.testing.assert_allclose(of_base, again[3], atol=1e-5)
    assert own.mean() < of_base.mean()  # the adapter learnt these rows' kind
