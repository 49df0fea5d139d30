"""The built-in filters and the seed's default chain, registered like any plugin's.

Each rule is written once, on Arrow columns (``filter_table``, with the helpers of
:mod:`tweetgen.filters.columns`); called on a stream of posts, a built-in runs that same rule
on the posts' table. Cleaning filters drop posts they empty; those are counted as ``short
tweets`` (an empty post has no words), the row the seed counted them in. See
``docs/filters.md`` for each filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tweetgen.errors import FilterError
from tweetgen.filters import columns as cx
from tweetgen.filters import text as tx
from tweetgen.filters.apply import column_method, run_on_posts
from tweetgen.filters.base import Clean, Drop, Filter, TableStep
from tweetgen.filters.dedup import near_duplicates
from tweetgen.filters.languages import is_language, primary
from tweetgen.filters.scripts import token_length
from tweetgen.plugins.hookspecs import hookimpl
from tweetgen.plugins.options import (
    parse_bool,
    parse_fraction,
    parse_int,
    parse_str,
    parse_str_list,
)
from tweetgen.records.post import Post, PostKind

#: Reason of every cleaning filter: what it drops are posts it emptied.
SHORT = "short tweets"
#: Rows that may hold a URL (a superset of ``text.URL_START``: RE2 has no lookbehind; ``ſ``
#: is the one extra letter Python's case-insensitive match takes for ``s``).
URL_CANDIDATE = r"http[sſ]?://|www\.|t\.co/"
#: A t.co link whose path is letters and digits, up to whitespace or the end: removing it
#: gives nothing back and cannot splice a new link together, so one regex pass is exact.
_PLAIN_LINK = r"https?://t\.co/[A-Za-z0-9]+(?:[\t-\r\x1c-\x1f ]|$)"
#: Whitespace that does not break lines (``str.isspace`` but not ``str.splitlines``).
INLINE_SPACE_CLASS = r"[\t\x1f \x{a0}\x{1680}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]"
#: A plain link with the spaces before it (not line breaks), as ``text.remove_urls`` takes it.
_SPACED_PLAIN_LINK = rf"{INLINE_SPACE_CLASS}*(?i:https?://t\.co/)[A-Za-z0-9]+"
#: A line of plain links and spaces alone, with its ``\n``: ``text.remove_urls`` drops it.
_PLAIN_LINK_LINE = (
    rf"(?m)^{INLINE_SPACE_CLASS}*(?:(?i:https?://t\.co/)[A-Za-z0-9]+{INLINE_SPACE_CLASS}*)+"
    r"(?:\n|$)"
)
#: Line breaks other than ``\n`` (``str.splitlines`` knows them all).
OTHER_BREAK_CLASS = r"[\r\x0b\x0c\x1c\x1d\x1e\x85\x{2028}\x{2029}]"
#: Every line break ``str.splitlines`` knows.
BREAK_CLASS = r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\x{2028}\x{2029}]"
#: Whitespace ``collapse_whitespace`` may change: any but single inner spaces and single or
#: double ``\n`` between words.
_LOOSE_SPACE = (
    "[" + "".join(f"\\x{{{ord(c):x}}}" for c in cx.PY_SPACES if c not in " \n") + "]"
    r"|  | \n|\n |\n\n\n|^[ \n]|[ \n]$"
)
#: What ``scrub_contacts`` looks for starts with ``@`` or two digits (``\d`` takes any script's).
_CONTACT_CANDIDATE = r"[^\x00-\x7f]|@|[0-9][0-9]"


def _text(table: pa.Table) -> pa.ChunkedArray:
    return table.column("text")


def _urls_removed(text: cx.Column) -> cx.Column:
    """``text.remove_urls`` on the rows that may hold a URL. A speed trick that
    benchmarks/RESULTS.md weighs: rows whose links are all plain ``https://t.co/abc123``
    links and whose only line break is ``\\n`` go by two Arrow regexes (link-only lines, then
    the links with the spaces before them) instead."""
    rows = np.flatnonzero(cx.contains(text, URL_CANDIDATE, ignore_case=True))
    if not len(rows):
        return text
    some = cx.flat(text.take(pa.array(rows, pa.int64())))
    found = pc.count_substring_regex(some, URL_CANDIDATE, ignore_case=True)
    plain = pc.count_substring_regex(some, _PLAIN_LINK, ignore_case=True)
    simple = cx.to_bools(pc.and_(pc.greater(found, 0), pc.equal(found, pc.multiply(plain, 2))))
    simple &= ~cx.contains(some, OTHER_BREAK_CLASS)  # "https://" and "t.co/" in each link
    new: cx.Column = some
    if simple.any():
        lines = pc.replace_substring_regex(some.filter(simple), _PLAIN_LINK_LINE, "")
        links = pc.replace_substring_regex(lines, _SPACED_PLAIN_LINK, "")
        trimmed = pc.utf8_trim(links, characters=cx.PY_SPACES)
        new = pc.replace_with_mask(some, pa.array(simple), cx.flat(trimmed))
    new = cx.rewrite(new, ~simple, tx.remove_urls)
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(cx.flat(text), pa.array(mask), cx.flat(new))


def _replies(table: pa.Table) -> np.ndarray:
    is_reply = cx.to_bools(pc.equal(table.column("kind"), PostKind.REPLY.value))
    return is_reply | cx.to_bools(pc.is_valid(table.column("reply_to")))


class _BuiltIn:
    """The stream form of a column rule, and a ``repr`` with the options, so chains and
    errors say how each step was configured."""

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        if column_method(cast(Filter, self)) is None:  # a subclass overrode the per-post rule
            return super().__call__(posts)  # type: ignore[misc]
        return run_on_posts(cast(Filter, self), posts)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({options})"


# huggingtweets parity ----------------------------------------------------------------------


class DropRetweets(_BuiltIn, Drop):
    """Reposts are someone else's words. ``RT @`` catches sources that lack ``kind``."""

    name = "drop-retweets"
    reason = "retweets"

    def filter_table(self, table: pa.Table) -> TableStep:
        retweet = cx.to_bools(pc.equal(table.column("kind"), PostKind.RETWEET.value))
        return TableStep(pa.array(~(retweet | cx.starts_after_spaces(_text(table), "RT @"))))


