"""The one exception type users are meant to read."""


class GomError(Exception):
    """Bad input or configuration, with a message naming what is wrong and where.

    Rule scripts print its message as a single line and exit non-zero; anything else that
    escapes is a bug and keeps its traceback.
    """
