rule embed:
    """Sentence embeddings of a dataset's text column, one L2-normalised row per row."""
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
        "datasets"  # one dataset's convert, embed and profile, bundled per cluster job in profiles/slurm
    conda:
        "../envs/embed.yaml"
    threads: 4
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        model=embedding_model(),
        batch_size=config["embedding"]["batch_size"],
        max_seq_length=config["embedding"]["max_seq_length"],
        device=config["embedding"]["device"],
    script:
        "../scripts/embed.py"
