from _gom import run

from gom.lm.trainer import train_lora

run(
    snakemake,
    train_lora,
    name=snakemake.wildcards.name,
    parquet=snakemake.input.parquet,
    out_dir=snakemake.output[0],
    checkpoint=snakemake.params.checkpoint,
    templates=snakemake.params.templates,
    settings=snakemake.params.settings,
    base_model=snakemake.params.base_model,
    split=snakemake.params.split,
    threads=snakemake.threads,
)
