rule embed_routing:
    """Routing's own embeddings of one dataset, when routing.embedding is not the graph's model
    (the same job as embed, in results/routing/embeddings/)."""
    input:
        parquet=paths.PROCESSED,
        model=routing_embedder_input,
    output:
        embeddings=paths.ROUTING_EMBEDDINGS,
        meta=paths.ROUTING_EMBEDDINGS_META,
    log:
        "logs/embed_routing/{name}.log",
    benchmark:
        "logs/benchmarks/embed_routing/{name}.tsv"
    group:
        "datasets"
    conda:
        "../envs/embed.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        settings=embedding_settings(routing_model()),
    script:
        "../scripts/embed.py"


rule route_index:
    """The router, every choice made on validation rows (a share of each dataset's training
    rows), then refitted on all training rows; the held-out rows are never read."""
    input:
        parquets=expand(paths.PROCESSED, name=NAMES),
        embeddings=expand(ROUTING_VECTORS, name=NAMES),
        model=routing_embedder_input,
        off_domain=off_domain_file,
    output:
        index=paths.ROUTER_INDEX,
        selection=paths.ROUTER_SELECTION,
        validation=paths.ROUTER_VALIDATION,
    log:
        "logs/route_index.log",
    benchmark:
        "logs/benchmarks/route_index.tsv"
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        datasets=records("split", "validation"),
        model=routing_model(),
        settings=config["routing"],
        embedding=embedding_settings(routing_model()),
    script:
        "../scripts/route_index.py"


rule route_eval:
    """The chosen router scored once on the held-out rows and the off-domain test queries."""
    input:
        index=paths.ROUTER_INDEX,
        selection=paths.ROUTER_SELECTION,
        parquets=expand(paths.PROCESSED, name=NAMES),
        embeddings=expand(ROUTING_VECTORS, name=NAMES),
        model=routing_embedder_input,
        off_domain=off_domain_file,
    output:
        eval=paths.ROUTER_EVAL,
        confusion=report(
            paths.ROUTER_CONFUSION,
            caption="../report/routing.rst",
            category="Routing",
        ),
    log:
        "logs/route_eval.log",
    conda:
        "../envs/embed.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        datasets=records("split", "validation"),
        off_domain=config["routing"]["off_domain"],
        embedding=embedding_settings(routing_model()),
    script:
        "../scripts/route_eval.py"


rule route_quality:
    """Routing in model-quality terms: on held-out rows, the loss of the miniModel the router
    picks against the row's own miniModel (the oracle) and the base; composing the top two
    adapters when the router is unsure is tried on validation rows and kept only if it wins.
    """
    input:
        index=paths.ROUTER_INDEX,
        validation=paths.ROUTER_VALIDATION,
        parquets=expand(paths.PROCESSED, name=NAMES),
        embeddings=expand(ROUTING_VECTORS, name=NAMES),
        models=minimodels(),
    output:
        paths.ROUTER_QUALITY,
    log:
        "logs/route_quality.log",
    benchmark:
        "logs/benchmarks/route_quality.tsv"
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=120,
    params:
        datasets=records("templates", "lora", "split", "validation"),
    script:
        "../scripts/route_quality.py"


rule answers:
    """Answers, not only losses: greedy answers to held-out prompts by the base, each dataset's own
    miniModel and the routed one (as `gom ask`, composing where route_quality kept it), scored
    against the references with chrF.
    """
    input:
        index=paths.ROUTER_INDEX,
        selection=paths.ROUTER_SELECTION,
        quality=paths.ROUTER_QUALITY,  # whether the routed answers compose where the router is unsure
        parquets=expand(paths.PROCESSED, name=NAMES),
        models=minimodels(),
        model=routing_embedder_input,
    output:
        answers=report(
            paths.ANSWERS,
            caption="../report/answers.rst",
            category="Training",
        ),
        scores=paths.ANSWER_SCORES,
    log:
        "logs/answers.log",
    benchmark:
        "logs/benchmarks/answers.tsv"
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        gpu=1,
        mem_mb=16000,
        runtime=60,
    params:
        datasets=records("templates", "lora", "split"),
        settings=config["answers"],
    script:
        "../scripts/answers.py"
