rule graph:
    """Similarity matrices, GraphML and pictures from all edges."""
    input:
        edges=[path for _, path in edge_targets(NAMES, SHARD_SIZE)],
        profiles=expand(paths.PROFILE, name=NAMES),
    output:
        matrices=[
            report(
                paths.MATRIX.format(metric=metric),
                caption="../report/matrix.rst",
                category="Similarity graph",
                subcategory="Matrices",
                labels={"metric": metric},
            )
            for metric in METRICS
        ],
        graphml=paths.GRAPHML,
        png=[
            report(
                paths.PICTURE.format(metric=metric, ext="png"),
                caption="../report/graph.rst",
                category="Similarity graph",
                subcategory="Pictures",
                labels={"metric": metric},
            )
            for metric in METRICS
        ],
        svg=expand(paths.PICTURE, metric=METRICS, ext="svg"),
        communities=paths.COMMUNITIES,
        communities_report=paths.COMMUNITIES_REPORT,
        communities_png=report(
            paths.COMMUNITIES_PICTURE.format(ext="png"),
            caption="../report/communities.rst",
            category="Similarity graph",
            subcategory="Communities",
        ),
        communities_svg=paths.COMMUNITIES_PICTURE.format(ext="svg"),
    log:
        "logs/graph.log",
    benchmark:
        "logs/benchmarks/graph.tsv"
    conda:
        "../envs/graph.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        names=NAMES,
        metrics=METRICS,
        drawing=config["graph"],
    script:
        "../scripts/graph.py"
