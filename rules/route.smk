rule route_index:
    """Router index from the embeddings of every dataset's training rows (never the held-out ones)."""
    input:
        parquets=expand(paths.PROCESSED, name=NAMES),
        embeddings=expand(paths.EMBEDDINGS, name=NAMES),
        model=embedder_input,
    output:
        paths.ROUTER_INDEX,
    log:
        "logs/route_index.log",
    conda:
        "../envs/embed.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        datasets=records("split"),
        model=embedding_model(),
        k=config["routing"]["k"],
    script:
        "../scripts/route_index.py"


rule route_eval:
    """Both routers on the held-out rows: accuracy, the chosen router, the abstain threshold."""
    input:
        index=paths.ROUTER_INDEX,
        parquets=expand(paths.PROCESSED, name=NAMES),
        embeddings=expand(paths.EMBEDDINGS, name=NAMES),
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
        datasets=records("split"),
        method=config["routing"]["method"],
        false_abstain_rate=config["routing"]["false_abstain_rate"],
        embedding=embedding_settings(),
    script:
        "../scripts/route_eval.py"