def _ascii_marks() -> np.ndarray:
    """Per byte, as ``columns.word_counts`` reads ASCII: 1 space, 2 word character, 4 opener,
    8 tag; drawn from the rules' own tests (``str.isspace``, ``text.is_word``)."""
    marks = np.zeros(256, dtype=np.uint8)
    for code in range(128):
        char = chr(code)
        marks[code] = (
            1 * char.isspace()
            | 2 * tx.is_word(char)
            | 4 * (char in tx.OPENERS)
            | 8 * (char in tx.TAGS)
        )
    return marks


_ASCII_MARKS = _ascii_marks()


def _seed_words(token: str) -> int:
    return int(tx.is_word(token))


def _script_words(token: str) -> int:
    return token_length(token) if tx.is_word(token) else 0


class DropShort(_BuiltIn, Drop):
    """Posts shorter than ``min_words`` words; URLs, @mentions and #hashtags do not count.

    In scripts written without spaces (Chinese, Japanese, Thai...) every two letters count
    as a word (:mod:`tweetgen.filters.scripts`); ``by_script=false`` counts whitespace tokens
    only, as the seed did.
    """

    name = "drop-short"
    reason = "short tweets"

    def __init__(self, min_words: int | str = 3, by_script: bool | str = True) -> None:
        self.min_words = parse_int(min_words, name=f"{self.name}: min_words", error=FilterError)
        self.by_script = parse_bool(by_script, name=f"{self.name}: by_script", error=FilterError)

    def filter_table(self, table: pa.Table) -> TableStep:
        """Words of the text less its URLs, weighed token by token."""
        weight = _script_words if self.by_script else _seed_words
        counts = cx.word_counts(_urls_removed(_text(table)), weight, _ASCII_MARKS)
        return TableStep(pa.array(counts >= self.min_words))


class RemoveUrls(_BuiltIn, Clean):
    """Links are noise to a language model and would teach it to invent t.co links."""

    name = "remove-urls"
    reason = SHORT

    def filter_table(self, table: pa.Table) -> TableStep:
        new = _urls_removed(_text(table))
        return TableStep(pa.array(cx.not_blank(new)), new)


def plain_text_sources() -> frozenset[str]:
    """Sources whose plugin says its text is already unescaped (``text_is_plain = True``)."""
    from tweetgen.plugins import get_sources

    return frozenset(n for n, c in get_sources().items() if getattr(c, "text_is_plain", False))


