"""Sampling posts from a model folder (:class:`tweetgen.generation.generator.Generator`)."""
