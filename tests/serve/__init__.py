"""Tests of ``tweetgen serve`` (a package so that its conftest has a name of its own)."""