class UnescapeHtml(_BuiltIn, Clean):
    """``&amp;`` to ``&`` once; not idempotent on purpose (see docs/filters.md).

    Posts from sources that already unescaped their text (X archive and API, snscrape,
    Mastodon, Bluesky: ``text_is_plain``) are left alone, so an ``&amp;`` their author typed
    stays ``&amp;``; ``all_sources=true`` unescapes those too.
    """

    name = "unescape-html"
    reason = SHORT

    def __init__(self, all_sources: bool | str = False) -> None:
        label = f"{self.name}: all_sources"
        self.all_sources = parse_bool(all_sources, name=label, error=FilterError)

    def filter_table(self, table: pa.Table) -> TableStep:
        """Posts of skipped sources are kept as they are, blank or not."""
        text = _text(table)
        plain = np.zeros(len(text), dtype=bool)
        skipped = frozenset() if self.all_sources else plain_text_sources()
        if skipped:
            plain = cx.to_bools(pc.is_in(table.column("source"), pa.array(sorted(skipped))))
        new = cx.rewrite(text, cx.contains(text, "&") & ~plain, tx.unescape_html)
        return TableStep(pa.array(plain | cx.not_blank(new)), new)


class CollapseWhitespace(_BuiltIn, Clean):
    """Single spaces, trimmed lines, at most one blank line; line breaks are kept."""

    name = "collapse-whitespace"
    reason = SHORT

    def filter_table(self, table: pa.Table) -> TableStep:
        text = _text(table)
        return TableStep(*cx.cleaned(text, cx.contains(text, _LOOSE_SPACE), tx.collapse_whitespace))


class Newlines(_BuiltIn, Clean):
    """``keep=False``: line breaks become spaces; ``keep=True``: all become ``\\n``."""

    name = "newlines"
    reason = SHORT

    def __init__(self, keep: bool | str = False) -> None:
        self.keep = parse_bool(keep, name=f"{self.name}: keep", error=FilterError)

    def filter_table(self, table: pa.Table) -> TableStep:
        rule = tx.normalise_newlines if self.keep else tx.join_lines
        return TableStep(*cx.cleaned(_text(table), cx.contains(_text(table), BREAK_CLASS), rule))


# beyond the seed ---------------------------------------------------------------------------


class DropReplies(_BuiltIn, Drop):
    """Replies (``kind`` reply or a ``reply_to``) are half of a conversation."""

    name = "drop-replies"
    reason = "replies"

    def filter_table(self, table: pa.Table) -> TableStep:
        return TableStep(pa.array(~_replies(table)))


class StripReplyMentions(_BuiltIn, Clean):
    """Remove the run of @mentions a reply starts with; mention-only replies are dropped."""

    name = "strip-reply-mentions"
    reason = SHORT

    def __init__(self, replies_only: bool | str = True) -> None:
        label = f"{self.name}: replies_only"
        self.replies_only = parse_bool(replies_only, name=label, error=FilterError)

    def filter_table(self, table: pa.Table) -> TableStep:
        """With ``replies_only``, other posts are kept as they are, blank or not."""
        text = _text(table)
        rows = cx.starts_after_spaces(text, "@", "＠")
        others = ~_replies(table) if self.replies_only else np.zeros(len(text), dtype=bool)
        new = cx.rewrite(text, rows & ~others, tx.strip_leading_mentions)
        return TableStep(pa.array(others | cx.not_blank(new)), new)


class KeepLanguages(_BuiltIn, Drop):
    """Keep posts whose language (primary subtag, ``en-GB`` is ``en``) is in ``languages``."""

    name = "keep-languages"
    reason = "other languages"

    def __init__(
        self, languages: str | Sequence[str] | None = None, keep_unknown: bool | str = True
    ) -> None:
        if languages is None:
            raise FilterError(f"{self.name}: needs languages=... (for example languages=en,de)")
        label = f"{self.name}: languages"
        wanted = parse_str_list(languages, name=label, error=FilterError)
        if not wanted:
            raise FilterError(f"{self.name}: languages must name at least one language")
        self.languages = sorted({primary(lang) for lang in wanted})  # zhCn, zh_cn: zh
        label = f"{self.name}: keep_unknown"
        self.keep_unknown = parse_bool(keep_unknown, name=label, error=FilterError)

    def _drops_lang(self, lang: str) -> bool:
        tag = primary(lang)
        return tag not in self.languages if is_language(tag) else not self.keep_unknown

    def filter_table(self, table: pa.Table) -> TableStep:
        """Decide once per distinct language tag, then look the rows up."""
        langs = pc.fill_null(table.column("lang"), "")
        kept = [v for v in pc.unique(langs).to_pylist() if not self._drops_lang(v)]
        return TableStep(pc.is_in(langs, value_set=pa.array(kept, pa.string())))


