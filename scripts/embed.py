from _gom import run

from gom.embedding.encode import embed_dataset

run(
    snakemake,
    embed_dataset,
    name=snakemake.wildcards.name,
    parquet=snakemake.input.parquet,
    embeddings=snakemake.output.embeddings,
    meta=snakemake.output.meta,
    model=snakemake.params.model,
    batch_size=snakemake.params.batch_size,
    max_seq_length=snakemake.params.max_seq_length,
    device=snakemake.params.device,
    threads=snakemake.threads,
)
