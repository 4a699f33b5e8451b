"""Prompt/response templates over a dataset's columns, with a deliberately small language.

Only ``{column}`` placeholders (and ``{{``/``}}`` for literal braces) are allowed: no
attribute or index access, conversions or format specs, so a config cannot reach into
Python objects the way ``str.format`` would let it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from gom.errors import GomError

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ -]*$")


def fields(template: str, where: str) -> list[str]:
    """The column names a template uses; GomError for anything but plain ``{name}`` fields."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise GomError(
            f"{where}: template {template!r} is malformed ({e}); write literal braces as {{{{ and }}}}"
        ) from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or not _PLAIN.match(name) or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise GomError(
                f"{where}: template field {shown} is not allowed; use plain column names like {{text}} "
                "(no attribute or index access, conversions or format specs)"
            )
        names.append(name)
    return names


def render(template: str, row: Mapping) -> str:
    """Fill a checked template from one row; None becomes the empty string."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            value = row[name]
            out.append("" if value is None else str(value))
    return "".join(out)