class MaxLength(_BuiltIn, Drop):
    """Drop (not truncate: a cut post teaches a cut voice) posts over ``max_chars``."""

    name = "max-length"
    reason = "long posts"

    def __init__(self, max_chars: int | str = 280) -> None:
        label = f"{self.name}: max_chars"
        self.max_chars = parse_int(max_chars, name=label, minimum=1, error=FilterError)

    def filter_table(self, table: pa.Table) -> TableStep:
        return TableStep(pc.less_equal(pc.utf8_length(_text(table)), self.max_chars))


class DropDuplicates(_BuiltIn, Drop):
    """Keep the first of posts equal after NFKC, case folding and collapsing whitespace."""

    name = "drop-duplicates"
    reason = "duplicates"

    def filter_table(self, table: pa.Table) -> TableStep:
        """``normalise`` once per distinct text; then the first row of each key is kept."""
        texts = pc.dictionary_encode(cx.flat(_text(table)))
        keys = [tx.normalise(t) for t in texts.dictionary.to_pylist()]
        key_of = np.unique(np.array(keys, dtype=object), return_inverse=True)[1]
        rows = key_of[texts.indices.to_numpy(zero_copy_only=False)] if keys else []
        first = np.zeros(len(texts), dtype=bool)
        first[np.unique(rows, return_index=True)[1]] = True
        return TableStep(pa.array(first))


class DropNearDuplicates(_BuiltIn, Drop):
    """Drop posts whose shingle Jaccard with an earlier kept post is >= ``threshold``."""

    name = "drop-near-duplicates"
    reason = "near-duplicates"

    def __init__(self, threshold: float | str = 0.8, shingle: int | str = 4) -> None:
        label = f"{self.name}: threshold"
        self.threshold = parse_fraction(threshold, name=label, error=FilterError)
        label = f"{self.name}: shingle"
        self.shingle = parse_int(shingle, name=label, minimum=1, error=FilterError)

    def filter_table(self, table: pa.Table) -> TableStep:
        dropped = near_duplicates(_text(table).to_pylist(), self.threshold, self.shingle)
        return TableStep(pa.array([not d for d in dropped], pa.bool_()))


class ScrubContacts(_BuiltIn, Clean):
    """Replace e-mail addresses and phone numbers with placeholders (``""`` removes them)."""

    name = "scrub-contacts"
    reason = SHORT

    def __init__(self, email: str = "[email]", phone: str = "[phone]") -> None:
        self.email = parse_str(email, name=f"{self.name}: email", error=FilterError)
        self.phone = parse_str(phone, name=f"{self.name}: phone", error=FilterError)
        for option, value in (("email", self.email), ("phone", self.phone)):
            if "@" in value or any(c.isdigit() for c in value):
                raise FilterError(f"{self.name}: {option} placeholder may not hold @ or digits")

    def _scrub(self, text: str) -> str:
        return tx.scrub_contacts(text, self.email, self.phone)

    def filter_table(self, table: pa.Table) -> TableStep:
        text = _text(table)
        return TableStep(*cx.cleaned(text, cx.contains(text, _CONTACT_CANDIDATE), self._scrub))


# the chain and the registration ------------------------------------------------------------

BUILTIN_FILTERS: tuple[type[Any], ...] = (
    DropRetweets,
    DropShort,
    RemoveUrls,
    UnescapeHtml,
    CollapseWhitespace,
    Newlines,
    DropReplies,
    StripReplyMentions,
    KeepLanguages,
    DropDuplicates,
    DropNearDuplicates,
    ScrubContacts,
    MaxLength,
)


def default_filters(
    *, reply_mentions: bool = False, leading_mentions: bool = False
) -> list[Filter]:
    """The seed's chain, with the @mentions posts start with removed.

    Unescape before counting words (``me &amp; you`` is 2 words, not 3); remove URLs before
    collapsing the spaces they leave; strip the handles a post starts with, a reply's or not
    (other people's names the model would otherwise learn to write: on Mastodon a post that
    opens with ``@bob@host`` is often no reply; ``reply_mentions=True`` keeps them all,
    ``leading_mentions=True`` strips only replies'); drop short posts last, on final text.
    """
    chain: list[Filter] = [DropRetweets(), UnescapeHtml(), RemoveUrls()]
    if not reply_mentions:
        chain.append(StripReplyMentions(replies_only=leading_mentions))
    return [*chain, CollapseWhitespace(), DropShort()]


@hookimpl
def register_filters(register: Callable[[type[Any]], None]) -> None:
    for cls in BUILTIN_FILTERS:
        register(cls)
