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
    group:
        "datasets"  # convert, embed and profile of many datasets, bundled per cluster job in profiles/slurm
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


rule profile_shard:
    """The profiles of one block of datasets in one file, read by the edge jobs of later blocks."""
    input:
        shard_profiles,
    output:
        paths.PROFILE_SHARD,
    log:
        "logs/profile_shard/{shard}.log",
    group:
        "shards"
    conda:
        "../envs/graph.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        names=shard_names,
    script:
        "../scripts/profile_shard.py"


rule edges:
    """One dataset's similarity metrics with every dataset listed before it in the config."""
    input:
        unpack(edge_inputs),
    output:
        paths.EDGES,
    log:
        "logs/edges/{name}.log",
    group:
        "edges"  # bundled into fewer cluster jobs by group-components in profiles/slurm
    conda:
        "../envs/graph.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        metrics=METRICS,
        inputs=edge_params,
    script:
        "../scripts/edges.py"


rule edge_block:
    """The similarity metrics of a complete block of datasets, each with every dataset listed before
    it (a member whose own edge file exists is copied from it, not recomputed)."""
    input:
        unpack(edge_block_inputs),
    output:
        paths.EDGE_BLOCK,
    log:
        "logs/edge_blocks/{block}.log",
    group:
        "edges"
    conda:
        "../envs/graph.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        metrics=METRICS,
        inputs=edge_block_params,
    script:
        "../scripts/edge_block.py"
