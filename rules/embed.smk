rule embed_batch:
    """Sentence embeddings of the datasets of one batch (embedding.datasets_per_job of them, config
    order) that need them, loading the model once; rule embed moves each into its own file.
    """
    input:
        parquets=batch_parquets,
        model=embedder_input,
    output:
        paths.EMBEDDING_BATCH,
    log:
        "logs/embed_batch/{batch}.log",
    benchmark:
        "logs/benchmarks/embed_batch/{batch}.tsv"
    group:
        "datasets"  # the datasets' convert, embed and profile, bundled per cluster job in profiles/slurm
    conda:
        "../envs/embed.yaml"
    threads: 4
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        datasets=batch_records,
        cache=paths.EMBEDDING_CACHE,
        settings=embedding_settings(),
    script:
        "../scripts/embed_batch.py"


rule embed:
    """One dataset's L2-normalised sentence embeddings, one row per row: moved from its batch's
    cache (the batch is an `ancient` input: a later batch run for a new member leaves this be).
    """
    input:
        parquet=paths.PROCESSED,
        batch=ancient(embedding_batch),
        model=embedder_input,
    output:
        embeddings=paths.EMBEDDINGS,
        meta=paths.EMBEDDINGS_META,
    log:
        "logs/embed/{name}.log",
    benchmark:
        "logs/benchmarks/embed/{name}.tsv"
    group:
        "datasets"
    conda:
        "../envs/embed.yaml"
    threads: 1  # a move; it embeds itself (one thread) only when its batch's cache lacks it
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        cache=embedding_cache,
        settings=embedding_settings(),
    script:
        "../scripts/embed.py"
