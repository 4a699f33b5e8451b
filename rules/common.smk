# Helpers only: config checking, dataset names and pairs, wildcard constraints.
# (rules/preflight.smk has made the gom package importable.)
import re
from pathlib import Path

from gom import paths
from gom.paths import earlier_inputs, edge_targets, shard_members
from gom.config import FINETUNED, prepare
from gom.errors import GomError
from gom.routing.offdomain import SHIPPED as SHIPPED_OFF_DOMAIN
from gom.lm.gguf_base import GGUF_BASES

try:
    # Checks keys, names and source files, fills in defaults (snakemake.utils.validate), and
    # resolves each dataset once: sources, templates, LoRA settings, split, items column.
    DATASETS = prepare(config, workflow.configfiles)
except GomError as error:
    raise WorkflowError(f"gom: {error}") from None

NAMES = list(config["datasets"])
METRICS = config["metrics"]["enabled"]
SHARD_SIZE = config["metrics"]["shard_size"]

_name_pattern = "|".join(re.escape(n) for n in sorted(NAMES, key=len, reverse=True))


wildcard_constraints:
    name=_name_pattern,
    a=_name_pattern,
    b=_name_pattern,
    metric="|".join(METRICS),
    shard="[0-9]+",
    block="[0-9]+",
    gguf="|".join(GGUF_BASES),


def source_files(wildcards):
    return [source["path"] for source in DATASETS[wildcards.name]["sources"]]


def source_settings(wildcards):
    return DATASETS[wildcards.name]["sources"]


def dataset_items_column(wildcards):
    return DATASETS[wildcards.name]["items_column"]


def lora_of(wildcards):
    return DATASETS[wildcards.name]["lora"]


def templates_of(wildcards):
    return DATASETS[wildcards.name]["templates"]


def base_model_of(wildcards):
    """The base a dataset trains on: a named base's directory under models/base/, or as configured."""
    base = DATASETS[wildcards.name]["lora"]["base_model"]
    return paths.NAMED_BASES.get(base, base)


def named_base_input(wildcards):
    """The workflow-built base (tiny, or one built from a GGUF), for datasets that train on one."""
    base = base_model_of(wildcards)
    return [base] if base in paths.NAMED_BASES.values() else []


def shard_names(wildcards):
    return shard_members(NAMES, int(wildcards.shard), SHARD_SIZE)


def shard_profiles(wildcards):
    return expand(paths.PROFILE, name=shard_names(wildcards))


def edge_inputs(wildcards):
    """What the edge job of a dataset reads: the shards of the blocks before its own and the
    profiles of the earlier datasets of its block (see gom.profile_sets)."""
    shards, earlier = earlier_inputs(NAMES, wildcards.name, SHARD_SIZE)
    return {
        "profile": paths.PROFILE.format(name=wildcards.name),
        "shards": [paths.PROFILE_SHARD.format(shard=s) for s in shards],
        "earlier": [paths.PROFILE.format(name=n) for n in earlier],
    }


def _block(wildcards):
    """(members, shards before the block, members with an edge file of their own already)."""
    block = int(wildcards.block)
    members = shard_members(NAMES, block, SHARD_SIZE)
    done = [n for n in members if Path(paths.EDGES.format(name=n)).exists()]
    return members, list(range(block)), done


def edge_block_inputs(wildcards):
    members, shards, done = _block(wildcards)
    return {
        "profiles": expand(paths.PROFILE, name=members),
        "shards": [paths.PROFILE_SHARD.format(shard=s) for s in shards],
        "done": [paths.EDGES.format(name=n) for n in done],
    }


def edge_block_params(wildcards):
    members, shards, done = _block(wildcards)
    return {
        "members": members,
        "shards": [shard_members(NAMES, s, SHARD_SIZE) for s in shards],
        "done": done,
    }


def edge_params(wildcards):
    shards, earlier = earlier_inputs(NAMES, wildcards.name, SHARD_SIZE)
    return {
        "shards": [shard_members(NAMES, s, SHARD_SIZE) for s in shards],
        "earlier": earlier,
    }


def minimodels():
    return expand(paths.MINIMODEL, name=NAMES)


