from _gom import run

from gom.routing.index import build_index

run(
    snakemake,
    build_index,
    names=snakemake.params.names,
    parquets=snakemake.input.parquets,
    embeddings=snakemake.input.embeddings,
    splits=snakemake.params.splits,
    model=snakemake.params.model,
    k=snakemake.params.k,
    out=snakemake.output[0],
)
