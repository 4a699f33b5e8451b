"""The page that `gom serve` serves at /, driven in a real (headless) Chromium with Playwright."""

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# A question per sample dataset whose right miniModel is plain (taken from datasets/raw).
QUESTIONS = {
    "cocktails": "How do I make a cocktail with london dry gin, lime juice, lavender syrup and elderflower tonic?",
    "nutrition": "Nutrition facts for dried apples: how many calories, grams of protein and sugar per 100 g?",
    "recipes": "Ingredients: strawberries, kiwis, mango, fresh mint, lime juice, honey. How do I make the fruit salad?",
}


def chromium() -> str | None:
    path = "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else shutil.which("chromium")


def api(server, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def dataset_names(workdir: Path) -> list[str]:
    config = workdir / "config.yaml"
    return list(yaml.safe_load((config if config.exists() else REPO / "config.yaml").read_text())["datasets"])


def wait_state(page, states: tuple[str, ...], timeout_ms: int) -> str:
    page.wait_for_function(f"{json.dumps(list(states))}.includes(document.body.dataset.state)", timeout=timeout_ms)
    return page.evaluate("document.body.dataset.state")


@pytest.mark.slow
def test_page(gom_server, tmp_path):
    browser_path = chromium()
    if browser_path is None:
        pytest.skip("no Chromium at /usr/bin/chromium or on PATH")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

    graph = api(gom_server, "/v1/graph")
    rows = {n["id"]: n["rows"] for n in graph["nodes"]}
    names = [name for name in dataset_names(gom_server.workdir) if name in rows] or sorted(rows)
    asked = next((name for name in QUESTIONS if name in names), names[0])
    question = QUESTIONS.get(asked, f"Tell me about {asked}.")

    problems = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.goto(gom_server.url + "/")

            # the graph: every dataset is a node
            assert wait_state(page, ("ready", "error"), 30_000) == "ready", page.inner_text("#status")
            drawn = page.eval_on_selector_all("#graph .node", "els => els.map(e => e.dataset.id)")
            assert sorted(drawn) == sorted(rows)
            metrics = page.eval_on_selector_all("#metric option", "els => els.map(e => e.value)")
            assert metrics == graph["metrics"]
            for metric in metrics:  # every metric draws without an error
                page.select_option("#metric", metric)
            page.select_option("#metric", graph["default_metric"])

            # search (case-insensitive) selects a node and fills the panel
            found = names[-1]
            page.fill("#search", found.upper())
            page.press("#search", "Enter")
            assert page.inner_text("#panel-name") == found
            assert page.inner_text("#panel-rows") == f"{rows[found]:,}"
            assert page.get_attribute(f'#graph .node[data-id="{found}"]', "class").split().count("selected") == 1

            # clicking another node selects it
            clicked = names[0]
            page.click(f'#graph .node[data-id="{clicked}"]', force=True)
            assert page.inner_text("#panel-name") == clicked

            # ask: the ranking, then the streamed answer
            route = api(gom_server, "/v1/route", {"query": question, "top_k": 3})
            page.fill("#ask-input", question)
            page.click("#ask-button")
            state = wait_state(page, ("answered", "error"), 180_000)
            assert state == "answered", page.inner_text("#answer-meta")
            ranking = page.inner_text("#ranking")
            assert route["choice"] == asked  # the sample domains are far apart: the router gets this right
            assert page.inner_text("#ranking li.chosen button") == asked
            assert "routed" in page.get_attribute(f'#graph .node[data-id="{asked}"]', "class")
            for model in route["ranking"]:
                assert model["model"] in ranking
            assert page.inner_text("#answer").strip()
            assert page.get_attribute("#answered-by", "data-model") == asked
            assert asked in page.inner_text("#answered-by")

            # an answer the top two miniModels gave together (an unsure router, composing kept): the
            # server's reply is planted here (tests/test_serve_units.py checks the server's side)
            other = next(n for n in names if n != asked)
            mix = [{"model": asked, "weight": 0.6}, {"model": other, "weight": 0.4}]
            gom = {
                "model": asked,
                "score": -0.7,
                "in_domain_score": 0.8,
                "abstained": False,
                "routed": True,
                "mix": mix,
            }
            chunks = [
                {
                    "object": "chat.completion.chunk",
                    "model": asked,
                    "gom": gom,
                    "choices": [{"index": 0, "delta": {"content": "Composed."}, "finish_reason": None}],
                },
                {
                    "object": "chat.completion.chunk",
                    "model": asked,
                    "gom": gom,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                },
            ]
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            page.route(
                "**/v1/chat/completions",
                lambda r: r.fulfill(
                    status=200, headers={"content-type": "text/event-stream", "x-gom-model": asked}, body=sse
                ),
            )
            page.fill("#ask-input", question + " ")
            page.click("#ask-button")
            page.wait_for_function("document.querySelector('#answer').innerText.includes('Composed.')", timeout=60_000)
            assert wait_state(page, ("answered", "error"), 60_000) == "answered", page.inner_text("#answer-meta")
            said = page.inner_text("#answered-by")
            assert f"composed with {other} (weight 0.4)" in said and f"(weight 0.6 on {asked})" in said, said
            page.unroute("**/v1/chat/completions")

            shot = tmp_path / "gom-page.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("GOM_SCREENSHOT_DIR"):
                target = Path(os.environ["GOM_SCREENSHOT_DIR"])
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, target / shot.name)
        finally:
            browser.close()
    assert problems == []
