"""The server's parts on their own: stop strings while streaming, sampling, error locations, the
graph it hands out, and mixed-adapter batches (a real tiny base with real PEFT adapters)."""

import asyncio
import math

import numpy as np
import polars as pl
import pytest
import torch

from gom.errors import GomError
from gom.io import write_json
from gom.matrices import write_matrix
from gom.serve.engine import BASE, Engine, Finish, Sampling, StopText, _pick
from gom.serve.graph import graph_payload
from gom.serve.schemas import location


def feed(stop: tuple[str, ...], texts: list[str]) -> tuple[str, bool]:
    """What a client receives when a row's text grows through ``texts`` (the last one final)."""
    s, out = StopText(stop), ""
    for i, text in enumerate(texts):
        piece, stopped = s.step(text, final=i == len(texts) - 1)
        out += piece
        if stopped:
            return out, True
    return out, False


def test_stop_strings_cut_the_text_even_across_pieces():
    assert feed(("END",), ["ab", "abE", "abEN", "abEND", "abENDxyz"]) == ("ab", True)
    assert feed((), ["a", "ab", "abc"]) == ("abc", False)
    assert feed(("\n\n",), ["one\n", "one\ntwo", "one\ntwo\n\nthree"]) == ("one\ntwo", True)
    # text that only starts like a stop string is sent once it cannot be one
    assert feed(("STOP",), ["ST", "STA", "STAR", "START"]) == ("START", False)


def test_a_character_split_over_tokens_is_held_back_until_whole():
    s = StopText(())
    assert s.step("caf\ufffd", final=False) == ("caf", False)
    assert s.step("café", final=False) == ("é", False)


def test_sampling_greedy_top_p_and_seed():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    assert _pick(logits, Sampling(8, temperature=0), None) == 0
    picks = {_pick(logits, Sampling(8, 1.0, top_p=0.6), torch.Generator().manual_seed(i)) for i in range(200)}
    assert picks == {0, 1}  # the smallest set of tokens reaching 0.6
    draw = [_pick(logits, Sampling(8, 1.0, seed=3), torch.Generator().manual_seed(3)) for _ in range(2)]
    assert draw[0] == draw[1]


def test_error_locations_name_the_field_not_pydantics_union_tags():
    assert location(("body", "messages", 0, "content", "str")) == "messages[0].content"
    assert location(("body", "messages", 1, "content", "list[TextPart]", 0, "type")) == "messages[1].content[0].type"
    assert location(("body", "stream")) == "stream"
    assert location(("body", "stop", "list[str]", 2)) == "stop[2]"


def test_graph_payload_keeps_each_nodes_top_k_and_every_metric(tmp_path):
    names = [f"d{i}" for i in range(6)]
    rng = np.random.default_rng(0)
    for metric in ("centroid_cosine", "jaccard"):
        m = rng.random((6, 6))
        m = (m + m.T) / 2
        np.fill_diagonal(m, 1)
        if metric == "jaccard":
            m[0, 1] = m[1, 0] = math.nan
        write_matrix(tmp_path / f"matrix_{metric}.csv", names, m)
    pl.DataFrame(
        {"dataset": names, "community": [0, 0, 0, 1, 1, 1], "community_label": ["a"] * 3 + ["b"] * 3}
    ).write_csv(tmp_path / "communities.csv")
    whole = graph_payload(tmp_path, tmp_path / "models", names)
    assert len(whole["edges"]) == 15 and whole["edges_top_k"] is None
    assert whole["default_metric"] == "centroid_cosine" and set(whole["metrics"]) == {"centroid_cosine", "jaccard"}
    first = next(e for e in whole["edges"] if (e["source"], e["target"]) == ("d0", "d1"))
    assert first["metrics"]["jaccard"] is None  # a missing value is null, not NaN (which JSON lacks)
    assert [n["community"] for n in whole["nodes"]] == [0, 0, 0, 1, 1, 1]
    assert all(n["adapter"] is None and math.isfinite(n["x"]) for n in whole["nodes"])
    top = graph_payload(tmp_path, tmp_path / "models", names, top_k=1)
    assert 3 <= len(top["edges"]) <= 12 and top["edges_top_k"] == 1


