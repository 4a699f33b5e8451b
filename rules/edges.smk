rule profile:
    """What every edge needs from one dataset, computed once: mean embedding, term counts, items."""
    input:
        parquet=paths.PROCESSED,
        embeddings=paths.EMBEDDINGS,
    output:
        paths.PROFILE,
    log:
        "logs/profile/{name}.log",
    benchmark:
        "logs/benchmarks/profile/{name}.tsv"
    conda:
        "../envs/graph.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        items_column=dataset_items_column,
        jaccard=config["metrics"]["jaccard"],
    script:
        "../scripts/profile.py"


rule edge:
    """The similarity metrics of one unordered pair of datasets."""
    input:
        a=paths.PROFILE.replace("{name}", "{a}"),
        b=paths.PROFILE.replace("{name}", "{b}"),
    output:
        paths.EDGE,
    log:
        "logs/edge/{a}__{b}.log",
    group:
        "edges"  # bundled into fewer cluster jobs by group-components in profiles/slurm
    conda:
        "../envs/graph.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        metrics=METRICS,
    script:
        "../scripts/edge.py"
