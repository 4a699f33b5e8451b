from _gom import run

from gom.edge_jobs import compute_edges

run(
    snakemake,
    compute_edges,
    name=snakemake.wildcards.name,
    profile=snakemake.input.profile,
    shards=list(zip(snakemake.params.inputs["shards"], snakemake.input.shards)),
    earlier=list(zip(snakemake.params.inputs["earlier"], snakemake.input.earlier)),
    out=snakemake.output[0],
    metrics=snakemake.params.metrics,
)
