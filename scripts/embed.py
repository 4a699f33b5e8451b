from _gom import run

from gom import paths
from gom.embedding.encode import embed_dataset

# The batch (its members and cache) comes from the config, not from params: appending,
# removing or reordering datasets must not change, and so re-run, the embed jobs of others.
names = list(snakemake.config["datasets"])
size = snakemake.config["embedding"]["datasets_per_job"]
batch = paths.batch_of(names, snakemake.wildcards.name, size)
space = "routing" if snakemake.rule == "embed_routing" else "graph"  # the graph's embeddings, or routing's own

run(
    snakemake,
    embed_dataset,
    name=snakemake.wildcards.name,
    parquet=snakemake.input.parquet,
    embeddings=snakemake.output.embeddings,
    meta=snakemake.output.meta,
    batch={n: paths.dataset_files(n, space) for n in paths.shard_members(names, batch, size)},
    cache=paths.SPACES[space][2].format(batch=batch),
    **snakemake.params.settings,
    threads=snakemake.threads,
)
