"""Language-model miniModels: the tiny base, training data, loading, checkpoints, the trainer,
the model card, generation and cross-evaluation (transfer)."""
