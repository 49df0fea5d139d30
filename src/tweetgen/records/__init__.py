"""The vocabulary every layer speaks: a post, its Arrow layout, and the report of what was kept."""
