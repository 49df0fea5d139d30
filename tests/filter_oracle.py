"""The built-in filters' rules written post by post: the oracle the column rules are tested on.

tweetgen runs each built-in on Arrow columns only (``tweetgen/filters/builtin.py``). Here the
same rules are stated the plain way, one post at a time, from the built-in's options, so the
property tests can compare the two on any posts. Word counting is stated from scratch
(``str.split`` and the per-token rule), not by the column code's per-distinct-token sums.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tweetgen.filters import builtin as b
from tweetgen.filters import text as tx
from tweetgen.filters.dedup import near_duplicates
from tweetgen.filters.languages import is_language, primary
from tweetgen.filters.scripts import token_length
from tweetgen.records.post import Post, PostKind

Rule = Callable[[list[Post]], Iterator[Post]]


def count_words(text: str) -> int:
    """Words as the seed counted them: whitespace tokens that are not URLs, mentions, tags."""
    return sum(1 for token in tx.remove_urls(text).split() if tx.is_word(token))


def post_length(text: str) -> int:
    """Words by script: letters of unspaced scripts count by twos (``scripts``)."""
    return sum(token_length(t) for t in tx.remove_urls(text).split() if tx.is_word(t))


def is_reply(post: Post) -> bool:
    return post.kind == PostKind.REPLY or post.reply_to is not None


def dropping(drops: Callable[[Post], bool]) -> Rule:
    return lambda posts: (p for p in posts if not drops(p))


def cleaning(clean: Callable[[str], str], applies: Callable[[Post], bool] = lambda _: True) -> Rule:
    """Rewrite the posts ``applies`` takes; those left blank are dropped, others pass as is."""

    def rule(posts: list[Post]) -> Iterator[Post]:
        for post in posts:
            if not applies(post):
                yield post
                continue
            text = clean(post.text)
            if text.strip():
                yield post if text == post.text else post.with_text(text)

    return rule


def drop_duplicates(posts: list[Post]) -> Iterator[Post]:
    seen: set[str] = set()
    for post in posts:
        key = tx.normalise(post.text)
        if key not in seen:
            seen.add(key)
            yield post


def keeps_language(f: b.KeepLanguages, post: Post) -> bool:
    tag = primary(post.lang or "")
    return tag in f.languages if is_language(tag) else f.keep_unknown


def oracle(f: object) -> Rule:
    """The per-post rule of the built-in ``f``, with ``f``'s options."""
    if isinstance(f, b.DropRetweets):
        return dropping(lambda p: p.kind == PostKind.RETWEET or p.text.lstrip().startswith("RT @"))
    if isinstance(f, b.DropShort):
        length = post_length if f.by_script else count_words
        return dropping(lambda p: length(p.text) < f.min_words)
    if isinstance(f, b.RemoveUrls):
        return cleaning(tx.remove_urls)
    if isinstance(f, b.UnescapeHtml):
        skipped = frozenset() if f.all_sources else b.plain_text_sources()
        return cleaning(tx.unescape_html, lambda p: p.source not in skipped)
    if isinstance(f, b.CollapseWhitespace):
        return cleaning(tx.collapse_whitespace)
    if isinstance(f, b.Newlines):
        return cleaning(tx.normalise_newlines if f.keep else tx.join_lines)
    if isinstance(f, b.DropReplies):
        return dropping(is_reply)
    if isinstance(f, b.StripReplyMentions):
        return cleaning(tx.strip_leading_mentions, is_reply if f.replies_only else lambda _: True)
    if isinstance(f, b.KeepLanguages):
        return dropping(lambda p: not keeps_language(f, p))
    if isinstance(f, b.MaxLength):
        return dropping(lambda p: len(p.text) > f.max_chars)
    if isinstance(f, b.DropDuplicates):
        return drop_duplicates
    if isinstance(f, b.DropNearDuplicates):
        return near_duplicate_rule(f)
    if isinstance(f, b.ScrubContacts):
        return cleaning(lambda t: tx.scrub_contacts(t, f.email, f.phone))
    raise TypeError(f"no oracle for {f!r}")


def near_duplicate_rule(f: b.DropNearDuplicates) -> Rule:
    def rule(posts: list[Post]) -> Iterator[Post]:
        dropped = near_duplicates([p.text for p in posts], f.threshold, f.shingle)
        return (p for p, drop in zip(posts, dropped, strict=True) if not drop)

    return rule


def clean_text(f: object, text: str) -> str:
    """What the cleaning built-in ``f``'s column rule makes of ``text`` in a reply, blank or
    not (the per-post ``clean(text)`` of old)."""
    from datetime import datetime, timezone

    import pyarrow as pa

    from tweetgen.records.schema import SCHEMA, post_batches

    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    post = Post("1", "me", text, when, "test", kind=PostKind.REPLY)
    table = pa.Table.from_batches(list(post_batches([post])), schema=SCHEMA)
    step = f.filter_table(table)  # type: ignore[attr-defined]
    return text if step.text is None else str(step.text[0].as_py())
