"""The one exception type users are meant to read."""


class GomError(Exception):
    """Bad input or configuration, with a message naming what is wrong and where.

    Rule scripts print its message as a single line and exit non-zero; anything else that
    escapes is a bug and keeps its traceback.
    """


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's message (libraries' messages run to pages)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else ""
