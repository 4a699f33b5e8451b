"""The `gom` command: argument checks, query input, and what a shared miniModel directory may not decide."""

import io
import json
import os
import shutil
import subprocess
import sys

import polars as pl
import pytest
from conftest import write_processed

from gom.cli import main
from gom.errors import GomError
from gom.lm.base import build_tiny_base
from gom.lm.trainer import train_lora

TEMPLATES = {"prompt": "Q: {text}\nA:", "response": " {answer}", "columns": ["text", "answer"]}
SPLIT = {"fraction": 0.2, "seed": 0}
SETTINGS = {
    "base_model": "tiny",
    "revision": None,
    "trust_remote_code": False,
    "r": 4,
    "alpha": 8,
    "dropout": 0.0,
    "target_modules": "all-linear",
    "lr": 1e-2,
    "warmup_ratio": 0.0,
    "weight_decay": 0.0,
    "epochs": 1,
    "max_length": 32,
    "batch_size": 4,
    "micro_batch_size": 4,
    "seed": 0,
    "checkpoint_every": 100,
}
EMPTY = "gom: error: the query is empty: give the question as an argument, '-' to read it from standard input, or --file PATH"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A working directory with a tiny base in base/ and a miniModel trained briefly in models/qa/."""
    root = tmp_path_factory.mktemp("cli")
    rows = [
        {"text": f"What is item {i}?", "answer": f"Item {i} is a {['red', 'green', 'blue'][i % 3]} fruit."}
        for i in range(12)
    ]
    write_processed(pl.DataFrame(rows), root / "qa.parquet")
    build_tiny_base(
        root / "base", parquets=[root / "qa.parquet"], vocab_size=300, hidden_size=32, num_layers=1, num_heads=2
    )
    train_lora(
        "qa",
        root / "qa.parquet",
        root / "models" / "qa",
        root / "qa.ckpt",
        TEMPLATES,
        SETTINGS,
        str(root / "base"),
        SPLIT,
        threads=2,
    )
    return root


@pytest.fixture
def inside(workdir, monkeypatch):
    """Run from the working directory, as a user of the workflow would."""
    monkeypatch.chdir(workdir)
    return workdir


def cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `gom argv`, argparse's own exits included."""
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def copy_model(workdir, name, **info) -> str:
    """A copy of models/qa as models/<name>, with gom.json's keys replaced by ``info``."""
    target = workdir / "models" / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(workdir / "models" / "qa", target)
    data = json.loads((target / "gom.json").read_text())
    (target / "gom.json").write_text(json.dumps({**data, **info}))
    return target


@pytest.fixture
def record_load(monkeypatch):
    """Replace load_base by one that records its arguments and stops there."""
    calls = []

    def fake(base, revision=None, trust_remote_code=False, device="cpu"):
        calls.append({"base": base, "trust_remote_code": trust_remote_code})
        raise GomError("stopped before loading")

    monkeypatch.setattr("gom.lm.loading.load_base", fake)
    return calls


# --- argument values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["route", "hi", "--top-k", "0"], "gom route: error: argument --top-k: must be a positive integer, got 0"),
        (["route", "hi", "--top-k", "-1"], "gom route: error: argument --top-k: must be a positive integer, got -1"),
        (["route", "hi", "--top-k", "two"], "gom route: error: argument --top-k: must be a positive integer, got two"),
        (
            ["neighbours", "qa", "--top-k", "0"],
            "gom neighbours: error: argument --top-k: must be a positive integer, got 0",
        ),
        (
            ["neighbours", "qa", "--top-k", "-3"],
            "gom neighbours: error: argument --top-k: must be a positive integer, got -3",
        ),
        (
            ["generate", "--model", "qa", "hi", "--max-new-tokens", "0"],
            "gom generate: error: argument --max-new-tokens: must be a positive integer, got 0",
        ),
        (
            ["generate", "--model", "qa", "hi", "--max-new-tokens", "-5"],
            "gom generate: error: argument --max-new-tokens: must be a positive integer, got -5",
        ),
        (
            ["ask", "hi", "--max-new-tokens", "0"],
            "gom ask: error: argument --max-new-tokens: must be a positive integer, got 0",
        ),
        (
            ["generate", "--model", "qa", "hi", "--temperature", "-1"],
            "gom generate: error: argument --temperature: must be a non-negative number, got -1",
        ),
        (
            ["generate", "--model", "qa", "hi", "--temperature", "nan"],
            "gom generate: error: argument --temperature: must be a non-negative number, got nan",
        ),
        (
            ["generate", "--model", "qa", "hi", "--temperature", "warm"],
            "gom generate: error: argument --temperature: must be a non-negative number, got warm",
        ),
    ],
)
def test_bad_numbers_are_refused_by_argparse(capsys, argv, message):
    code, _, err = cli(capsys, *argv)
    assert code == 2 and message in err


