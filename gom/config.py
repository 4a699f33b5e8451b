"""Configuration: one clear message for every mistake, before any job runs.

``prepare`` is what the Snakefile calls: it checks the config against the schema
(``gom.schema``), checks dataset names and source files, lets ``snakemake.utils.validate``
fill in the schema's defaults, and resolves each dataset once into a record.
"""

from __future__ import annotations

import codecs
import glob
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from gom.errors import GomError
from gom.schema import SCHEMA_PATH, check_config_file, check_schema

# Letters, digits, '_' and '-', beginning and ending with a letter or digit: with '__' refused
# inside names, "a__b" then splits into its two names in exactly one way.
NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?")


MAX_NAME = 100  # two names and the separator stay well inside a file name's 255 bytes


# Names a dataset cannot take, and why: directories under models/ that are not miniModels, and
# the model names `gom serve` gives the router and the plain base.
RESERVED_NAMES = {
    "base": "models/base holds the tiny base, and `gom serve` calls the plain base 'base'",
    "embedder": "models/embedder holds the fine-tuned embedding model",
    "auto": "`gom serve` calls the router 'auto'",
}


FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def load(path: str | Path, base_dir: str | Path | None = None) -> tuple[dict, dict]:
    """Read, check and complete a config file outside Snakemake (CLI, tests).

    Returns the config with defaults filled in and the resolved record of every dataset.
    """
    config = check_config_file(path)
    return config, prepare(config, base_dir=base_dir)


def check_names(names: Iterable) -> None:
    lowered: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            kind = (
                "boolean"
                if isinstance(name, bool)
                else "number"
                if isinstance(name, (int, float))
                else type(name).__name__
            )
            raise GomError(
                f"dataset name {name!r} was read as a {kind}, not as text (YAML reads "
                "e.g. 007 as 7 and yes as true): put the name in quotes in the config file"
            )
        if not NAME_RE.fullmatch(name):
            raise GomError(
                f"dataset name {name!r} is invalid: use letters, digits, '_' and '-' only, beginning "
                "and ending with a letter or digit (it becomes part of file names)"
            )
        if len(name) > MAX_NAME:
            raise GomError(
                f"dataset name '{name[:20]}...' is {len(name)} characters long; use at most {MAX_NAME} (it becomes part of file names)"
            )
        if name.lower() in RESERVED_NAMES:
            raise GomError(f"dataset name '{name}' is reserved ({RESERVED_NAMES[name.lower()]}): rename the dataset")
        other = lowered.setdefault(name.lower(), name)
        if other != name:
            raise GomError(
                f"dataset names '{other}' and '{name}' differ only in case; their files would "
                "collide on case-insensitive file systems: rename one"
            )


def resolve_sources(name: str, dataset: Mapping, base_dir: str | Path | None = None) -> list[dict]:
    """Expand each source's glob into concrete files, each with its format, encoding and renames.

    Paths stay relative to ``base_dir`` (the working directory by default), as written in the config.
    """
    base = Path(base_dir) if base_dir is not None else Path(".")
    resolved = []
    for i, source in enumerate(dataset["sources"]):
        where = f"dataset '{name}', source {i + 1}"
        pattern = source["path"]
        if glob.has_magic(pattern):
            matches = sorted(m for m in glob.glob(pattern, root_dir=base, recursive=True) if (base / m).is_file())
            if not matches:
                raise GomError(f"{where}: glob pattern '{pattern}' matches no file")
        elif (base / pattern).is_file():
            matches = [pattern]
        elif (base / pattern).is_dir():
            raise GomError(
                f"{where}: '{pattern}' is a directory; name a file, or its files with a glob such as '{pattern.rstrip('/')}/*.csv'"
            )
        else:
            raise GomError(f"{where}: file '{pattern}' does not exist")
        encoding = source.get("encoding", "utf-8")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise GomError(f"{where}: unknown encoding '{encoding}' (e.g. utf-8, latin1, cp1252)") from None
        for match in matches:
            path = Path(match)
            fmt = source.get("format") or FORMATS_BY_SUFFIX.get(path.suffix.lower())
            if fmt is None:
                known = ", ".join(sorted(FORMATS_BY_SUFFIX))
                raise GomError(
                    f"{where}: file '{match}' has an unknown format (suffix '{path.suffix}'); "
                    f"use one of {known} or set 'format:' (csv, tsv, json, jsonl, parquet)"
                )
            entry = {"path": match, "format": fmt, "encoding": encoding, "rename": dict(source.get("rename") or {})}
            if source.get("delimiter") is not None:
                entry["delimiter"] = source["delimiter"]
            resolved.append(entry)
    return resolved


def prepare(
    config: dict, configfiles: Iterable[str | Path] = (), base_dir: str | Path | None = None
) -> dict[str, dict]:
    """Check ``config`` (and the files it came from), fill in defaults, resolve every dataset.

    Returns ``{dataset name: record}`` (see ``resolve_dataset``). Raises GomError on the first problem.
    """
    from snakemake.utils import validate

    for path in configfiles:
        check_config_file(path)
    check_schema(config)
    check_names(config["datasets"])
    validate(config, schema=str(SCHEMA_PATH))  # fills in the schema's defaults
    check_settings(config["embedding"]["finetune"], list(config["datasets"]))
    enabled = config["metrics"]["enabled"]
    for key, metric in [
        ("graph.community_metric", config["graph"]["community_metric"]),
        ("cross_loss.metric", config["cross_loss"]["metric"]),
    ]:
        if metric is not None and metric not in enabled:
            raise GomError(
                f"{key} '{metric}' is not among metrics.enabled ({', '.join(enabled)}); enable it or choose one of those"
            )
    datasets = {name: resolve_dataset(config, name, base_dir) for name in config["datasets"]}
    warn_shared_files({name: d["sources"] for name, d in datasets.items()}, base_dir)
    return datasets


