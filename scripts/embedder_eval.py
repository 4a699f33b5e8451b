from _gom import run

from gom.embedding.evaluate import evaluate_embedder

run(
    snakemake,
    evaluate_embedder,
    names=snakemake.params.names,
    parquets=snakemake.input.parquets,
    held_out=snakemake.params.splits,
    settings=snakemake.params.settings,
    finetuned=snakemake.input.model,
    routing=snakemake.params.routing,
    out_json=snakemake.output.eval,
    out_csv=snakemake.output.table,
    threads=snakemake.threads,
)
