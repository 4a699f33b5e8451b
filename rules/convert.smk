rule convert:
    """Merge a dataset's raw sources into one clean parquet file (raw files are only read)."""
    input:
        source_files,
    output:
        parquet="datasets/processed/{name}.parquet",
        stats="datasets/processed/{name}.stats.json",
    params:
        sources=source_settings,
    log:
        "logs/convert/{name}.log",
    benchmark:
        "logs/benchmarks/convert/{name}.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../envs/data.yaml"
    script:
        "../scripts/convert.py"
