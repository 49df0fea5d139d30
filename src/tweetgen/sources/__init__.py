"""Built-in sources. Each module is a plugin registered through ``register_sources``."""
