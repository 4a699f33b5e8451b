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


def require_columns(columns, wanted, where: str, named_by: str) -> None:
    """GomError when ``where`` (whose columns are ``columns``) lacks a column that ``named_by`` names.

    The one phrasing of a missing column, wherever a config key or template names one."""
    missing = [c for c in dict.fromkeys(wanted) if c not in columns]
    if missing:
        raise GomError(
            f"{where} has no column(s) {', '.join(map(repr, missing))} (named by {named_by}); "
            f"its columns: {', '.join(columns)}"
        )
