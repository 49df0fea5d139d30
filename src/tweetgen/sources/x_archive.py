"""X (Twitter) account archive source: TODO (being written)."""
