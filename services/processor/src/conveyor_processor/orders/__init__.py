"""Orders: stored once in PostgreSQL, mirrored in the read model, then announced."""
