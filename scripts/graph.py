from _gom import run

from gom.graph import build_similarity_graph

metrics = snakemake.params.metrics
run(
    snakemake,
    build_similarity_graph,
    names=snakemake.params.names,
    edge_files=snakemake.input.edges,
    profile_files=snakemake.input.profiles,
    metrics=metrics,
    matrices=dict(zip(metrics, snakemake.output.matrices)),
    graphml=snakemake.output.graphml,
    pictures={m: (png, svg) for m, png, svg in zip(metrics, snakemake.output.png, snakemake.output.svg)},
    drawing=snakemake.params.drawing,
    communities={
        "csv": snakemake.output.communities,
        "json": snakemake.output.communities_report,
        "png": snakemake.output.communities_png,
        "svg": snakemake.output.communities_svg,
    },
)
