"""Posts on HF ``datasets`` (:class:`tweetgen.corpus.corpus.Corpus`), its files and data table.

The names in a saved corpus folder live here, not in :mod:`tweetgen.corpus.corpus`, so that
checking an output folder does not import ``datasets`` (half a second before any reading).
"""

#: The corpus's description: format, report, meta.
META_FILE = "corpus.json"
#: The posts, as ``datasets`` saves them.
POSTS_DIR = "posts"
