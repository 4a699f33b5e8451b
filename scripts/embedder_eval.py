from _gom import per_dataset, run

from gom.embedding.evaluate import evaluate_embedder

run(
    snakemake,
    evaluate_embedder,
    datasets=per_dataset(snakemake.params.datasets, parquet=snakemake.input.parquets),
    settings=snakemake.params.settings,
    finetuned=snakemake.input.model,
    routing=snakemake.params.routing,
    out_json=snakemake.output.eval,
    out_csv=snakemake.output.table,
    threads=snakemake.threads,
)
