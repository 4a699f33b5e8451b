"""Where the workflow writes each output: one place for the rules, the CLI's defaults and the
"build it with `snakemake ...`" hints. Patterns take Snakemake's wildcards ({name}, {a}, {b},
{metric}); everything is relative to the working directory."""

# Separates the two dataset names of a pair's edge file (names may not contain it).
PAIR_SEPARATOR = "__"

PROCESSED = "datasets/processed/{name}.parquet"
STATS = "datasets/processed/{name}.stats.json"
EMBEDDINGS = "results/embeddings/{name}.npy"
EMBEDDINGS_META = "results/embeddings/{name}.json"
PROFILE = "results/profiles/{name}.npz"
EDGE = "results/edges/{a}" + PAIR_SEPARATOR + "{b}.json"

GRAPH_DIR = "results/graph"
MATRIX = GRAPH_DIR + "/matrix_{metric}.csv"
GRAPHML = GRAPH_DIR + "/graph.graphml"
PICTURE = GRAPH_DIR + "/graph_{metric}.{ext}"

MODELS_DIR = "models"
MINIMODEL = MODELS_DIR + "/{name}"
TINY_BASE = MODELS_DIR + "/base"
EMBEDDER = MODELS_DIR + "/embedder"
CHECKPOINT = MODELS_DIR + "/.checkpoints/{name}.pt"

TRAINING_DIR = "results/training"
CROSS_LOSS = TRAINING_DIR + "/cross_loss.csv"
CROSS_LOSS_PICTURE = TRAINING_DIR + "/cross_loss.png"
EDGE_VALIDITY = TRAINING_DIR + "/edge_validity.json"

ROUTING_DIR = "results/routing"
ROUTER_INDEX = ROUTING_DIR + "/index.npz"
ROUTER_EVAL = ROUTING_DIR + "/eval.json"
ROUTER_CONFUSION = ROUTING_DIR + "/confusion.png"

EMBEDDER_EVAL = "results/embedder/eval.json"
EMBEDDER_EVAL_TABLE = "results/embedder/eval.csv"


def edge(a: str, b: str) -> str:
    return EDGE.format(a=a, b=b)
