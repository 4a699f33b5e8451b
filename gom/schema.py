"""The config file and its schema: safe YAML with duplicate keys refused and syntax errors
placed by line and column, and schema violations phrased for a person (the key, what was
expected, the key probably meant).
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from gom.errors import GomError

SCHEMA_PATH = Path(__file__).parent / "schemas" / "config.schema.yaml"


@functools.cache
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def load_schema() -> dict:
    return yaml.safe_load(_schema_text())


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise GomError(
                f"{node.start_mark.name}, line {key_node.start_mark.line + 1}: duplicate key "
                f"'{key}' (first given on line {seen[key] + 1}); each dataset name and config "
                "key may appear only once"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def check_config_file(path: str | Path) -> dict:
    """Parse a config file, refusing duplicate keys and YAML syntax errors with their line."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_StrictLoader) or {}
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = f" ({e.context})" if e.context else ""
        raise GomError(f"{path}{where}: not valid YAML: {e.problem}{context}") from None
    except yaml.YAMLError as e:
        raise GomError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from None
    except UnicodeDecodeError as e:
        raise GomError(
            f"{path}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); save it as UTF-8"
        ) from None
    except IsADirectoryError:
        raise GomError(
            f"{path} is a directory, not a config file: name the YAML file (e.g. {path}/config.yaml)"
        ) from None
    except FileNotFoundError:
        raise GomError(f"{path}: no such config file") from None
    except OSError as e:
        raise GomError(f"{path}: cannot be read ({e.strerror})") from None


def _refuse_non_finite(value, at: tuple) -> None:
    """No number in a config may be NaN or infinite (YAML's .nan and .inf pass every range check)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise GomError(f"{_key(at)}: {value} is not a finite number")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _refuse_non_finite(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refuse_non_finite(v, (*at, i))


def _key(path: Iterable) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


# Keys that moved: the old place gets a message saying where they went.
MOVED = {"eval_fraction": "split.fraction (one split for every stage; a dataset's own split: overrides it)"}


def _schema_error_message(error, prefix: tuple = ()) -> str:
    where = _key((*prefix, *error.absolute_path))
    instance = error.instance
    if "x-message" in error.schema:  # a rule of keys that must fit together says it itself
        return " ".join(error.schema["x-message"].split()).format(instance=instance)
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        moved = [k for k in instance if k in MOVED and k not in error.schema.get("properties", {})]
        if moved:
            return f"config key '{where}.{moved[0]}' has moved to {MOVED[moved[0]]}"
        known = list(error.schema.get("properties", {}))
        extras = [k for k in instance if k not in known]
        parts = []
        for extra in extras:
            close = difflib.get_close_matches(str(extra), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            full = f"{where}.{extra}" if (*prefix, *error.absolute_path) else str(extra)
            parts.append(f"unknown config key '{full}'{hint}")
        return f"{'; '.join(parts)} (known keys here: {', '.join(known)})"
    if error.validator == "required":
        return f"config key '{where}' lacks {error.message.split(' is ')[0]}, which is required"
    if error.validator == "minProperties" and where == "datasets":
        return "config key 'datasets' is empty: list at least one dataset"
    if error.validator == "type" and where == "datasets" and instance is None:
        return "config key 'datasets' is empty: list at least one dataset"
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"config key '{where}' is {instance!r}; it must be one of: {allowed}"
    if error.validator == "type":
        return f"config key '{where}' is {instance!r}; it must be of type {error.validator_value}"
    return f"config key '{where}': {error.message}"


def check_schema(config: Mapping, definition: str | None = None, at: tuple = ()) -> None:
    """Raise GomError for the first schema violation, phrased for a person.

    With ``definition``, check ``config`` against that one ``$defs`` entry only, reporting keys
    under ``at`` (e.g. ``definition="finetune", at=("embedding", "finetune")``).
    """
    _refuse_non_finite(config, tuple(at))
    schema = load_schema()
    if definition is not None:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    errors = sorted(
        Draft202012Validator(schema).iter_errors(config),
        key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))),
    )
    if errors:
        raise GomError(_schema_error_message(errors[0], tuple(at)))
