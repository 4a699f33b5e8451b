rule serve_bundle:
    """The vLLM bundle: every miniModel checked against what vLLM's LoRA loader accepts, then a
    manifest, a ready `vllm serve` command line and the router's settings (a local rule: it only
    reads small files)."""
    input:
        models=minimodels(),
        index=paths.ROUTER_INDEX,
        selection=paths.ROUTER_SELECTION,
    output:
        manifest=paths.SERVE_MANIFEST,
        command=paths.SERVE_COMMAND,
        router=paths.SERVE_ROUTER,
    log:
        "logs/serve_bundle.log",
    conda:
        "../envs/train.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        max_loras=config["serve"]["max_loras"],
    script:
        "../scripts/serve_bundle.py"
