rule convert:
    """Merge a dataset's raw sources into one clean parquet file (raw files are only read)."""
    input:
        source_files,
    output:
        parquet=paths.PROCESSED,
        stats=paths.STATS,
    log:
        "logs/convert/{name}.log",
    benchmark:
        "logs/benchmarks/convert/{name}.tsv"
    priority: 1  # converts first, so that a batch's first embed job finds the batch's texts ready
    group:
        "datasets"  # convert, embed and profile of many datasets, bundled per cluster job in profiles/slurm
    conda:
        "../envs/data.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        sources=source_settings,
    script:
        "../scripts/convert.py"
