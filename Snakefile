# Graph of Models: datasets -> parquet -> embeddings -> profiles -> edges -> similarity graph,
# plus a LoRA miniModel per dataset and a router over them.
# `snakemake --cores all` builds everything listed in config.yaml; see README.md.
from snakemake.utils import min_version

min_version("9.0")


include: "rules/preflight.smk"


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/convert.smk"
include: "rules/embed.smk"
include: "rules/edges.smk"
include: "rules/graph.smk"
include: "rules/train.smk"
include: "rules/route.smk"
include: "rules/embedder.smk"
include: "rules/serve.smk"


rule all:
    default_target: True
    input:
        dataset_outputs(),
        graph_outputs(),
        training_outputs(),
        routing_outputs(),
        embedder_outputs(),
        serve_outputs(),


# Run on the submitting host, never as cluster jobs (serve_bundle only reads and writes small files).
localrules:
    all,
    serve_bundle,
