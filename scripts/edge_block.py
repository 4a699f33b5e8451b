from _gom import run

from gom.edge_jobs import compute_edge_block

members = snakemake.params.inputs["members"]
run(
    snakemake,
    compute_edge_block,
    members=list(zip(members, snakemake.input.profiles)),
    shards=list(zip(snakemake.params.inputs["shards"], snakemake.input.shards)),
    done=list(zip(snakemake.params.inputs["done"], snakemake.input.done)),
    out=snakemake.output[0],
    metrics=snakemake.params.metrics,
)
