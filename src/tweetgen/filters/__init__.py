"""Filters: composable steps that drop or clean posts before training."""

from tweetgen.filters.base import (
    Chain,
    Clean,
    Drop,
    Filter,
    FunctionFilter,
    TableStep,
    as_filter,
    post_filter,
)

__all__ = [
    "Chain",
    "Clean",
    "Drop",
    "Filter",
    "FunctionFilter",
    "TableStep",
    "as_filter",
    "post_filter",
]
