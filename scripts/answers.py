from pathlib import Path

from _gom import per_dataset, run

from gom.routing.answers import answer_report

settings = snakemake.params.settings
run(
    snakemake,
    answer_report,
    datasets=per_dataset(snakemake.params.datasets, parquet=snakemake.input.parquets, model_dir=snakemake.input.models),
    routing_dir=Path(snakemake.input.index).parent,  # the router's directory: index, selection
    out_csv=snakemake.output.answers,
    out_json=snakemake.output.scores,
    rows=settings["rows"],
    max_new_tokens=settings["max_new_tokens"],
)
