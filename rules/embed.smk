rule embed:
    """One dataset's L2-normalised sentence embeddings, one row per row. The model is loaded
    once per batch of embedding.datasets_per_job datasets (config order): the first embed job
    of a batch to run also embeds the batch's other datasets that are out of date and
    converted, into results/embedding_batches/<k>/, and their own jobs move them into place.
    """
    input:
        parquet=paths.PROCESSED,
        model=embedder_input,
    output:
        embeddings=paths.EMBEDDINGS,
        meta=paths.EMBEDDINGS_META,
    log:
        "logs/embed/{name}.log",
    benchmark:
        "logs/benchmarks/embed/{name}.tsv"
    group:
        "datasets"  # convert, embed and profile of many datasets, bundled per cluster job in profiles/slurm
    conda:
        "../envs/embed.yaml"
    threads: 1  # most embed jobs move a file; the one that embeds a batch does it on one core
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        settings=embedding_settings(),
    script:
        "../scripts/embed.py"
