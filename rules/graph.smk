rule graph:
    """Similarity matrices, GraphML and pictures from all edges."""
    input:
        edges=edge_files(),
        profiles=expand("results/profiles/{name}.npz", name=NAMES),
    output:
        matrices=[
            report(
                f"results/graph/matrix_{metric}.csv",
                caption="../report/matrix.rst",
                category="Similarity graph",
                subcategory="Matrices",
                labels={"metric": metric},
            )
            for metric in METRICS
        ],
        graphml="results/graph/graph.graphml",
        png=[
            report(
                f"results/graph/graph_{metric}.png",
                caption="../report/graph.rst",
                category="Similarity graph",
                subcategory="Pictures",
                labels={"metric": metric},
            )
            for metric in METRICS
        ],
        svg=expand("results/graph/graph_{metric}.svg", metric=METRICS),
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
