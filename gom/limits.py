"""Sizes that gom refuses past, the same for the command line and the server."""

MAX_TEXT_BYTES = 1 << 20  # a question (or a request body) longer than 1 MiB is not a question
