from _gom import run

from gom import paths
from gom.embedding.encode import embed_dataset

# The batch's members come from the config, not from params: appending a dataset to a batch
# must not change (and so re-run) the embed jobs of the datasets already in it.
names = list(snakemake.config["datasets"])
size = snakemake.config["embedding"]["datasets_per_job"]
start = paths.batch_of(names, snakemake.wildcards.name, size) * size

run(
    snakemake,
    embed_dataset,
    name=snakemake.wildcards.name,
    parquet=snakemake.input.parquet,
    embeddings=snakemake.output.embeddings,
    meta=snakemake.output.meta,
    batch={n: paths.dataset_files(n) for n in names[start : start + size]},
    cache=snakemake.params.cache,
    **snakemake.params.settings,
    threads=snakemake.threads,
)
