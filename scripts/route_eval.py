from _gom import per_dataset, run

from gom.routing.evaluate import evaluate_router

run(
    snakemake,
    evaluate_router,
    index_path=snakemake.input.index,
    selection_path=snakemake.input.selection,
    datasets=per_dataset(
        snakemake.params.datasets, parquet=snakemake.input.parquets, embeddings=snakemake.input.embeddings
    ),
    off_domain=snakemake.params.off_domain,
    out_json=snakemake.output.eval,
    out_png=snakemake.output.confusion,
    embed_settings=snakemake.params.embedding,
)
