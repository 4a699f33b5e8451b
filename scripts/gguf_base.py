from _gom import run

from gom.lm.gguf_base import build_gguf_base

run(snakemake, build_gguf_base, base=snakemake.wildcards.gguf, out_dir=snakemake.output[0])
