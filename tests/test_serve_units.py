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
from gom.serve.engine import BASE, Engine, Finish, Sampling, _pick
from gom.serve.graph import graph_payload
from gom.serve.schemas import location
from gom.serve.stream_text import StopText


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


def test_composed_adapters_answer_alike_in_the_engine_and_in_gom_ask(adapters, monkeypatch):
    """Two miniModels composed: the exact weighted sum of their updates (weight 0 leaves the other
    alone), the same greedy answer in a mixed batch, alone and through MiniModel, the least
    recently used mix dropped past MAX_MIXES."""
    import gom.serve.engine
    from gom.lm.generate import MiniModel
    from gom.lm.loading import compose_adapters

    monkeypatch.chdir(adapters)
    engine = Engine(adapters / "models", ["alpha", "beta"], device="cpu")
    try:
        ids = engine.tokenizer("the cat", add_special_tokens=False)["input_ids"]
        x = torch.tensor([ids])
        with torch.inference_mode():
            alpha = engine.model(input_ids=x, adapter_names=["alpha"]).logits
            only_alpha = compose_adapters(engine.model, ["alpha", "beta"], [1.0, 0.0])
            composed = engine.model(input_ids=x, adapter_names=[only_alpha]).logits
        assert torch.allclose(alpha, composed, atol=1e-5)
        engine.model.delete_adapter(only_alpha)

        half = (("alpha", 0.5), ("beta", 0.5))

        async def one(mix, adapter="alpha"):
            text = []
            async for piece in engine.generate(adapter, ids, Sampling(12, temperature=0), mix=mix):
                if not isinstance(piece, Finish):
                    text.append(piece)
            return "".join(text)

        async def together():
            return await asyncio.gather(one(half), one(None), one(None, "beta"))

        alone = asyncio.run(one(half))
        assert alone not in (asyncio.run(one(None)), asyncio.run(one(None, "beta")))
        mixed, plain_alpha, plain_beta = asyncio.run(together())
        assert mixed == alone and engine.largest_batch == 3

        async def with_a_bad_mix():  # a mix that cannot be made fails alone, not its batch
            return await asyncio.gather(one((("alpha", 0.5), ("gamma", 0.5))), one(None), return_exceptions=True)

        bad, fine = asyncio.run(with_a_bad_mix())
        assert isinstance(bad, GomError) and "alpha, gamma cannot be composed" in str(bad), bad
        assert fine == plain_alpha
        monkeypatch.setattr(gom.serve.engine, "MAX_MIXES", 1)
        asyncio.run(one((("alpha", 0.7), ("beta", 0.3))))
        assert list(engine.mixes) == [(("alpha", 0.7), ("beta", 0.3))]
        assert "mix_alphax5_betax5" not in engine.model.peft_config  # dropped, not kept forever
    finally:
        engine.close()
    from transformers import AutoTokenizer

    dirs = [adapters / "models" / "alpha", adapters / "models" / "beta"]
    AutoTokenizer.from_pretrained(adapters / "base").save_pretrained(dirs[0])  # as the workflow saves it
    mini = MiniModel(dirs[0], device="cpu", mix=[(dirs[0], 0.5), (dirs[1], 0.5)])
    assert mini.generate("the cat", max_new_tokens=12, raw=True) == alone.strip()
    # the answers job: each adapter and the composed pair in turn on one base, only those in use kept
    from gom.lm.loading import load_base
    from gom.routing.answers import BASE as PLAIN
    from gom.routing.answers import _generate_all

    model, tokenizer = load_base("base")
    jobs = {PLAIN: {0: "the cat"}, "beta": {0: "the cat"}, half: {0: "the cat"}, "alpha": {0: "the cat"}}
    dirs = {"alpha": dirs[0], "beta": dirs[1]}
    got = _generate_all(model, tokenizer, jobs, dirs, 12, "cpu")
    assert got[half][0] == alone.strip() and got["beta"][0] != got[half][0] != got["alpha"][0]


def test_the_server_composes_what_the_router_names_and_says_so(adapters, monkeypatch):
    """A routed request whose route names a mix is answered by the composed adapters (as the
    engine answers that mix alone); the reply's gom.mix and the x-gom-mix header say so."""
    from fastapi.testclient import TestClient

    from gom.lm.generate import read_info
    from gom.serve.app import Service, create_app

    monkeypatch.chdir(adapters)
    half = [{"model": "alpha", "weight": 0.5}, {"model": "beta", "weight": 0.5}]

    class Routes:
        largest_batch = 0

        def start(self):
            pass

        async def stop(self):
            pass

        async def route(self, query, top_k=3):
            return {
                "query": query,
                "choice": "alpha",
                "abstained": False,
                "in_domain_score": 0.9,
                "threshold": None,
                "ranking": [{"model": "alpha", "score": 0.45}],
                "mix": half if "unsure" in query else None,
            }

    engine = Engine(adapters / "models", ["alpha", "beta"], device="cpu")
    infos = {n: read_info(adapters / "models" / n) for n in ("alpha", "beta")}
    service = Service(Routes(), infos, engine.tokenizer, engine.context, {}, engine=engine)
    body = {"model": "auto", "max_tokens": 10, "temperature": 0}
    with TestClient(create_app(service)) as client:
        unsure = client.post("/v1/completions", json={**body, "prompt": "an unsure cat"})
        sure = client.post("/v1/completions", json={**body, "prompt": "a sure cat"})
        named = client.post("/v1/completions", json={**body, "model": "alpha", "prompt": "an unsure cat"})
        ids = engine.tokenizer("Q: an unsure cat\nA:", add_special_tokens=False)["input_ids"]

        async def alone():
            pieces = engine.generate("alpha", ids, Sampling(10, temperature=0), mix=(("alpha", 0.5), ("beta", 0.5)))
            return "".join([p async for p in pieces if not isinstance(p, Finish)])

        expected = asyncio.run(alone())
    assert unsure.status_code == 200, unsure.text
    assert unsure.json()["gom"]["mix"] == half and unsure.headers["x-gom-mix"] == "alpha=0.5,beta=0.5"
    assert unsure.json()["choices"][0]["text"] == expected
    assert sure.json()["gom"]["mix"] is None and "x-gom-mix" not in sure.headers
    assert named.json()["gom"]["mix"] is None and named.json()["choices"][0]["text"] != expected


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

    from gom.serve.stream_text import Detokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapters / "base")
    rng = np.random.default_rng(0)
    for _ in range(20):
        ids = [int(i) for i in rng.integers(0, len(tokenizer), size=40)]
        d = Detokenizer(tokenizer)
        for i in ids:
            d.add(i)
        assert d.value(final=True) == tokenizer.decode(ids, skip_special_tokens=True)
