"""Off-domain queries: questions on everyday topics that none of the sample datasets, nor a
software catalogue like Debian's, covers (no food or drink, no computing), for measuring
whether the router turns away what it has no miniModel for.

The set (``off_domain.txt``, 300 queries over 30 topics, varied in form and length) is cut in
two by a hash of each query: the calibration part takes part in choosing the abstain score and
is the only off-domain text any choice sees; the test part is scored once, with the held-out rows.
A user whose datasets do cover some of these topics gives their own file (routing.off_domain).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gom.errors import GomError
from gom.split import eval_mask

SHIPPED = Path(__file__).with_name("off_domain.txt")
CALIBRATION_SHARE = 0.5


def read_queries(path: str | Path | None = None) -> list[str]:
    """The queries of ``path`` (one per line; blank lines and lines starting with '#' skipped),
    the shipped set when ``path`` is None."""
    source = Path(path) if path else SHIPPED
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GomError(f"routing.off_domain: cannot read {source} as UTF-8 text ({e})") from None
    queries = list(dict.fromkeys(x.strip() for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#")))
    if len(queries) < 4:
        raise GomError(
            f"routing.off_domain: {source} holds {len(queries)} distinct queries; at least 4 are needed "
            "(half calibrate the abstain score, half test it; 200 or more give a useful measure)"
        )
    return queries


def calibration_part(queries: list[str]) -> np.ndarray:
    """Mask of the calibration queries (about half, by a hash of each query; the rest are the test part)."""
    return eval_mask(queries, CALIBRATION_SHARE, seed=1)
