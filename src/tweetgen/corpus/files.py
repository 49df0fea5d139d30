"""Names in a saved corpus folder, apart from :mod:`tweetgen.corpus.corpus` so that checking an
output folder does not import ``datasets`` (half a second before any reading starts)."""

#: The corpus's description: format, report, meta.
META_FILE = "corpus.json"
#: The posts, as ``datasets`` saves them.
POSTS_DIR = "posts"