def resolve_dataset(config: Mapping, name: str, base_dir: str | Path | None = None) -> dict:
    """Everything the stages need to know of dataset ``name``, resolved once: its source files, its
    training templates, its LoRA settings, its held-out split and its jaccard items column."""
    return {
        "sources": resolve_sources(name, config["datasets"][name], base_dir),
        "templates": train_templates(config, name),
        "lora": lora_settings(config, name),
        "split": split_of(config, name),
        "validation": validation_of(config, name),
        "items_column": items_column(config, name),
    }


def warn_shared_files(sources: Mapping[str, list[dict]], base_dir: str | Path | None = None) -> list[str]:
    """Warn (on stderr) about a file that feeds two datasets: their edge would be ~1 and routing could not tell them apart."""
    base = Path(base_dir) if base_dir is not None else Path(".")
    owners: dict[Path, list[str]] = {}
    for name, files in sources.items():
        for source in files:
            owners.setdefault((base / source["path"]).resolve(), []).append(name)
    warnings = [
        f"gom: warning: file '{path}' is a source of datasets {', '.join(map(repr, dict.fromkeys(names)))}; "
        "their edge will be near 1 and the router cannot tell them apart"
        for path, names in owners.items()
        if len(set(names)) > 1
    ]
    for warning in warnings:
        print(warning, file=sys.stderr)
    return warnings


def split_of(config: Mapping, name: str) -> dict:
    """Dataset ``name``'s held-out split: ``{"fraction": ..., "seed": ...}``, the global ``split``
    section with the dataset's own ``split:`` applied. (The validation share is kept apart, in
    ``validation_of``, so that changing it re-runs only what chooses on validation rows.)"""
    merged = {**config["split"], **(config["datasets"][name].get("split") or {})}
    return {k: merged[k] for k in ("fraction", "seed") if k in merged}


def validation_of(config: Mapping, name: str) -> float:
    """The share of dataset ``name``'s training rows set aside as validation rows."""
    merged = {**config["split"], **(config["datasets"][name].get("split") or {})}
    return merged.get("validation", 0.0)


def items_column(config: Mapping, name: str) -> str:
    """The column a dataset's jaccard item set is built from."""
    return config["datasets"][name].get("items_column") or config["metrics"]["jaccard"]["column"]


def lora_settings(config: Mapping, name: str) -> dict:
    """The global ``lora`` section with dataset ``name``'s overrides applied.

    Both sections share one schema definition ($defs/lora), so the schema check has already
    reported a mistake in either where the user wrote it (``datasets.<name>.lora.<key>``).
    """
    return {**config["lora"], **(config["datasets"][name].get("lora") or {})}


def train_templates(config: Mapping, name: str) -> dict:
    """Dataset ``name``'s prompt and response templates and the columns they use.

    Without a response template the model learns the text as plain continuation:
    an empty prompt and ``{text}`` as the response.
    """
    from gom.templates import fields

    train = config["datasets"][name].get("train") or {}
    if "response" not in train:
        if "prompt" in train:
            raise GomError(
                f"dataset '{name}': train.prompt is set but train.response is not; give both, or neither to "
                "train on the text as plain continuation"
            )
        prompt, response = "", "{text}"
    else:
        prompt, response = train.get("prompt", ""), train["response"]
    columns = [
        *fields(prompt, f"dataset '{name}', train.prompt"),
        *fields(response, f"dataset '{name}', train.response"),
    ]
    if not fields(response, f"dataset '{name}', train.response") and not response.strip():
        raise GomError(f"dataset '{name}': train.response is empty; it must produce the text the model learns")
    return {
        "prompt": prompt,
        "response": response,
        "system": train.get("system"),
        "columns": list(dict.fromkeys(columns)),
    }


LOSSES = {
    "groups": (
        "mnrl",
        "batch_all_triplet",
        "batch_hard_triplet",
        "batch_semi_hard_triplet",
        "batch_hard_soft_margin_triplet",
        "contrastive",
    ),
    "pairs": ("mnrl", "mnrl_symmetric"),
    "scored_pairs": ("cosent", "cosine"),
}


DEFAULT_LOSS = {"groups": "mnrl", "pairs": "mnrl", "scored_pairs": "cosent"}


FINETUNED = "finetuned"  # embedding.model value meaning the model this stage writes


def check_settings(settings: dict, names: list[str]) -> dict:
    """``embedding.finetune`` with the loss filled in; GomError naming the key on a bad combination.

    The rules of which keys fit together live in the schema (``$defs/finetune``, its ``allOf``);
    only what the schema cannot know, the configured dataset names, is checked here."""
    check_schema(settings, "finetune", ("embedding", "finetune"))
    pairs = settings.get("pairs") or {}
    if "dataset" in pairs and pairs["dataset"] not in names:
        raise GomError(
            f"embedding.finetune.pairs.dataset '{pairs['dataset']}' is not a configured dataset (datasets: {', '.join(names)})"
        )
    return {**settings, "loss": settings.get("loss") or DEFAULT_LOSS[settings["data"]]}