def test_no_graph_is_a_clear_error(tmp_path):
    with pytest.raises(GomError, match="no similarity matrices"):
        graph_payload(tmp_path, tmp_path, ["a"])


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    """A tiny random base and two random (not zero) LoRA adapters on it, saved as the workflow saves miniModels."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from gom.lm.base import build_tiny_base

    root = tmp_path_factory.mktemp("serve_engine")
    build_tiny_base(root / "base", vocab_size=300, hidden_size=32, num_layers=1, num_heads=2)
    for seed, name in enumerate(["alpha", "beta"]):
        torch.manual_seed(seed)
        base = AutoModelForCausalLM.from_pretrained(root / "base")
        config = LoraConfig(
            r=4, lora_alpha=16, target_modules="all-linear", init_lora_weights=False, task_type="CAUSAL_LM"
        )
        get_peft_model(base, config).save_pretrained(root / "models" / name)
        write_json(
            root / "models" / name / "gom.json",
            {"dataset": name, "base_model": "base", "prompt": "Q: {text}\nA:"},
        )
    return root


async def answers(engine: Engine, requests: list[tuple[str, str]]) -> list[str]:
    async def one(adapter, prompt):
        ids = engine.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        text = []
        async for piece in engine.generate(adapter, ids, Sampling(12, temperature=0)):
            if not isinstance(piece, Finish):
                text.append(piece)
        return "".join(text)

    return await asyncio.gather(*(one(a, p) for a, p in requests))


def test_a_mixed_adapter_batch_answers_as_each_request_alone(adapters, monkeypatch):
    monkeypatch.chdir(adapters)  # gom.json names the base relative to the working directory
    engine = Engine(adapters / "models", ["alpha", "beta"], device="cpu")
    try:
        requests = [
            ("alpha", "the cat"),
            ("beta", "the cat"),
            (BASE, "the cat"),
            ("beta", "a much longer prompt than the others"),
        ]
        alone = [asyncio.run(answers(engine, [r]))[0] for r in requests]
        assert engine.largest_batch == 1
        together = asyncio.run(answers(engine, requests))
        assert engine.largest_batch > 1
        assert together == alone
        assert len({alone[0], alone[1], alone[2]}) == 3  # each adapter (and the base) answers its own way
    finally:
        engine.close()


def test_adapters_of_different_bases_are_refused(adapters, tmp_path, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)

    shutil.copytree(adapters / "models", tmp_path / "models")
    write_json(tmp_path / "models" / "beta" / "gom.json", {"dataset": "beta", "base_model": "other"})
    with pytest.raises(GomError, match="one base model: miniModel 'alpha' was trained on"):
        Engine(tmp_path / "models", ["alpha", "beta"], device="cpu")


class FakeRouter:
    """Routes like the real one, but cannot take a query holding 'poison'."""

    class index:  # noqa: N801 (the attribute the batcher reads)
        names = ["a", "b"]

    def route(self, queries, top_k=3):
        if any("poison" in q for q in queries):
            raise ValueError("cannot embed this")
        return [
            {"query": q, "choice": "a", "ranking": [{"model": "a", "score": 1.0}, {"model": "b", "score": 0.5}]}
            for q in queries
        ]


def test_one_query_the_router_cannot_take_fails_alone():
    from gom.serve.routing import RouteBatcher

    async def run():
        batcher = RouteBatcher(FakeRouter())
        batcher.start()
        try:
            return await asyncio.gather(
                *(batcher.route(q, 1) for q in ["x", "poison", "y", "z"]), return_exceptions=True
            )
        finally:
            await batcher.stop()

    x, poison, y, z = asyncio.run(run())
    assert isinstance(poison, ValueError)
    assert x["query"] == "x" and z["query"] == "z" and len(y["ranking"]) == 1


def upstream_with(handler):
    import httpx

    from gom.serve.upstream import Upstream

    up = Upstream("http://upstream.test", count=lambda text: len(text.split()))
    up.client = httpx.AsyncClient(base_url=up.url, transport=httpx.MockTransport(handler))
    return up


def drain(up):
    async def run():
        out = []
        async for piece in up.generate("a", "Q: hi", 3, Sampling(8, 0.0)):
            out.append(piece)
        await up.close()
        return out

    return asyncio.run(run())


def sse(*chunks) -> bytes:
    import json

    return "".join(f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks).encode()


def test_upstream_stream_is_relayed_and_its_failures_are_named():
    import httpx

    from gom.serve.schemas import OpenAIError

    piece = {"choices": [{"text": "two words", "finish_reason": None}]}
    done = {"choices": [{"text": "", "finish_reason": "length"}]}
    out = drain(upstream_with(lambda r: httpx.Response(200, content=sse(piece, done, "[DONE]"))))
    assert out[:-1] == ["two words"] and out[-1] == Finish("length", 3, 2)  # tokens counted here: no usage sent

    cut = upstream_with(lambda r: httpx.Response(200, content=sse(piece)))  # no finish_reason, no [DONE]
    with pytest.raises(OpenAIError, match="without finishing it") as e:
        drain(cut)
    assert e.value.status == 502
    refused = upstream_with(lambda r: httpx.Response(400, json={"error": {"message": "too long"}}))
    with pytest.raises(OpenAIError, match="answered 400: too long") as e:
        drain(refused)
    assert e.value.status == 400  # the request's fault stays a 4xx
    garbled = upstream_with(lambda r: httpx.Response(200, content=sse("[1, 2]")))
    with pytest.raises(OpenAIError, match="not OpenAI's") as e:
        drain(garbled)
    assert e.value.status == 502


def test_incremental_decoding_gives_the_whole_decode(adapters):
    from transformers import AutoTokenizer

    from gom.serve.engine import Detokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapters / "base")
    rng = np.random.default_rng(0)
    for _ in range(20):
        ids = [int(i) for i in rng.integers(0, len(tokenizer), size=40)]
        d = Detokenizer(tokenizer)
        for i in ids:
            d.add(i)
        assert d.value(final=True) == tokenizer.decode(ids, skip_special_tokens=True)