# --- the query --------------------------------------------------------------------------------

QUERY_COMMANDS = [["route"], ["ask"], ["generate", "--model", "qa"]]


@pytest.mark.parametrize("command", QUERY_COMMANDS)
@pytest.mark.parametrize("query", ["", "   ", " \n\t "])
def test_empty_query_is_refused_before_anything_loads(tmp_path, monkeypatch, capsys, command, query):
    monkeypatch.chdir(tmp_path)  # no router and no miniModels here: their errors would show if they were loaded first
    code, out, err = cli(capsys, *command, query)
    assert (code, out, err.strip()) == (2, "", EMPTY)


@pytest.mark.parametrize("command", QUERY_COMMANDS)
def test_missing_query_or_two_queries(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *command)
    assert (
        code == 2
        and err.strip()
        == "gom: error: no query: give it as an argument, '-' to read it from standard input, or --file PATH"
    )
    (tmp_path / "q.txt").write_text("hello")
    code, _, err = cli(capsys, *command, "hi", "--file", "q.txt")
    assert code == 2 and err.strip() == "gom: error: give the query either as an argument or with --file, not both"


def test_non_utf8_argument_names_the_byte(tmp_path):
    argv = [sys.executable, "-m", "gom.cli", "route", b"caf\xff au lait"]
    proc = subprocess.run([os.fsencode(a) for a in argv], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "gom: error: the query is not valid UTF-8 (byte 0xff at byte offset 3): gom reads text as UTF-8; "
        "convert it first, e.g. with `iconv -f latin1 -t utf-8`"
    )


def test_lone_surrogate_in_a_query_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "route", "ab\ud800")
    assert (
        code == 2
        and err.strip()
        == "gom: error: the query holds a lone surrogate (U+D800) at character 2, which is not text: give it as UTF-8"
    )


def stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


