rule embed:
    """Sentence embeddings of a dataset's text column, one L2-normalised row per row."""
    input:
        parquet="datasets/processed/{name}.parquet",
    output:
        embeddings="results/embeddings/{name}.npy",
        meta="results/embeddings/{name}.json",
    params:
        model=config["embedding"]["model"],
        batch_size=config["embedding"]["batch_size"],
        max_seq_length=config["embedding"]["max_seq_length"],
        device=config["embedding"]["device"],
    threads: 4
    log:
        "logs/embed/{name}.log",
    benchmark:
        "logs/benchmarks/embed/{name}.tsv"
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../envs/embed.yaml"
    script:
        "../scripts/embed.py"
