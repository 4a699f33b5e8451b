from _gom import run

from gom.convert import convert_dataset

run(
    snakemake,
    convert_dataset,
    name=snakemake.wildcards.name,
    sources=snakemake.params.sources,
    parquet=snakemake.output.parquet,
    stats=snakemake.output.stats,
)
