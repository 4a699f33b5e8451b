from _gom import run

from gom.lm.base import build_tiny_base

shape = snakemake.params.shape
run(
    snakemake,
    build_tiny_base,
    out_dir=snakemake.output[0],
    vocab_size=shape["vocab_size"],
    hidden_size=shape["hidden_size"],
    num_layers=shape["num_layers"],
    num_heads=shape["num_heads"],
    seed=shape["seed"],
)
