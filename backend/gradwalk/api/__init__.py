"""The web layer: a thin FastAPI app over the pure core. Nothing outside this package imports FastAPI."""
