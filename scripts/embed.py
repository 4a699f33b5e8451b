from _gom import run

from gom.embedding.encode import embed_dataset

run(
    snakemake,
    embed_dataset,
    name=snakemake.wildcards.name,
    parquet=snakemake.input.parquet,
    embeddings=snakemake.output.embeddings,
    meta=snakemake.output.meta,
    cache=snakemake.params.cache,
    **snakemake.params.settings,
    threads=snakemake.threads,
)
