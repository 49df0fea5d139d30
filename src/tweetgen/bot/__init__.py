"""Publishing a model's posts to an account labelled as automated (``tweetgen post``).

:class:`Publisher` is what the ``register_publishers`` hook registers (Mastodon and Bluesky
live in their plugins); :func:`tweetgen.bot.run.post` drafts novel posts, keeps the schedule
and the ledger, and calls the publisher once per post.
"""

from tweetgen.bot.publisher import Publisher, Receipt

__all__ = ["Publisher", "Receipt"]
