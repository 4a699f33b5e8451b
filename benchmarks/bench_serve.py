"""Load test of `gom serve` as users run it: a real server process on a localhost port (started
here, in a workflow's working directory) and real HTTP clients. A fixed number of requests is
shared out among 1, 8 and 32 concurrent clients, each sending its next request when the last
is answered; the test stops by itself when every request is answered.

Measured per mode (route-only `POST /v1/route`, and `POST /v1/chat/completions` with
`model: "auto"`, greedy, a fixed answer length): throughput, p50/p95 latency and failures, plus the
largest batch the server formed; `--stream` adds streamed chat completions at 1 and 8 clients
with the time to the first token and the tokens/s the clients received (from the streams'
usage). Queries are rows of the workflow's processed datasets.

    python benchmarks/bench_serve.py --workdir .            # after `snakemake --cores all`
    python benchmarks/bench_serve.py --workdir . --stream-only --max-tokens 64

Several working directories (e.g. the sample run on the real default base and on the tiny one)
are measured one after the other in one run, and their streamed numbers printed side by side:

    python benchmarks/bench_serve.py --workdir real tiny --stream-only --max-tokens 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gom.serve.process import ServerProcess  # noqa: E402

CLIENTS = (1, 8, 32)


def queries(workdir: Path, n: int, seed: int = 0) -> list[str]:
    texts = []
    for path in sorted((workdir / "datasets" / "processed").glob("*.parquet")):
        texts += pl.read_parquet(path, columns=["text"])["text"].to_list()
    random.Random(seed).shuffle(texts)
    return [t[:500] for t in texts[:n]]


def request(mode: str, text: str, max_tokens: int) -> tuple[str, dict]:
    if mode == "route":
        return "/v1/route", {"query": text, "top_k": 3}
    body = {
        "model": "auto",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    if mode == "stream":
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return "/v1/chat/completions", body


async def streamed(http, path: str, body: dict, start: float) -> tuple[bool, float | None, int]:
    """(ok, seconds to the first content piece, completion tokens) of one streamed answer."""
    first, tokens = None, 0
    async with http.stream("POST", path, json=body) as r:
        if r.status_code != 200:
            return False, None, 0
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            if first is None and any(c.get("delta", {}).get("content") for c in chunk.get("choices", [])):
                first = time.perf_counter() - start
    return True, first, tokens


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(url: str, pid: int, mode: str, texts: list[str], clients: int, max_tokens: int) -> dict:
    """Every text sent once, shared out among ``clients`` concurrent clients."""
    latencies, failures, firsts, tokens = [], [], [], []
    shares = [texts[i::clients] for i in range(clients)]

    async def client(share: list[str]) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=600) as http:
            for text in share:
                path, body = request(mode, text, max_tokens)
                start = time.perf_counter()
                try:
                    if mode == "stream":
                        ok, first, n = await streamed(http, path, body, start)
                        r = "stream failed"
                        if first is not None:
                            firsts.append(first)
                        tokens.append(n)
                    else:
                        r = await http.post(path, json=body)
                        ok = r.status_code == 200
                except httpx.HTTPError as e:
                    ok, r = False, e
                latencies.append(time.perf_counter() - start)
                if not ok:
                    failures.append(str(getattr(r, "text", r))[:200])

    start, used, served = time.perf_counter(), time.process_time(), cpu_seconds(pid)
    await asyncio.gather(*(client(s) for s in shares))
    wall = time.perf_counter() - start
    used, served = time.process_time() - used, cpu_seconds(pid) - served
    ms = 1000 * np.array(latencies)
    streaming = (
        {
            "first_token_p50_ms": round(1000 * float(np.percentile(firsts, 50)), 1) if firsts else None,
            "first_token_p95_ms": round(1000 * float(np.percentile(firsts, 95)), 1) if firsts else None,
            "completion_tokens": int(sum(tokens)),
            "tokens_per_s": round(sum(tokens) / wall, 1),
        }
        if mode == "stream"
        else {}
    )
    return {
        "mode": mode,
        "clients": clients,
        "requests": len(texts),
        "failed": len(failures),
        "first_failure": failures[0] if failures else None,
        "seconds": round(wall, 2),
        "requests_per_s": round(len(texts) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "server_cpu_ms_per_request": round(1000 * served / len(texts), 2),
        "client_cpu_ms_per_request": round(1000 * used / len(texts), 2),
        **streaming,
    }


def in_process(workdir: Path, texts: list[str]) -> dict:
    """The ceiling batching can reach: ``Router.route`` in this process (a function timing, no
    HTTP), one query at a time against 32 at once, per query."""
    import contextlib

    from gom.routing.router import Router

    with contextlib.chdir(workdir):
        router = Router()
    router.route(texts[:32])  # warm-up
    start = time.perf_counter()
    for text in texts:
        router.route([text])
    one = (time.perf_counter() - start) / len(texts)
    start = time.perf_counter()
    for i in range(0, len(texts), 32):
        router.route(texts[i : i + 32])
    batched = (time.perf_counter() - start) / len(texts)
    return {
        "one_at_a_time_ms": round(1000 * one, 2),
        "batches_of_32_ms": round(1000 * batched, 2),
        "ratio": round(one / batched, 2),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| mode | clients | requests | failed | req/s | p50 ms | p95 ms | vs 1 client | CPU ms/request: server + clients |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    one = {r["mode"]: r["requests_per_s"] for r in rows if r["clients"] == 1}
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['clients']} | {r['requests']} | {r['failed']} | {r['requests_per_s']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['requests_per_s'] / one[r['mode']]:.2f}x | "
            f"{r['server_cpu_ms_per_request']} + {r['client_cpu_ms_per_request']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", nargs="+", default=["."], help="working directories where the workflow has run")
    parser.add_argument("--route-requests", type=int, default=384)
    parser.add_argument("--generate-requests", type=int, default=96)
    parser.add_argument("--max-tokens", type=int, default=16, help="tokens generated per request")
    parser.add_argument("--stream", action="store_true", help="also stream answers at 1 and 8 clients")
    parser.add_argument("--stream-only", action="store_true", help="only the streamed answers")
    parser.add_argument("--stream-requests", type=int, default=16)
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    results = {}
    for workdir in (Path(w).resolve() for w in args.workdir):
        label = f"{workdir.name} ({base_of(workdir)})"
        print(f"== {label}", flush=True)
        results[label] = measure(workdir, args)
    if len(results) > 1:
        print(side_by_side(results))
    if args.out:
        Path(args.out).write_text(json.dumps(results if len(results) > 1 else results[label], indent=2) + "\n")
    return 1 if any(r["failed"] for result in results.values() for r in result["rows"]) else 0


def base_of(workdir: Path) -> str:
    """The base model the working directory's miniModels were trained on, from their gom.json."""
    for info in sorted((workdir / "models").glob("*/gom.json")):
        return Path(json.loads(info.read_text())["base_model"]).name
    return "no miniModel"


