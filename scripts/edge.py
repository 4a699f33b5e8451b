from _gom import run

from gom.edges import compute_edge

run(
    snakemake,
    compute_edge,
    name_a=snakemake.wildcards.a,
    name_b=snakemake.wildcards.b,
    profile_a=snakemake.input.a,
    profile_b=snakemake.input.b,
    out=snakemake.output[0],
    metrics=snakemake.params.metrics,
)
