from _gom import run

from gom.profile_sets import build_shard

run(snakemake, build_shard, names=snakemake.params.names, profiles=snakemake.input, out=snakemake.output[0])
