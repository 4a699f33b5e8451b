from _gom import run

from gom.routing.evaluate import evaluate_router

run(
    snakemake,
    evaluate_router,
    index_path=snakemake.input.index,
    names=snakemake.params.names,
    parquets=snakemake.input.parquets,
    embeddings=snakemake.input.embeddings,
    splits=snakemake.params.splits,
    method=snakemake.params.method,
    false_abstain=snakemake.params.false_abstain_rate,
    out_json=snakemake.output.eval,
    out_png=snakemake.output.confusion,
    embed_settings=snakemake.params.embedding,
)
