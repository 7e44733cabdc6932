"""The HTTP API (FastAPI). Routes only turn HTTP into calls of :mod:`geo.operations`."""
