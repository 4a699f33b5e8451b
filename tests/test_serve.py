"""`gom serve` as users run it: a real server process on a localhost port, after the real
sample workflow, called by the official `openai` client, raw HTTP and a second server upstream."""

import json
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import start_server

from gom.serve.process import ServerProcess

pytestmark = pytest.mark.slow
openai = pytest.importorskip("openai")

COCKTAIL = "white rum, fresh lime juice, mint leaves, sugar syrup, soda water"


def client(server: ServerProcess, key: str = "none"):
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=120)


def names(server: ServerProcess) -> list[str]:
    return [n["id"] for n in httpx.get(f"{server.url}/v1/graph", timeout=30).json()["nodes"]]


def test_models_route_and_graph(gom_server):
    ids = [m.id for m in client(gom_server).models.list().data]
    datasets = names(gom_server)
    assert ids == ["auto", "base", *datasets] and len(datasets) == 3

    # /v1/route answers exactly what `gom route --json` prints
    routed = httpx.post(f"{gom_server.url}/v1/route", json={"query": COCKTAIL, "top_k": 2}, timeout=30).json()
    cli = subprocess.run(
        [sys.executable, "-m", "gom.cli", "route", "--json", "--top-k", "2", COCKTAIL],
        cwd=gom_server.workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    assert routed == json.loads(cli.stdout)
    assert routed["choice"] == "cocktails" and len(routed["ranking"]) == 2

    graph = httpx.get(f"{gom_server.url}/v1/graph", timeout=30).json()
    assert {"centroid_cosine", "mean_cosine", "jaccard", "tfidf_cosine"} <= set(graph["metrics"])
    assert len(graph["edges"]) == 3  # every pair of three datasets
    for edge in graph["edges"]:
        assert set(edge["metrics"]) == set(graph["metrics"])
    for node in graph["nodes"]:
        assert node["rows"] > 0 and node["adapter"]["rank"] > 0
        assert node["adapter"]["eval_loss"] < node["adapter"]["base_eval_loss"]


def test_openai_client_routed_by_name_and_streamed(gom_server):
    api = client(gom_server)
    raw = api.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=24, temperature=0
    )
    routed = raw.parse()
    assert raw.headers["x-gom-model"] == "cocktails" == routed.model
    assert routed.gom["routed"] and routed.gom["model"] == "cocktails" and routed.gom["score"] is not None
    assert float(raw.headers["x-gom-score"]) == pytest.approx(routed.gom["score"], abs=1e-5)
    assert routed.choices[0].message.content and routed.choices[0].finish_reason in ("stop", "length")
    assert routed.usage.completion_tokens <= 24

    # the same adapter asked by name answers the same (greedy) text; the base answers differently
    named = api.chat.completions.create(
        model="cocktails", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=24, temperature=0
    )
    assert named.choices[0].message.content == routed.choices[0].message.content
    assert named.gom["routed"] is False and named.model == "cocktails"
    base = api.chat.completions.create(
        model="base", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=24, temperature=0
    )
    assert base.model == "base" and base.choices[0].message.content != named.choices[0].message.content

    # streamed: the pieces add up to the whole answer, and the stream says who answered
    chunks = list(
        api.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=24, temperature=0, stream=True
        )
    )
    assert {c.model for c in chunks} == {"cocktails"}
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == routed.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == routed.choices[0].finish_reason

    # the completions endpoint uses the dataset's template too: the same answer as the chat
    text = api.completions.create(model="cocktails", prompt=COCKTAIL, max_tokens=24, temperature=0)
    assert text.choices[0].text == named.choices[0].message.content
    stop = named.choices[0].message.content.strip()[3:6]
    if stop:
        cut = api.completions.create(model="cocktails", prompt=COCKTAIL, max_tokens=24, temperature=0, stop=[stop])
        assert stop not in cut.choices[0].text and cut.choices[0].finish_reason == "stop"


