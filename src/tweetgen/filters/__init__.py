"""Filters: composable steps that drop or clean posts before training."""

from tweetgen.filters.base import Chain, Clean, Drop, Filter

__all__ = ["Chain", "Clean", "Drop", "Filter"]
