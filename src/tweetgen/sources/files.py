"""JSONL / CSV source: TODO (being written)."""
