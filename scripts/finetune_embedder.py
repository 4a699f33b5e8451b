from _gom import run

from gom.embedding.finetune import finetune_embedder

run(
    snakemake,
    finetune_embedder,
    names=snakemake.params.names,
    parquets=snakemake.input.parquets,
    held_out=snakemake.params.splits,
    settings=snakemake.params.settings,
    out=snakemake.output[0],
    threads=snakemake.threads,
)