def test_concurrent_requests_on_different_adapters_are_batched(gom_server):
    datasets = names(gom_server)
    api = client(gom_server)

    def ask(i, out):
        out[i] = api.completions.create(model=datasets[i % 3], prompt=f"question {i}", max_tokens=16, temperature=0)

    alone = [None] * 3
    for i in range(3):
        ask(i, alone)
    together = [None] * 12
    threads = [threading.Thread(target=ask, args=(i, together)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(together), "a concurrent request failed"
    for i in range(3):  # the same prompt answers the same in a mixed batch as alone
        assert together[i].choices[0].text == alone[i].choices[0].text
    health = httpx.get(f"{gom_server.url}/health", timeout=10).json()
    assert health["largest_batch"]["generate"] > 1


CHAT = "/v1/chat/completions"


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


TEXT = "/v1/completions"
ROUTE = "/v1/route"


def ask(**fields) -> dict:
    return {"model": "auto", "prompt": "hi", **fields}


BAD = [
    # (what is wrong, path, body or raw bytes, expected status, words the message must hold)
    ("malformed JSON", CHAT, b'{"model": "auto", "messages": [', 400, "not valid JSON"),
    ("empty body", CHAT, b"", 400, "the request body is empty: send a JSON object"),
    (
        "latin-1 body",
        CHAT,
        '{"model": "auto", "messages": [{"role": "user", "content": "café"}]}'.encode("latin-1"),
        400,
        "not UTF-8 (byte 0xe9",
    ),
    (
        "NaN temperature",
        CHAT,
        b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "temperature": NaN}',
        400,
        "finite number",
    ),
    (
        "Infinity top_p",
        CHAT,
        b'{"model": "auto", "messages": [{"role": "user", "content": "x"}], "top_p": Infinity}',
        400,
        "finite number",
    ),
    ("not an object", CHAT, b"[1, 2]", 400, "valid dictionary"),
    ("messages missing", CHAT, {"model": "auto"}, 400, "'messages' is required"),
    ("empty messages", CHAT, {"model": "auto", "messages": []}, 400, "messages"),
    ("empty content", CHAT, {"model": "auto", "messages": user(" ")}, 400, "empty"),
    (
        "last message not the user's",
        CHAT,
        {"model": "auto", "messages": [{"role": "assistant", "content": "x"}]},
        400,
        "user",
    ),
    ("bad role", CHAT, {"model": "auto", "messages": [{"role": "wizard", "content": "hi"}]}, 400, "role"),
    ("lone surrogate", CHAT, {"model": "auto", "messages": user("\ud800 x")}, 400, "lone surrogate"),
    ("max_tokens a string", TEXT, ask(max_tokens="12"), 400, "max_tokens"),
    ("max_tokens zero", TEXT, ask(max_tokens=0), 400, "max_tokens"),
    ("max_tokens too many", TEXT, ask(max_tokens=10**6), 400, "context"),
    ("temperature out of range", TEXT, ask(temperature=7), 400, "temperature"),
    ("stream not a bool", TEXT, ask(stream="yes"), 400, "stream"),
    ("unknown field", TEXT, ask(best_of=2), 400, "unknown field 'best_of'"),
    ("echo", TEXT, ask(echo=True), 400, "unknown field 'echo'"),
    ("a setting gom lacks", TEXT, ask(frequency_penalty=1), 400, "does not support"),
    ("seed beyond 64 bits", TEXT, ask(seed=2**70), 400, "seed"),
    ("stream_options alone", TEXT, ask(stream_options={}), 400, "stream"),
    ("two prompts", TEXT, ask(prompt=["a", "b"]), 400, "one per request"),
    ("five stops", TEXT, ask(stop=list("abcde")), 400, "stop"),
    ("a path as model", TEXT, ask(model="../../etc/passwd"), 404, "available: auto, base"),
    ("unknown model", CHAT, {"model": "gpt-4", "messages": user("hi")}, 404, "available: auto, base"),
    ("prompt over the context", TEXT, ask(model="base", prompt="tomato basil " * 4000), 400, "at most 4096 tokens"),
    ("empty query", ROUTE, {"query": ""}, 400, "empty"),
    ("lone surrogate query", ROUTE, {"query": "\udfff"}, 400, "lone surrogate"),
    ("top_k zero", ROUTE, {"query": "x", "top_k": 0}, 400, "top_k"),
    ("body too large", ROUTE, {"query": "x" * (2 << 20)}, 413, "at most"),
    ("no such endpoint", "/v1/embeddings", {"input": "x"}, 404, "no such endpoint"),
]


def test_a_burst_of_bad_requests_gets_clear_errors_and_the_server_keeps_serving(gom_server):
    with httpx.Client(base_url=gom_server.url, timeout=60) as http:
        for what, path, body, status, words in BAD:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()  # "\ud800" stays escaped
            r = http.post(path, content=data, headers={"content-type": "application/json"})
            assert r.status_code == status, (what, r.status_code, r.text[:300])
            error = r.json()["error"]
            assert words in error["message"], (what, error)
            assert error["type"] == "invalid_request_error", (what, error)
        assert http.get("/v1/chat/completions").status_code == 405
        body = json.dumps({"model": "auto", "messages": user(COCKTAIL)})
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            r = http.post(CHAT, content=body, headers={"content-type": content_type})
            assert r.status_code == 400 and f"sent as Content-Type {content_type}" in r.json()["error"]["message"]
        graph = http.get("/v1/graph", headers={"accept-encoding": "gzip;q=0"})
        assert "content-encoding" not in graph.headers and graph.json()["nodes"]
        chunked = http.post("/v1/route", content=(b"x" * 65536 for _ in range(20)))  # no length declared
        assert chunked.status_code == 413 and "at most" in chunked.json()["error"]["message"]
    good = client(gom_server).chat.completions.create(
        model="auto", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=8, temperature=0
    )
    assert good.model == "cocktails" and good.choices[0].message.content
    assert "Traceback" not in gom_server.output()


def test_edge_values_are_answered_not_refused(gom_server):
    """Values at the edges of what is valid, and neutral values of settings gom lacks, get answers."""
    api = client(gom_server)
    cases = [
        {"temperature": 1e-300},
        {"top_p": 1e-300},
        {"seed": 2**63 - 1},
        {"temperature": None, "top_p": None, "n": None, "presence_penalty": 0, "frequency_penalty": 0},
        {"logprobs": False, "logit_bias": {}},
    ]
    for extra in cases:
        reply = api.chat.completions.create(model="cocktails", messages=user(COCKTAIL), max_tokens=4, **extra)
        assert reply.choices[0].finish_reason in ("stop", "length"), extra
    # earlier turns may carry what chat tools send (tool calls); the last user message is the question
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    history = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "42", "tool_call_id": "c1"},
        {"role": "user", "content": [{"type": "text", "text": COCKTAIL}]},
    ]
    reply = api.chat.completions.create(model="auto", messages=history, max_tokens=4, temperature=0)
    assert reply.model == "cocktails"


