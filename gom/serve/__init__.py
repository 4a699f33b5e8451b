"""Serving the graph of models: an OpenAI-compatible API, a web page and a vLLM bundle."""
