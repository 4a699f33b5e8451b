"""`gom ask`: route a question and answer it with the chosen miniModel, with the base model where
the router abstains, or with the top two miniModels composed where the router is unsure and the
route_quality job kept composing (``gom.routing.compose``)."""

from __future__ import annotations

import sys
from pathlib import Path

from gom.errors import GomError


def ask(args) -> int:
    from gom.lm.generate import BaseModel, MiniModel
    from gom.routing.router import Router

    router = Router(args.results, embedding_model=args.embedding_model, compose=not args.no_compose)
    route = router.route([args.query], top_k=1)[0]
    models = Path(args.models_dir)
    loading = {"trust_remote_code": args.trust_remote_code, "base_model": args.base_model}
    if route["choice"] is None:
        # Off-domain: answer with the plain base model the miniModels were trained on.
        print("[no suitable miniModel: answering with the base model]", file=sys.stderr)
        model = BaseModel.of(models, route["ranking"][0]["model"], **loading)
    else:
        mix = route.get("mix") or [{"model": route["choice"], "weight": 1.0}]
        dirs = [models / part["model"] for part in mix]
        for name, model_dir in zip((part["model"] for part in mix), dirs):
            if not (model_dir / "adapter_config.json").exists():
                raise GomError(
                    f"the router chose '{name}', but {model_dir}/ holds no miniModel: build it with "
                    f"`snakemake --cores all {model_dir}`"
                )
        score = f"score {route['ranking'][0]['score']:.3f}"
        if len(mix) > 1:
            parts = " + ".join(f"{p['model']} {p['weight']:.1f}" for p in mix)
            print(f"[{parts} composed: the router is unsure, {score}]", file=sys.stderr)
        else:
            print(f"[{route['choice']}, {score}]", file=sys.stderr)
        weights = [part["weight"] for part in mix]
        model = MiniModel(dirs[0], mix=list(zip(dirs, weights)) if len(mix) > 1 else None, **loading)
    print(model.generate(args.query, max_new_tokens=args.max_new_tokens))
    return 0
