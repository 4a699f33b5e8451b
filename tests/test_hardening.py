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


# --- the command line's other edges -----------------------------------------------------------


def test_check_config_of_a_missing_file_or_a_directory_is_one_message(tmp_path, capsys):
    code, _, err = cli(capsys, "check-config", str(tmp_path / "nonexistent.yaml"))
    assert code == 2 and err == f"gom: error: {tmp_path / 'nonexistent.yaml'}: no such config file\n"
    code, _, err = cli(capsys, "check-config", str(tmp_path))
    assert code == 2 and f"{tmp_path} is a directory, not a config file" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("lora", "message"),
    [
        ("{lr: .nan}", "lora.lr: nan is not a finite number"),
        ("{alpha: .inf}", "lora.alpha: inf is not a finite number"),
        ("{r: 100000}", "lora.r"),
    ],
)
def test_check_config_refuses_values_a_job_would_fail_on(tmp_path, capsys, lora, message):
    """lora.lr .nan and lora.r 100000 passed the check; the job then failed after Snakemake had
    deleted the good miniModel. (vLLM serves ranks up to 512.)"""
    (tmp_path / "d.csv").write_text("text\na\nb\n")
    (tmp_path / "config.yaml").write_text(
        f"datasets:\n  d:\n    sources: [{{path: {tmp_path / 'd.csv'}}}]\nlora: {lora}\n"
    )
    code, _, err = cli(capsys, "check-config", str(tmp_path / "config.yaml"))
    assert code == 2 and message in err
    if "100000" in lora:
        assert "512" in err


def test_port_outside_the_tcp_range_is_refused(capsys):
    code, _, err = cli(capsys, "serve", "--port", "70000")
    assert code == 2 and "argument --port: must be a TCP port from 1 to 65535, got 70000" in err


def test_an_answer_with_nowhere_to_go_is_an_error(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m gom.cli route rum >&-", shell=True, cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "standard output is closed" in proc.stderr


def test_the_bases_directory_is_not_a_minimodel(inside, capsys):
    code, _, err = cli(capsys, "generate", "--model", "base", "hi")
    assert code == 2 and "models/base/ holds base models, not a miniModel: --model names a miniModel (" in err
    assert "snakemake" not in err


def test_a_base_model_path_that_does_not_exist_is_named(inside, capsys):
    code, _, err = cli(capsys, "generate", "--model", "qa", "hi", "--base-model", "/nonexistent")
    assert code == 2 and "--base-model /nonexistent: no such directory" in err
    assert "Repo id" not in err


# --- tampered files ---------------------------------------------------------------------------


def test_an_npz_that_is_text_gets_no_advice_to_unpickle(tmp_path):
    from gom.io import load_npz

    (tmp_path / "index.npz").write_text("garbage")
    with pytest.raises(GomError) as e:
        load_npz(tmp_path / "index.npz")
    assert "allow_pickle" not in str(e.value) and "unsafely" not in str(e.value)
    assert "not a NumPy array file" in str(e.value) and "gom never does" in str(e.value)


def test_communities_that_are_not_integers_are_named(tmp_path):
    from gom.serve.graph import _communities

    (tmp_path / "communities.csv").write_text("dataset,community,community_label\na,0,x\nb,one,y\n")
    with pytest.raises(GomError, match=r"communities.csv, row 2: community 'one' of dataset 'b' is not an integer"):
        _communities(tmp_path)
    (tmp_path / "communities.csv").write_text("dataset,group\na,0\n")
    with pytest.raises(GomError, match="has no column 'community', 'community_label'"):
        _communities(tmp_path)


def test_planted_vectors_are_not_taken_as_embeddings(tmp_path):
    import numpy as np

    from gom.embedding.encode import _are_embeddings

    good = np.eye(3, 4, dtype=np.float32)
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "zero.npy", np.zeros((3, 4), dtype=np.float32))
    info = {"rows": 3, "dim": 4}
    assert _are_embeddings(tmp_path / "good.npy", info)
    assert not _are_embeddings(tmp_path / "zero.npy", info)
    assert not _are_embeddings(tmp_path / "good.npy", {"rows": 4, "dim": 4})


# --- the server's parts -----------------------------------------------------------------------


def test_accept_encoding_with_zero_quality_refuses_gzip():
    from gom.serve.http import accepts_gzip

    assert accepts_gzip("gzip") and accepts_gzip("br, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0") and not accepts_gzip("") and not accepts_gzip("identity")
    assert not accepts_gzip("*, gzip;q=0")


def test_a_stalled_body_is_answered_408():
    """A client that declares 100 bytes and sends 9 used to hold its connection (and shutdown) for ever."""
    import asyncio

    from gom.serve.http import BodyLimit

    sent = []

    async def run():
        chunks = [{"type": "http.request", "body": b"123456789", "more_body": True}]

        async def receive():
            if chunks:
                return chunks.pop()
            await asyncio.sleep(3600)

        async def send(message):
            sent.append(message)

        async def app(scope, receive, send):
            raise AssertionError("the app must not see a body that never arrived")

        scope = {"type": "http", "headers": [(b"content-length", b"100")]}
        await BodyLimit(app, limit=1000, timeout=0.2)(scope, receive, send)

    asyncio.run(run())
    assert sent[0]["status"] == 408
    assert b"did not arrive within 0.2 s (9 bytes of the 100 declared)" in sent[-1]["body"]


