"""What the `gom` command reads from its user: argument values and the query (an argument,
standard input or a file), checked before anything is loaded."""

from __future__ import annotations

import argparse
import math
import sys

from gom.errors import GomError
from gom.limits import MAX_TEXT_BYTES


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1 to 65535 (the operating system would wrap 70000 to 4464)."""
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port from 1 to 65535, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number of at least 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text}")
    return value


def decode(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text; a GomError naming the first byte that is not, never a dropped byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # editors' UTF-8 mark is not part of the question
    except UnicodeDecodeError as e:
        raise GomError(
            f"{source} is not valid UTF-8 (byte 0x{data[e.start]:02x} at byte offset {e.start}): "
            "gom reads text as UTF-8; convert it first, e.g. with `iconv -f latin1 -t utf-8`"
        ) from None


def checked_text(text: str, source: str) -> str:
    """``text`` if it is proper Unicode; argv bytes that are not UTF-8 arrive as lone surrogates."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        raise GomError(
            f"{source} holds a lone surrogate (U+{ord(text[e.start]):04X}) at character {e.start}, which is not text: give it as UTF-8"
        ) from None
    return decode(raw, source)


def _query_text(query: str | None, file: str | None) -> tuple[str, str]:
    """(text, where it came from) of the query: the argument, standard input (``-``) or ``--file``."""
    if query is not None and file is not None:
        raise GomError("give the query either as an argument or with --file, not both")
    if file is not None:
        source = f"the query file {file}"
        try:
            with open(file, "rb") as f:
                return decode(_bounded(f.read(MAX_TEXT_BYTES + 1), source), source), source
        except OSError as e:
            raise GomError(f"cannot read {source}: {e.strerror}") from None
    if query == "-":
        source, stdin = "the query read from standard input", sys.stdin
        if stdin is None or stdin.closed:
            raise GomError("'-' reads the query from standard input, which is closed: pipe the question in")
        if hasattr(stdin, "buffer"):
            return decode(_bounded(stdin.buffer.read(MAX_TEXT_BYTES + 1), source), source), source
        return checked_text(_bounded(stdin.read(MAX_TEXT_BYTES + 1), source), source), source
    if query is None:
        raise GomError("no query: give it as an argument, '-' to read it from standard input, or --file PATH")
    return checked_text(_bounded(query, "the query"), "the query"), "the query"


def _bounded(data, source: str):
    """``data`` (bytes or text) if it is at most MAX_TEXT_BYTES long, as gom serve accepts."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_TEXT_BYTES:
        raise GomError(
            f"{source} is over {MAX_TEXT_BYTES} bytes; gom accepts a question of at most {MAX_TEXT_BYTES} bytes "
            "(as gom serve does)"
        )
    return data


def read_query(query: str | None, file: str | None) -> str:
    """The query, checked to be UTF-8 text that is not empty."""
    text, source = _query_text(query, file)
    if file is not None or query == "-":
        text = text.rstrip("\r\n")  # the newline that ends a file or `echo` is not part of the question
    if not text.strip():
        raise GomError(
            f"{source} is empty: give the question as an argument, '-' to read it from standard input, or --file PATH"
        )
    return text