def test_a_client_that_goes_away_stops_its_answer(gom_server):
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{gom_server.url}{TEXT}", json=ask(model="base", max_tokens=4000, temperature=1), timeout=1.0)
    deadline = time.monotonic() + 60
    while "a client went away" not in gom_server.output() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "of at most 4000 tokens" in gom_server.output()


def test_api_key_upstream_and_graceful_shutdown(gom_server):
    key = "s3cret-key"
    guarded = start_server(gom_server.workdir, "--upstream", gom_server.url, env={"GOM_API_KEY": key})
    try:
        assert httpx.get(f"{guarded.url}/health").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": key}):
            r = httpx.get(f"{guarded.url}/v1/models", headers=headers)
            assert r.status_code == 401 and "Bearer" in r.json()["error"]["message"]
        with pytest.raises(openai.AuthenticationError):
            client(guarded, "wrong").models.list()
        assert httpx.get(f"{guarded.url}/v1/models", headers={"Authorization": f"bearer {key}"}).status_code == 200
        assert httpx.get(f"{guarded.url}/openapi.json").status_code == 404  # no schema behind the key's back

        # generation forwarded upstream: routed, templated and answered as the upstream answers it directly
        api = client(guarded, key)
        via = api.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=24, temperature=0
        )
        direct = client(gom_server).chat.completions.create(
            model="cocktails", messages=[{"role": "user", "content": COCKTAIL}], max_tokens=24, temperature=0
        )
        assert via.model == "cocktails" and via.gom["routed"]
        assert via.choices[0].message.content == direct.choices[0].message.content
        streamed = api.completions.create(model="cocktails", prompt=COCKTAIL, max_tokens=24, temperature=0, stream=True)
        assert "".join(c.choices[0].text for c in streamed) == direct.choices[0].message.content

        # SIGTERM while an answer streams: the answer is finished, then the server exits cleanly
        stream = api.chat.completions.create(
            model="base", messages=[{"role": "user", "content": "tell me everything"}], max_tokens=300, stream=True
        )
        pieces = iter(stream)
        first = next(pieces)
        guarded.proc.send_signal(signal.SIGTERM)
        rest = list(pieces)
        assert rest and rest[-1].choices[0].finish_reason in ("stop", "length"), first
        # uvicorn re-raises the signal once it has shut down, so the exit status is SIGTERM's, not a crash
        assert guarded.proc.wait(timeout=60) in (0, -signal.SIGTERM)
        assert "Traceback" not in guarded.output() and "Finished server process" in guarded.output()
    finally:
        guarded.stop()


def test_an_unreachable_upstream_is_a_clear_502(gom_server):
    dead = start_server(gom_server.workdir, "--upstream", "http://127.0.0.1:9")
    try:
        r = httpx.post(f"{dead.url}/v1/completions", json={"model": "cocktails", "prompt": "hi"}, timeout=30)
        assert r.status_code == 502 and "could not be reached" in r.json()["error"]["message"]
        time.sleep(0.1)
        assert httpx.get(f"{dead.url}/health").status_code == 200
    finally:
        dead.stop()
