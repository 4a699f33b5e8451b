rule finetune_embedder:
    """The embedding model fine-tuned on the datasets' training rows (held-out rows never reach it)."""
    input:
        parquets=expand(paths.PROCESSED, name=NAMES),
        pairs=finetune_pair_file,
    output:
        directory(EMBEDDER),
    log:
        "logs/finetune_embedder.log",
    benchmark:
        "logs/benchmarks/finetune_embedder.tsv"
    conda:
        "../envs/embed.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=240,
    params:
        datasets=records("split", "validation"),
        settings=config["embedding"]["finetune"],
    script:
        "../scripts/finetune_embedder.py"


rule embedder_eval:
    """The frozen and the fine-tuned embedder on the same held-out rows."""
    input:
        parquets=expand(paths.PROCESSED, name=NAMES),
        pairs=finetune_pair_file,
        model=EMBEDDER,
    output:
        eval=paths.EMBEDDER_EVAL,
        table=report(
            paths.EMBEDDER_EVAL_TABLE,
            caption="../report/embedder.rst",
            category="Embedder",
        ),
    log:
        "logs/embedder_eval.log",
    conda:
        "../envs/embed.yaml"
    threads: 4
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        datasets=records("split", "validation"),
        settings=config["embedding"]["finetune"],
        routing=embedder_routing_settings(),
    script:
        "../scripts/embedder_eval.py"
