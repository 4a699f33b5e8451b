from _gom import run

from gom.profiles import profile_dataset

run(
    snakemake,
    profile_dataset,
    name=snakemake.wildcards.name,
    parquet=snakemake.input.parquet,
    embeddings=snakemake.input.embeddings,
    out=snakemake.output[0],
    items_column=snakemake.params.items_column,
    jaccard=snakemake.params.jaccard,
)
