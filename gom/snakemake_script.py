"""How a rule script runs one stage function: output to the rule's log, bad input as one line.

A ``GomError`` is printed as ``gom: error: <message>`` both to the log and to the terminal
(where Snakemake's own error report follows) and the job exits 1, so Snakemake removes its
outputs. Any other exception is a bug and keeps its full traceback in the log.
"""

from __future__ import annotations

import logging
import sys

from gom.errors import GomError


def run(snakemake, function, **kwargs):
    terminal = sys.stderr
    log = open(snakemake.log[0], "w", buffering=1, encoding="utf-8")
    sys.stderr = log  # progress bars and warnings of the libraries land in the log too
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", force=True)
    try:
        result = function(**kwargs)
    except GomError as error:
        for stream in (log, terminal):
            print(f"gom: error: {error}", file=stream, flush=True)
        sys.exit(1)
    logging.getLogger("gom").info("%s done: %s", function.__name__, _summary(result))
    return result


def _summary(result) -> str:
    return str(result) if isinstance(result, dict) else type(result).__name__
