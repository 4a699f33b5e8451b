rule tiny_base:
    """The tiny random-weight Qwen3 base and its tokenizer, for runs with lora.base_model: tiny."""
    input:
        expand("datasets/processed/{name}.parquet", name=NAMES),
    output:
        directory("models/base"),
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


rule train_lora:
    """One dataset's LoRA miniModel. Checkpoints live outside the output, in models/.checkpoints/."""
    input:
        parquet="datasets/processed/{name}.parquet",
        base=tiny_base_input,
    output:
        directory("models/{name}"),
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
        checkpoint="models/.checkpoints/{name}.pt",
    script:
        "../scripts/train_lora.py"


rule cross_loss:
    """Every adapter on every dataset's held-out rows, and how well the edges predict it."""
    input:
        models=minimodels(),
        parquets=expand("datasets/processed/{name}.parquet", name=NAMES),
        matrices=expand("results/graph/matrix_{metric}.csv", metric=METRICS),
    output:
        csv="results/training/cross_loss.csv",
        heatmap=report(
            "results/training/cross_loss.png",
            caption="../report/cross_loss.rst",
            category="Training",
        ),
        validity="results/training/edge_validity.json",
    log:
        "logs/cross_loss.log",
    conda:
        "../envs/train.yaml"
    threads: 4
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=120,
    params:
        names=NAMES,
        metrics=METRICS,
        templates={name: train_templates(config, name) for name in NAMES},
        settings={name: lora_settings(config, name) for name in NAMES},
        splits={name: split_of(config, name) for name in NAMES},
    script:
        "../scripts/cross_loss.py"
