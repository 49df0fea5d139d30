"""Posts on HF ``datasets`` (:class:`tweetgen.corpus.corpus.Corpus`), its files and data table."""