def training_outputs():
    return minimodels() + [
        paths.CROSS_LOSS,
        paths.CROSS_LOSS_PICTURE,
        paths.EDGE_VALIDITY,
        paths.ROUTER_QUALITY,
        paths.ANSWERS,
        paths.ANSWER_SCORES,
    ]


def records(*keys):
    """{dataset: the named parts of its resolved record}, in NAMES order: the stages that see
    every dataset get one record per dataset (scripts join the input files to it)."""
    return {name: {key: DATASETS[name][key] for key in keys} for name in NAMES}


def split_of_dataset(wildcards):
    return DATASETS[wildcards.name]["split"]


def routing_outputs():
    return [
        paths.ROUTER_INDEX,
        paths.ROUTER_SELECTION,
        paths.ROUTER_VALIDATION,
        paths.ROUTER_EVAL,
        paths.ROUTER_CONFUSION,
    ]


EMBEDDER = paths.EMBEDDER


def embedding_model():
    """What embeddings, edges and routing embed with: models/embedder when it is 'finetuned'."""
    model = config["embedding"]["model"]
    return EMBEDDER if model == FINETUNED else model


def routing_model():
    """What routing embeds with: routing.embedding, or the graph's model when it is null."""
    model = config["routing"]["embedding"]
    if model is None:
        return embedding_model()
    return EMBEDDER if model == FINETUNED else model


def _is_embedder(model):
    return Path(model).resolve() == Path(EMBEDDER).resolve()


def embedder_input(wildcards=None):
    """The fine-tuned embedder as an input, when it is the model in use, so switching re-runs exactly its dependents."""
    return [EMBEDDER] if _is_embedder(embedding_model()) else []


def routing_embedder_input(wildcards=None):
    return [EMBEDDER] if _is_embedder(routing_model()) else []


def embedding_settings(model=None):
    """The embedding keys that change what embedding computes (not the fine-tuning ones)."""
    keys = ("batch_size", "max_seq_length", "device")
    return {
        "model": model or embedding_model(),
        **{k: config["embedding"][k] for k in keys},
    }


def off_domain_file(wildcards=None):
    """The off-domain queries (the user's, or the shipped set), as an input so that editing
    them re-runs routing."""
    return [config["routing"]["off_domain"] or str(SHIPPED_OFF_DOMAIN)]


def embedder_routing_settings():
    """The routing keys the embedder's evaluation reads (its knn k and which router it reports)."""
    k = config["routing"]["k"]
    return {
        "k": k if isinstance(k, int) else k[0],
        "method": config["routing"]["method"],
    }


# Routing reads the graph's embeddings when it uses the same model, else its own.
ROUTING_SPACE = "graph" if routing_model() == embedding_model() else "routing"
ROUTING_VECTORS = paths.SPACES[ROUTING_SPACE][0]


def finetune_pair_file(wildcards=None):
    pairs = config["embedding"]["finetune"].get("pairs") or {}
    return [pairs["path"]] if "path" in pairs else []


def embedder_outputs():
    """Fine-tuning is evaluated whenever the workflow uses the fine-tuned model."""
    return [paths.EMBEDDER_EVAL] if embedder_input() or routing_embedder_input() else []


def serve_outputs():
    return [paths.SERVE_MANIFEST, paths.SERVE_COMMAND, paths.SERVE_ROUTER]


def dataset_outputs():
    """Every dataset's converted table and embeddings. Listed as targets of rule all because
    Snakemake does not re-create a missing intermediate while what was built from it is present
    (after an interrupted --forcerun embed, say): a missing output always re-runs its job.
    """
    return expand(
        [paths.PROCESSED, paths.STATS, paths.EMBEDDINGS, paths.EMBEDDINGS_META],
        name=NAMES,
    )


def graph_outputs():
    return (
        expand(paths.MATRIX, metric=METRICS)
        + [paths.GRAPHML]
        + expand(paths.PICTURE, metric=METRICS, ext=["png", "svg"])
        + [paths.COMMUNITIES, paths.COMMUNITIES_REPORT]
        + expand(paths.COMMUNITIES_PICTURE, ext=["png", "svg"])
    )