@pytest.mark.parametrize("command", QUERY_COMMANDS)
def test_bad_query_from_stdin_or_file(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    stdin(monkeypatch, b"na\xefve\n")
    code, _, err = cli(capsys, *command, "-")
    assert code == 2 and err.strip() == (
        "gom: error: the query read from standard input is not valid UTF-8 (byte 0xef at byte offset 2): "
        "gom reads text as UTF-8; convert it first, e.g. with `iconv -f latin1 -t utf-8`"
    )
    stdin(monkeypatch, b" \n\n")
    code, _, err = cli(capsys, *command, "-")
    assert code == 2 and err.strip() == EMPTY.replace("the query is", "the query read from standard input is")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    code, _, err = cli(capsys, *command, "--file", "latin1.txt")
    assert code == 2 and "gom: error: the query file latin1.txt is not valid UTF-8 (byte 0xe9 at byte offset 3)" in err
    code, _, err = cli(capsys, *command, "--file", "missing.txt")
    assert code == 2 and err.strip() == "gom: error: cannot read the query file missing.txt: No such file or directory"
    code, _, err = cli(capsys, *command, "--file", ".")
    assert code == 2 and err.strip() == "gom: error: cannot read the query file .: Is a directory"
    (tmp_path / "empty.txt").write_text("\n")
    code, _, err = cli(capsys, *command, "--file", "empty.txt")
    assert code == 2 and err.strip() == EMPTY.replace("the query is", "the query file empty.txt is")


@pytest.mark.parametrize("source", ["stdin", "file"])
def test_long_query_reaches_the_router_whole(tmp_path, monkeypatch, capsys, source):
    seen = []

    class Router:
        def __init__(self, results, embedding_model=None, compose=True):
            pass

        def route(self, queries, top_k):
            seen.extend(queries)
            return [{"abstained": False, "choice": "qa", "threshold": None, "ranking": [{"model": "qa", "score": 0.9}]}]

    monkeypatch.setattr("gom.routing.router.Router", Router)
    monkeypatch.chdir(tmp_path)
    query = "Ünïcode question, very long: " + "lorem ipsum " * 20_000  # beyond the ~128 kB argument limit
    if source == "stdin":
        stdin(monkeypatch, (query + "\n").encode())
        code, out, _ = cli(capsys, "route", "-")
    else:
        (tmp_path / "q.txt").write_text(query + "\r\n", encoding="utf-8")
        code, out, _ = cli(capsys, "route", "--file", "q.txt")
    assert code == 0 and seen == [query] and "1. qa" in out


def test_query_from_stdin_and_file_answers_like_the_argument(inside, monkeypatch, capsys):
    question = "What is item 3?"
    code, expected, err = cli(capsys, "generate", "--model", "qa", question, "--max-new-tokens", "8")
    assert code == 0, err
    stdin(monkeypatch, f"{question}\n".encode())
    assert cli(capsys, "generate", "--model", "qa", "-", "--max-new-tokens", "8")[:2] == (0, expected)
    (inside / "q.txt").write_text(question + "\n", encoding="utf-8")
    assert cli(capsys, "generate", "--model", "qa", "--file", "q.txt", "--max-new-tokens", "8")[:2] == (0, expected)


# --- what a miniModel directory may not decide -----------------------------------------------

EVIL = """
from pathlib import Path
Path({marker!r}).write_text("code from the model directory ran")
"""


@pytest.mark.parametrize("model_type", ["evil", "qwen3"])
def test_gom_json_cannot_turn_on_remote_code(inside, capsys, model_type):
    """A shared directory says trust_remote_code and ships code; gom runs none of it."""
    marker = inside / f"pwned-{model_type}"
    base = inside / f"evilbase-{model_type}"
    base.mkdir(exist_ok=True)
    (base / "config.json").write_text(
        json.dumps(
            {
                "model_type": model_type,
                "architectures": ["EvilModel"],
                "auto_map": {
                    "AutoConfig": "evil.EvilConfig",
                    "AutoModelForCausalLM": "evil.EvilModel",
                    "AutoTokenizer": ["evil.EvilTokenizer", None],
                },
            }
        )
    )
    (base / "tokenizer_config.json").write_text(
        json.dumps({"auto_map": {"AutoTokenizer": ["evil.EvilTokenizer", None]}})
    )
    (base / "evil.py").write_text(EVIL.format(marker=str(marker)))
    copy_model(inside, f"evil-{model_type}", base_model=base.name, trust_remote_code=True)
    code, out, err = cli(capsys, "generate", "--model", f"evil-{model_type}", "hello")
    assert not marker.exists()
    assert code == 2 and out == "" and err.startswith("gom: error: ") and len(err.strip().splitlines()) == 1
    if model_type == "evil":
        assert err.strip() == (
            f"gom: error: base model '{base.name}' needs its own Python code to load ({base.name}/config.json has an auto_map); "
            "gom does not run code that comes with a model unless you pass --trust-remote-code"
        )
    else:  # a known model_type: transformers ignores auto_map and fails on the missing weights, in one line
        assert err.startswith(f"gom: error: base model '{base.name}' could not be loaded (OSError: ")


@pytest.mark.parametrize("flag", [[], ["--trust-remote-code"]])
@pytest.mark.parametrize("command", [["generate", "--model", "trusting"], ["ask"]])
def test_trust_remote_code_comes_only_from_the_flag(inside, capsys, record_load, monkeypatch, flag, command):
    class Router:  # sends every query to the trusting miniModel
        def __init__(self, results, embedding_model=None, compose=True):
            pass

        def route(self, queries, top_k):
            return [{"choice": "trusting", "ranking": [{"model": "trusting", "score": 0.9}]}]

    monkeypatch.setattr("gom.routing.router.Router", Router)
    copy_model(inside, "trusting", trust_remote_code=True)
    code, _, err = cli(capsys, *command, "hello", *flag)
    assert code == 2 and "stopped before loading" in err
    assert record_load == [{"base": str(inside / "base"), "trust_remote_code": bool(flag)}]


@pytest.mark.parametrize("base", ["/etc", "../../x", "~/models/base"])
def test_base_model_outside_the_working_directory_is_refused(inside, capsys, record_load, base):
    copy_model(inside, "elsewhere", base_model=base)
    code, _, err = cli(capsys, "generate", "--model", "elsewhere", "hello")
    assert code == 2 and record_load == []
    assert err.strip() == (
        f"gom: error: models/elsewhere/gom.json (base_model) names '{base}', which is outside the working directory {inside}; "
        "a path read from a file is only followed inside it: pass --base-model "
        f"{base if base[0] != '~' else repr(base)} if you really mean it"
    )


def test_base_model_flag_overrides_gom_json(inside, capsys):
    copy_model(inside, "elsewhere", base_model="/etc")
    code, out, err = cli(
        capsys,
        "generate",
        "--model",
        "elsewhere",
        "What is item 3?",
        "--max-new-tokens",
        "4",
        "--base-model",
        str(inside / "base"),
    )
    assert (code, err) == (0, ""), err


@pytest.mark.parametrize("base", ["Qwen/Qwen3-0.6B", "base"])
def test_hub_ids_and_paths_inside_pass(inside, capsys, record_load, base):
    copy_model(inside, "fine", base_model=base)
    code, _, err = cli(capsys, "generate", "--model", "fine", "hello")
    assert code == 2
    # It reaches the loader: the weights (a local base), or first the config (a hub id, offline here).
    assert record_load == [{"base": base, "trust_remote_code": False}] or (
        "/" in base and f"base model '{base}': its config could not be loaded" in err
    )


def test_pickled_adapter_is_refused(inside, capsys, record_load):
    target = copy_model(inside, "pickled")
    (target / "adapter_model.safetensors").rename(target / "adapter_model.bin")
    code, _, err = cli(capsys, "generate", "--model", "pickled", "hello")
    assert code == 2 and record_load == []
    assert err.strip() == (
        "gom: error: no adapter_model.safetensors in models/pickled/ (it has adapter_model.bin, which gom does not load: "
        "unpickling can run code); gom loads adapters only from safetensors: rebuild it with `snakemake --cores all models/pickled`"
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "{not json",
            "models/broken/gom.json, line 1, column 2: not valid JSON (Expecting property name enclosed in double quotes)",
        ),
        ("[1, 2]", "models/broken/gom.json must hold a JSON object, not list"),
        ('{"dataset": "broken"}', "models/broken/gom.json lacks 'base_model'"),
        ("{}", "models/broken/gom.json lacks 'dataset', 'base_model'"),
        (
            '{"dataset": "broken", "base_model": ["a"]}',
            "models/broken/gom.json: 'base_model' must be a string, not [\"a\"]",
        ),
        (
            '{"dataset": "broken", "base_model": "base", "prompt": 3}',
            "models/broken/gom.json: 'prompt' must be a string or null, not 3",
        ),
    ],
)
def test_bad_gom_json_is_one_clear_message(inside, capsys, record_load, content, message):
    target = copy_model(inside, "broken")
    (target / "gom.json").write_text(content)
    code, _, err = cli(capsys, "generate", "--model", "broken", "hello")
    assert code == 2 and record_load == []
    assert err.strip() == f"gom: error: {message}: rebuild it with `snakemake --cores all models/broken`"


