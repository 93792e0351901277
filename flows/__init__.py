"""Prefect flows: thin orchestration over the plain-Python pipeline (loaders, schemas, reports)."""
