from _gom import per_dataset, run

from gom.embedding.encode import embed_batch

run(
    snakemake,
    embed_batch,
    datasets=per_dataset(snakemake.params.datasets, parquet=snakemake.input.parquets),
    cache=snakemake.params.cache,
    manifest=snakemake.output[0],
    **snakemake.params.settings,
    threads=snakemake.threads,
)