def test_transfer_takes_trust_from_the_config_and_checks_the_base(inside):
    from gom.lm.transfer import adapter_base

    assert adapter_base(inside / "models" / "qa", "tiny") == str(inside / "base")
    target = copy_model(inside, "outside", base_model="/opt/base")
    assert adapter_base(target, "/opt/base") == "/opt/base"  # the user's config names it
    with pytest.raises(
        GomError, match=r"gom.json \(base_model\) names '/opt/base', which is outside the working directory"
    ):
        adapter_base(target, "tiny")
    (target / "adapter_model.safetensors").unlink()
    with pytest.raises(GomError, match="gom loads adapters only from safetensors"):
        adapter_base(target, "/opt/base")


def test_check_config_names_the_line_of_a_yaml_mistake(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("text\nmint\nlime\n")
    (tmp_path / "extra.yaml").write_text("datasets:\n  a:\n    sources: [{path: a.csv}\n  b: x\n")
    assert main(["check-config", "extra.yaml"]) == 2
    assert capsys.readouterr().err.strip().startswith("gom: error: extra.yaml, line 4, column 3: not valid YAML")
    (tmp_path / "extra.yaml").write_text("datasets:\n  a:\n    sources: [{path: a.csv}]\n")
    assert main(["check-config", "extra.yaml"]) == 0
    assert capsys.readouterr().out.strip() == "extra.yaml: valid; 1 dataset(s), 1 source file(s)"
