"""How a rule script runs one stage function: output to the rule's log, every failure as one line.

A ``GomError`` (bad input) is printed as ``gom: error: <message>``; any other exception is a
bug or an environment fault, and is printed as one line naming the rule, its dataset and the
log file, which keeps the full traceback. Either goes to the log and to the terminal (where
Snakemake's own error report follows), and the job exits 1, so Snakemake removes its outputs.
"""

from __future__ import annotations

import logging
import sys
import traceback

from gom.errors import GomError, first_line


def run(snakemake, function, **kwargs):
    terminal = sys.stderr
    log = open(snakemake.log[0], "w", buffering=1, encoding="utf-8")
    sys.stderr = log  # progress bars and warnings of the libraries land in the log too
    logging.basicConfig(stream=log, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", force=True)
    try:
        result = function(**kwargs)
    except GomError as error:
        _fail(str(error), log, terminal)
    except Exception as error:  # not SystemExit: a preempted training job exits with its own code
        traceback.print_exc(file=log)
        _fail(
            f"rule '{snakemake.rule}'{_subject(snakemake.wildcards)} failed unexpectedly "
            f"({type(error).__name__}: {first_line(error)}); the traceback is in {snakemake.log[0]}",
            log,
            terminal,
        )
    logging.getLogger("gom").info("%s done: %s", function.__name__, _summary(result))
    return result


def per_dataset(records, **files) -> dict[str, dict]:
    """One record per dataset: its resolved config record (``params.datasets``) joined with its
    input files, given as lists in the records' order (e.g. ``parquet=snakemake.input.parquets``)."""
    names = list(records)
    for key, values in files.items():
        if len(values) != len(names):
            raise ValueError(f"{key}: {len(values)} file(s) for {len(names)} dataset(s)")
    return {
        name: {**records[name], **{key: str(values[i]) for key, values in files.items()}}
        for i, name in enumerate(names)
    }


def _fail(message: str, *streams) -> None:
    for stream in streams:
        print(f"gom: error: {message}", file=stream, flush=True)
    sys.exit(1)


def _subject(wildcards) -> str:
    """' for dataset 'x'' or ' for a='x', b='y'' from the job's wildcards."""
    items = dict(wildcards.items()) if hasattr(wildcards, "items") else {}
    if list(items) == ["name"]:
        return f" for dataset '{items['name']}'"
    return (" for " + ", ".join(f"{k}='{v}'" for k, v in items.items())) if items else ""


def _summary(result) -> str:
    return str(result) if isinstance(result, dict) else type(result).__name__
