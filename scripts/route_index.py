from _gom import per_dataset, run

from gom.routing.index import build_index

run(
    snakemake,
    build_index,
    datasets=per_dataset(
        snakemake.params.datasets, parquet=snakemake.input.parquets, embeddings=snakemake.input.embeddings
    ),
    model=snakemake.params.model,
    k=snakemake.params.k,
    out=snakemake.output[0],
)
