"""Routing a query to the miniModel of the dataset it belongs to: the index, its evaluation, the
runtime router."""
