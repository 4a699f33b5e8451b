from _gom import run

from gom.io import write_json

run(snakemake, write_json, path=snakemake.output[0], data=snakemake.params.settings)
