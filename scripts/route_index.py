from _gom import per_dataset, run

from gom.routing.select import build_router

run(
    snakemake,
    build_router,
    datasets=per_dataset(
        snakemake.params.datasets, parquet=snakemake.input.parquets, embeddings=snakemake.input.embeddings
    ),
    model=snakemake.params.model,
    settings=snakemake.params.settings,
    embed_settings=snakemake.params.embedding,
    out=snakemake.output.index,
    out_selection=snakemake.output.selection,
    out_validation=snakemake.output.validation,
)
