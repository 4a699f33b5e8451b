"""The second hostile review's cases: each bad input is one clear refusal (or a recomputation),
never a silent success."""

import json

import pytest
import test_cli
from test_cli import cli, copy_model

from gom.cli import main
from gom.errors import GomError


@pytest.mark.parametrize(
    ("flag", "environment", "message"),
    [
        ("", None, "--api-key is empty: an empty key would switch authentication off"),
        ("   ", None, "--api-key is empty"),
        (None, "", "GOM_API_KEY is empty"),
        ("Kéy", None, "--api-key holds 'é' (U+00E9) at character 1: a key must be printable ASCII"),
        ("key\n", None, "--api-key holds '\\n' (U+000A) at character 3"),
        (" key", None, "--api-key begins or ends with a space"),
    ],
)
def test_serve_refuses_an_api_key_no_client_can_match(tmp_path, monkeypatch, capsys, flag, environment, message):
    """An unset $KEY in `--api-key "$KEY"` used to start an open API; the key is checked before
    anything is loaded (there is no workflow output here at all)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOM_API_KEY", raising=False)
    if environment is not None:
        monkeypatch.setenv("GOM_API_KEY", environment)
    argv = ["serve"] + (["--api-key", flag] if flag is not None else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("gom: error:") == 1


def test_a_good_api_key_passes_the_check():
    from gom.serve.load import checked_api_key

    assert checked_api_key("s3cret-Key_1", None) == "s3cret-Key_1"
    assert checked_api_key(None, "from-env") == "from-env"
    assert checked_api_key("flag", "env") == "flag"
    assert checked_api_key(None, None) is None


# --- tampered adapters -----------------------------------------------------------------------

# a tiny base and a briefly trained models/qa; a load_base that records its calls and stops
workdir, inside, record_load = test_cli.workdir, test_cli.inside, test_cli.record_load


def tampered(workdir, name, change) -> str:
    """models/<name>: a copy of models/qa whose adapter tensors went through ``change``."""
    from safetensors.torch import load_file, save_file

    target = copy_model(workdir, name)
    weights = target / "adapter_model.safetensors"
    tensors = load_file(weights)
    change(tensors)
    save_file(tensors, weights)
    return name


def _nan_lora_b(tensors):
    for key in tensors:
        if ".lora_B." in key:
            tensors[key].fill_(float("nan"))


def _wider_lora_a(tensors):
    import torch

    key = next(k for k in tensors if ".lora_A." in k)
    tensors[key] = torch.zeros(tensors[key].shape[0], tensors[key].shape[1] + 8)


def test_nan_adapter_weights_are_refused_where_the_adapter_loads(inside, capsys):
    """NaN lora_B tensors used to give an empty answer with exit 0 (and load silently in gom serve)."""
    from gom.serve.engine import Engine

    name = tampered(inside, "nan_qa", _nan_lora_b)
    code, out, err = cli(capsys, "generate", "--model", name, "What is item 1?")
    assert code == 2 and out == ""
    assert "miniModel models/nan_qa/: tensor " in err and ".lora_B." in err and "NaN or infinite" in err
    with pytest.raises(GomError, match=r"tensor .*lora_B.* holds \d+ NaN or infinite"):
        Engine("models", [name])


def test_rank_in_the_config_must_match_the_tensors(inside, capsys):
    target = copy_model(inside, "big_rank")
    config = json.loads((target / "adapter_config.json").read_text())
    (target / "adapter_config.json").write_text(json.dumps({**config, "r": 100000}))
    code, _, err = cli(capsys, "generate", "--model", "big_rank", "What is item 1?")
    assert code == 2
    assert "but adapter_config.json says r = 100000" in err and "has shape (4, " in err


def test_a_tensor_that_does_not_fit_the_base_is_named(inside, capsys):
    """PEFT's own message ended at 'Error(s) in loading state_dict for PeftModelForCausalLM:'."""
    name = tampered(inside, "wide_qa", _wider_lora_a)
    code, _, err = cli(capsys, "generate", "--model", name, "What is item 1?")
    assert code == 2
    assert "its adapter does not fit the base" in err and "size mismatch for" in err and "lora_A" in err


# --- the command line refuses what the server refuses ------------------------------------------


def test_a_query_over_the_server_limit_is_refused_before_anything_loads(tmp_path, monkeypatch, capsys):
    """A 10 MB query used to run for minutes and take 21 GiB; nothing exists here to load."""
    monkeypatch.chdir(tmp_path)
    big = tmp_path / "big.txt"
    big.write_bytes(b"rum " * (1 << 18) + b"x")  # 1 MiB + 1 byte
    code, _, err = cli(capsys, "ask", "--file", str(big))
    assert code == 2 and f"the query file {big} is over 1048576 bytes" in err
    code, _, err = cli(capsys, "route", "a" * (1 << 20 | 1))
    assert code == 2 and "the query is over 1048576 bytes" in err


def test_a_prompt_longer_than_the_context_is_refused_before_the_weights_load(inside, capsys, record_load):
    """~7,000 prompt tokens on a 4,096-token base used to answer noise with exit 0."""
    code, out, err = cli(capsys, "generate", "--model", "qa", "item " * 5000)
    assert code == 2 and out == ""
    assert (
        "the prompt is " in err
        and "tokens with the miniModel's template; the base model attends to at most 4096" in err
    )
    code, _, err = cli(capsys, "generate", "--model", "qa", "What is item 1?", "--max-new-tokens", "5000")
    assert (
        code == 2
        and "--max-new-tokens is 5000, but the prompt (" in err
        and "within the base model's context of 4096" in err
    )
    assert record_load == []  # the base's weights were never loaded


@pytest.mark.parametrize("command", ["route", "ask"])
def test_reading_a_closed_standard_input_is_one_message(tmp_path, command):
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m gom.cli {command} - 0<&-", shell=True, cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "standard input, which is closed" in proc.stderr
