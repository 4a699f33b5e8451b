from _gom import per_dataset, run

from gom.embedding.finetune import finetune_embedder

run(
    snakemake,
    finetune_embedder,
    datasets=per_dataset(snakemake.params.datasets, parquet=snakemake.input.parquets),
    settings=snakemake.params.settings,
    out=snakemake.output[0],
    threads=snakemake.threads,
)
