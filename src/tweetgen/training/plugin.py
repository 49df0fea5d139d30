"""Registers the built-in trainer: TODO (being written)."""
