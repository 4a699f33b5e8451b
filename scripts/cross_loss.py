from _gom import per_dataset, run

from gom.lm.transfer import transfer_report

run(
    snakemake,
    transfer_report,
    datasets=per_dataset(snakemake.params.datasets, parquet=snakemake.input.parquets, model_dir=snakemake.input.models),
    matrix_files=dict(zip(snakemake.params.metrics, snakemake.input.matrices)),
    selection=snakemake.params.selection,
    cache=snakemake.params.cache,
    out_csv=snakemake.output.csv,
    out_png=snakemake.output.heatmap,
    out_json=snakemake.output.validity,
)
