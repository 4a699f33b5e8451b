from _gom import run

from gom.lm.transfer import transfer_report

names = snakemake.params.names
run(
    snakemake,
    transfer_report,
    names=names,
    parquets=snakemake.input.parquets,
    model_dirs=snakemake.input.models,
    matrix_files=dict(zip(snakemake.params.metrics, snakemake.input.matrices)),
    templates=snakemake.params.templates,
    settings=snakemake.params.settings,
    splits=snakemake.params.splits,
    out_csv=snakemake.output.csv,
    out_png=snakemake.output.heatmap,
    out_json=snakemake.output.validity,
)
