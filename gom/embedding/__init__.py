"""Sentence embeddings: encoding datasets, fine-tuning the embedder, and evaluating it."""
