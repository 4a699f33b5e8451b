"""Makes the workflow's own `gom` package importable from rule scripts (conda envs do not
install it) and hands them `run`, which logs and reports errors the same way for every rule."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gom.snakemake_script import per_dataset, run  # noqa: E402,F401