def side_by_side(results: dict) -> str:
    lines = [
        "| workdir (base) | clients | first token p50 / p95 ms | tokens/s received |",
        "|---|---:|---:|---:|",
    ]
    for label, result in results.items():
        for r in result["rows"]:
            if r["mode"] == "stream":
                lines.append(
                    f"| {label} | {r['clients']} | {r['first_token_p50_ms']} / {r['first_token_p95_ms']} | "
                    f"{r['tokens_per_s']} |"
                )
    return "\n".join(lines)


def measure(workdir: Path, args) -> dict:
    texts = queries(workdir, max(args.route_requests, args.generate_requests))
    rows = []
    with (
        tempfile.TemporaryDirectory() as logs,
        ServerProcess(workdir, "--log-level", "warning", log=Path(logs) / "serve.log") as server,
    ):
        health = {}
        modes = [] if args.stream_only else [("route", args.route_requests), ("generate", args.generate_requests)]
        modes += [("stream", args.stream_requests)] if args.stream or args.stream_only else []
        for mode, n in modes:
            asyncio.run(load(server.url, server.proc.pid, mode, texts[:8], 1, args.max_tokens))  # warm-up
            for clients in (1, 8) if mode == "stream" else CLIENTS:
                rows.append(asyncio.run(load(server.url, server.proc.pid, mode, texts[:n], clients, args.max_tokens)))
                print(json.dumps(rows[-1]), flush=True)
        health = httpx.get(f"{server.url}/health").json()
    ceiling = in_process(workdir, texts[: args.route_requests]) if not args.stream_only else {}
    print(table(rows))
    for r in rows:
        if r["mode"] == "stream":
            print(
                f"streamed, {r['clients']} client(s): first token p50 {r['first_token_p50_ms']} ms "
                f"(p95 {r['first_token_p95_ms']}), {r['tokens_per_s']} tokens/s received in all"
            )
    print(f"largest batches the server formed: {health['largest_batch']}")
    if ceiling:
        print(
            f"Router.route in this process, per query: {ceiling['one_at_a_time_ms']} ms one at a time, "
            f"{ceiling['batches_of_32_ms']} ms in batches of 32 ({ceiling['ratio']}x)"
        )
    return {"rows": rows, "health": health, "in_process": ceiling}


if __name__ == "__main__":
    sys.exit(main())
