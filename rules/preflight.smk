# Runs before Snakemake reads config.yaml: the workflow's own package becomes importable, and
# a YAML mistake is reported with its file, line and column (Snakemake itself says only "not
# valid JSON or YAML"); duplicate keys are refused, which YAML would silently merge.
import sys
from pathlib import Path

# The rules and scripts use the workflow's own package, installed or not.
sys.path.insert(0, str(Path(workflow.basedir)))

from gom.schema import check_config_file
from gom.errors import GomError

if Path("config.yaml").is_file():
    try:
        check_config_file("config.yaml")
    except GomError as error:
        raise WorkflowError(f"gom: {error}") from None
