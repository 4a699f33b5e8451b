rule embedding_settings:
    """The embedding settings in a file that every embedding job reads, so that changing them
    re-runs each dataset's embed job (its batch input is `ancient`, see rule embed)."""
    output:
        paths.EMBEDDING_SETTINGS,
    log:
        "logs/embedding_settings.log",
    conda:
        "../envs/data.yaml"
    params:
        settings=embedding_settings(),
    script:
        "../scripts/embedding_settings.py"


rule embed_batch:
    """Sentence embeddings of the datasets of one batch (embedding.datasets_per_job of them, config
    order) that need them, loading the model once; rule embed moves each into its own file.
    """
    input:
        parquets=batch_parquets,
        settings=paths.EMBEDDING_SETTINGS,
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
    cache. The batch is an `ancient` input, so a batch run for an appended member leaves the
    other members be; what they are made from reaches them as non-ancient inputs (parquet,
    settings file, model), since Snakemake does not look at a job's own reasons to re-run when
    it lies below a re-running job through ancient inputs only."""
    input:
        parquet=paths.PROCESSED,
        batch=ancient(embedding_batch),
        settings=paths.EMBEDDING_SETTINGS,
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
