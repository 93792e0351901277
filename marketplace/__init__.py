"""marketplace-batch: the batch back office of the marketplace (shared core: settings, storage, database, errors, CLI)."""
