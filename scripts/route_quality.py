from _gom import per_dataset, run

from gom.routing.quality import routing_quality

run(
    snakemake,
    routing_quality,
    index_path=snakemake.input.index,
    validation_path=snakemake.input.validation,
    datasets=per_dataset(
        snakemake.params.datasets,
        parquet=snakemake.input.parquets,
        embeddings=snakemake.input.embeddings,
        model_dir=snakemake.input.models,
    ),
    out_json=snakemake.output[0],
)
