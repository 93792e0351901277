"""marketplace-batch: the shared core (settings, storage, database, errors, command line)."""
