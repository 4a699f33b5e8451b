"""A screenshot of the page `gom serve` serves, after a routed question has been answered, for the docs.

Starts `gom serve` in a working directory where the workflow has run, opens the page in
Debian's headless Chromium (Playwright), asks the question, waits for the streamed answer and
saves the page, then prints the answer.

    python benchmarks/page_screenshot.py --workdir . --out docs/serve_page.png \
        --question "gin, tonic water, lime"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gom.serve.process import ServerProcess  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=".")
    parser.add_argument("--out", required=True)
    parser.add_argument("--question", default="gin, tonic water, lime")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as logs,
        ServerProcess(Path(args.workdir).resolve(), "--log-level", "warning", log=Path(logs) / "serve.log") as server,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server.url + "/")
        page.wait_for_function("document.body.dataset.state === 'ready'", timeout=60_000)
        page.fill("#ask-input", args.question)
        page.click("#ask-button")
        page.wait_for_function("['answered', 'error'].includes(document.body.dataset.state)", timeout=300_000)
        page.screenshot(path=args.out, full_page=True)
        print(page.inner_text("#answered-by"), "|", page.inner_text("#answer"))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
