"""Small file helpers shared by the stages.

Atomic writes, so a failed step leaves no partial output; JSON that is always valid JSON (a
NaN is refused, never written); and content checksums of the intermediates, recorded where
they are written and verified where they are read, so a replaced or truncated file is named
instead of used.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from gom.errors import GomError, first_line


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs should be shareable
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        for file in tmp.rglob("*"):  # some writers (safetensors) make 0600 files
            if file.is_file():
                os.chmod(file, 0o666 & ~_umask())
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps(data) -> str:
    """Indented JSON; NaN and infinity are refused (they are not JSON), naming where they are."""
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError(f"refusing to write a NaN or infinite number as JSON (at {_non_finite(data)})") from None


def _non_finite(data, where: str = "(top level)") -> str | None:
    if isinstance(data, float) and not math.isfinite(data):
        return where
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, (list, tuple)) else ()
    for key, value in items:
        found = _non_finite(value, f"{where}.{key}" if where != "(top level)" else str(key))
        if found:
            return found
    return None


def write_json(path: str | os.PathLike, data) -> None:
    """Write ``data`` as indented JSON, atomically; a NaN anywhere in it is an error, not a file."""
    try:
        text = dumps(data)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def read_json(path: str | os.PathLike):
    """Parse a JSON file; GomError naming the file (and line) when it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GomError(f"{path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        if isinstance(e, json.JSONDecodeError):
            raise GomError(f"{path}, line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})") from None
        raise GomError(f"{path}: not valid JSON (not UTF-8: {e.reason})") from None


# --------------------------------------------------------------------------- checksums

# Where an intermediate's checksum is recorded: the JSON its stage writes beside it.
RECORD_SUFFIXES = {".parquet": ".stats.json", ".npy": ".json"}


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def record_of(path: str | os.PathLike) -> Path:
    """The JSON file beside ``path`` that records its checksum (``x.parquet`` -> ``x.stats.json``)."""
    path = Path(path)
    return path.with_suffix(RECORD_SUFFIXES[path.suffix])


def record_checksum(path: str | os.PathLike) -> str:
    """Record ``path``'s sha256 in its record file (other keys kept; created if missing), for
    files made outside the stage that normally writes them (tests, benchmarks, imports)."""
    record = record_of(path)
    data = read_json(record) if record.exists() else {}
    data["sha256"] = sha256_file(path)
    write_json(record, data)
    return data["sha256"]


def _rebuild(path) -> str:
    return f"rebuild it and what depends on it with `snakemake --cores all --forcerun {path}`"


def verified(path: str | os.PathLike) -> Path:
    """``path``, after checking it against the sha256 its stage recorded; GomError if it changed since."""
    verified_checksum(path)
    return Path(path)


def verified_checksum(path: str | os.PathLike) -> str:
    """The sha256 that ``path``'s stage recorded, after checking the file against it (as ``verified``)."""
    path, record = Path(path), record_of(path)
    if not path.is_file():
        raise GomError(f"{path} is missing: {_rebuild(path)}")
    try:
        expected = read_json(record).get("sha256")
    except GomError:
        expected = None
    if expected is None:
        raise GomError(
            f"{path} has no checksum recorded in {record} (it was written by a gom older than checksums, "
            f"or the record was changed), so it cannot be trusted: {_rebuild(path)}"
        )
    if sha256_file(path) != expected:
        raise GomError(
            f"{path} does not match the checksum recorded in {record} when it was written (it was "
            f"changed, replaced or truncated since): {_rebuild(path)}"
        )
    return expected


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """Write arrays to ``path`` (.npz) atomically, with a checksum of their content inside."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays, sha256=np.array(_digest(arrays)))


def load_npz(path: str | os.PathLike) -> dict:
    """The arrays of a file written by ``save_npz``, verified; never unpickles anything."""
    import numpy as np

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except Exception as e:  # truncated zip, bad header, pickled object arrays
        raise GomError(f"{path} cannot be read ({_numpy_error(e)}): {_rebuild(path)}") from None
    recorded = arrays.pop("sha256", None)
    if recorded is None:
        raise GomError(f"{path} holds no checksum (it was written by a gom older than checksums): {_rebuild(path)}")
    if str(recorded) != _digest(arrays):
        raise GomError(
            f"{path} does not match the checksum stored in it (it was changed or replaced): {_rebuild(path)}"
        )
    return arrays


def load_npy(path: str | os.PathLike, mmap_mode: str | None = None) -> np.ndarray:
    """An array written by a stage, checked against its recorded checksum; never unpickles anything."""
    import numpy as np

    return np.load(verified(path), mmap_mode=mmap_mode, allow_pickle=False)


def _numpy_error(error: Exception) -> str:
    """NumPy's reason, without its advice to load the file unsafely (gom never unpickles)."""
    if "unsafely" in str(error) or "pickled" in str(error):
        return "it is not a NumPy array file: reading it would mean unpickling it, which gom never does"
    return f"{type(error).__name__}: {first_line(error)}"


def _digest(arrays: dict) -> str:
    import numpy as np

    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def reference_from_file(value: str, where: str, override: str, root: str | os.PathLike | None = None) -> str:
    """A model name or path read from a file that someone else may have written.

    Hub ids (``org/name``) and paths inside the working directory (``root``) pass unchanged;
    a path outside it is refused, since sharing a file must never be enough to make gom read
    from elsewhere on the user's disk. ``override`` tells the user how to name it themselves
    (a config key or a command-line flag).
    """
    root = Path(root if root is not None else Path.cwd()).resolve()
    path = Path(value).expanduser()
    if path.is_absolute() or (root / path).exists() or value.startswith((".", "~")) or ".." in path.parts:
        resolved = (root / path).resolve()
        if not resolved.is_relative_to(root):
            raise GomError(
                f"{where} names '{value}', which is outside the working directory {root}; a path "
                f"read from a file is only followed inside it: {override}"
            )
    return value
