"""Graph of Models: per-dataset specialist models, a measured map of how datasets relate,
and one entry point that sends each question to the right specialist.

Each workflow stage has one module here (config, convert, embed, profiles, edges, graph, base,
train, transfer, generate, route, embedder);
the Snakemake rules call them through thin scripts in ``scripts/``.
"""

__version__ = "0.1.0"