def test_an_upstream_that_refuses_the_servers_key_is_a_bad_gateway():
    import httpx
    from test_serve_units import drain, sse, upstream_with

    from gom.serve.schemas import OpenAIError

    refused = upstream_with(lambda r: httpx.Response(401, json={"error": {"message": "bad key"}}))
    with pytest.raises(OpenAIError, match="answered 401: bad key") as e:
        drain(refused)
    assert e.value.status == 502  # the server's configuration, not the client's request
    for usage in ({"completion_tokens": 99}, {"completion_tokens": -1}):
        done = {"choices": [{"text": "x", "finish_reason": "stop"}], "usage": usage}
        liar = upstream_with(lambda r, d=done: httpx.Response(200, content=sse(d, "[DONE]")))
        with pytest.raises(OpenAIError, match="completion tokens for an answer of at most 8") as e:
            drain(liar)
        assert e.value.status == 502


def test_a_special_tokens_text_in_a_question_stays_text(workdir):
    """'hello <|endoftext|> world' reached the model as the EOS control token."""
    from transformers import AutoTokenizer

    from gom.lm.chat import question_ids

    tokenizer = AutoTokenizer.from_pretrained(workdir / "models" / "qa")
    eos = tokenizer.eos_token
    info = {"prompt": "Q: {text}\nA:"}
    plain, plain_ids = question_ids(tokenizer, info, None, "What is item 1?")
    assert plain == "Q: What is item 1?\nA:" and plain_ids == tokenizer(plain, add_special_tokens=False)["input_ids"]
    text, ids = question_ids(tokenizer, info, None, f"hello {eos} world")
    assert text == f"Q: hello {eos} world\nA:"
    assert (
        tokenizer.eos_token_id not in ids
        and tokenizer.eos_token_id in tokenizer(text, add_special_tokens=False)["input_ids"]
    )
    assert tokenizer.decode(ids) == text  # the same characters, as text


def test_review_cases_of_the_hardening_itself(workdir, tmp_path, capsys, monkeypatch):
    """What a hostile pass over this hardening found: raw prompts keep their control tokens, a
    hub id without a slash is not taken for a path, a malformed adapter_config.json is one message,
    a JSON string body sent as JSON is not blamed on its Content-Type, an empty upstream key is refused."""
    import shutil

    from fastapi.exceptions import RequestValidationError
    from transformers import AutoTokenizer

    from gom.lm.chat import question_ids
    from gom.lm.generate import base_of
    from gom.lm.loading import check_adapter_weights
    from gom.serve.http import invalid_request
    from gom.serve.load import checked_api_key

    tokenizer = AutoTokenizer.from_pretrained(workdir / "models" / "qa")
    raw = f"Q: hi{tokenizer.eos_token}"
    assert question_ids(tokenizer, None, None, raw, raw=True)[1][-1] == tokenizer.eos_token_id
    assert base_of({}, "models/x", "gpt2") == "gpt2" and base_of({}, "models/x", "org/name") == "org/name"
    with pytest.raises(GomError, match="no such directory"):
        base_of({}, "models/x", "a/b/c")

    bad = tmp_path / "bad"
    shutil.copytree(workdir / "models" / "qa", bad)
    for content in ("[]", '"x"', '{"r": "8"}'):
        (bad / "adapter_config.json").write_text(content)
        with pytest.raises(GomError, match="gives no positive integer rank r"):
            check_adapter_weights(bad)

    class Request:
        headers = {"content-type": "application/json"}

    error = RequestValidationError(
        [
            {
                "loc": ("body",),
                "type": "model_attributes_type",
                "input": "hello",
                "msg": "Input should be a valid dictionary",
            }
        ]
    )
    assert "Content-Type" not in invalid_request(error, Request()).message

    with pytest.raises(GomError, match="GOM_UPSTREAM_API_KEY is empty"):
        checked_api_key(None, "", "GOM_UPSTREAM_API_KEY")


def test_a_forced_cross_evaluation_recomputes_but_a_smaller_selection_reads_the_cache(tmp_path):
    """Only a run asking for exactly the last run's losses, all cached, evaluates them again."""
    from gom.lm.loss_cache import SELECTION, read_cache, selection_of

    wanted = {"a": (0, 0, 0), "b": (None, 0, 0)}
    (tmp_path / "c.json").write_text(json.dumps({"a": 1.0, "b": 2.0, SELECTION: selection_of(wanted)}))
    values, last = read_cache(tmp_path / "c.json")
    assert values == {"a": 1.0, "b": 2.0} and last == selection_of(wanted) != selection_of({"a": (0, 0, 0)})
