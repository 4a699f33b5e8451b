rule profile:
    """What every edge needs from one dataset, computed once: mean embedding, term counts, items."""
    input:
        parquet="datasets/processed/{name}.parquet",
        embeddings="results/embeddings/{name}.npy",
    output:
        "results/profiles/{name}.npz",
    params:
        items_column=dataset_items_column,
        jaccard=config["metrics"]["jaccard"],
    log:
        "logs/profile/{name}.log",
    benchmark:
        "logs/benchmarks/profile/{name}.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../envs/graph.yaml"
    script:
        "../scripts/profile.py"


rule edge:
    """The similarity metrics of one unordered pair of datasets."""
    input:
        a="results/profiles/{a}.npz",
        b="results/profiles/{b}.npz",
    output:
        "results/edges/{a}__{b}.json",
    params:
        metrics=METRICS,
    log:
        "logs/edge/{a}__{b}.log",
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/graph.yaml"
    script:
        "../scripts/edge.py"
