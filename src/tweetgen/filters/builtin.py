"""Built-in filters: TODO (being written)."""
