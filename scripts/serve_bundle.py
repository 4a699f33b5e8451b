from _gom import run

from gom.serve.bundle import write_bundle

run(
    snakemake,
    write_bundle,
    models=list(snakemake.input.models),
    index=snakemake.input.index,
    selection=snakemake.input.selection,
    out_manifest=snakemake.output.manifest,
    out_command=snakemake.output.command,
    out_router=snakemake.output.router,
    max_loras=snakemake.params.max_loras,
)
