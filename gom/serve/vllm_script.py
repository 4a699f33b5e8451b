"""The `vllm serve` script of the bundle (results/serve/vllm_serve.sh)."""

from __future__ import annotations

import hashlib
import shlex

SERVED_BASE_NAME = "base"  # the name under which vllm serves the base model alone


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def serve_command(base: dict, adapters: list[dict], max_lora_rank: int, max_loras: int, checked: dict) -> str:
    """The `vllm serve` script: one argument a line, each quoted for the shell. It first checks
    that the bundle and the adapters are the files gom checked (``checked``: path -> sha256)."""
    q = shlex.quote
    lines = [f"exec vllm serve {q(base['base_model'])}"]
    if base.get("revision"):
        lines.append(f"  --revision {q(base['revision'])}")
    lines += [f"  --served-model-name {SERVED_BASE_NAME}", "  --enable-lora", "  --lora-modules"]
    lines += [f"    {q(a['name'] + '=' + a['path'])}" for a in adapters]
    lines += [
        f"  --max-lora-rank {max_lora_rank}",
        f"  --max-loras {max_loras}",
        f"  --max-cpu-loras {len(adapters)}",
        '  "$@"',
    ]
    header = f"""#!/bin/sh
# Serves the base model and its {len(adapters)} miniModel(s) with vLLM, as one OpenAI-compatible server.
# Written by gom (rule serve_bundle, with results/serve/manifest.json and router.json).
# Run it from the workflow's working directory (the one holding config.yaml): the paths below
# are relative to it. Arguments given to this script (--port 8000, --host ...) go to vllm serve.
# A request's "model" names an adapter ({adapters[0]["name"]}, ...) or {SERVED_BASE_NAME} (the base alone);
# results/serve/router.json says how gom picks the adapter for a query.
"""
    return header + _verification(checked) + " \\\n".join(lines) + "\n"


def _verification(checked: dict[str, str]) -> str:
    """Shell lines that stop the script when a bundle file or an adapter differs from what gom
    checked (an edited manifest, an adapter retrained or replaced since): vLLM would otherwise
    serve files nobody checked."""
    listing = "\n".join(f"{digest}  {path}" for path, digest in checked.items())
    return f"""if command -v sha256sum >/dev/null 2>&1; then
  sha256sum --check --quiet --strict >&2 <<'GOM_CHECKED' || {{
{listing}
GOM_CHECKED
    echo "vllm_serve.sh: the files named above differ from the ones gom checked; rebuild the bundle with" \\
      "snakemake --cores all --force results/serve/manifest.json" >&2
    exit 1
  }}
else
  echo "vllm_serve.sh: no sha256sum here, so the bundle's files are not checked" >&2
fi
"""
