"""The built-in filters and the seed's default chain, registered like any plugin's.

Cleaning filters drop posts they empty; those are counted as ``short tweets`` (an empty post
has no words), the row the seed counted them in. See ``docs/filters.md`` for each filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from tweetgen.errors import FilterError
from tweetgen.filters import text as tx
from tweetgen.filters.base import Clean, Drop, Filter, TableStep
from tweetgen.filters.dedup import near_duplicates
from tweetgen.filters.languages import primary
from tweetgen.filters.options import as_bool, as_fraction, as_int, as_str, as_str_list
from tweetgen.filters.scripts import post_length
from tweetgen.plugins.hookspecs import hookimpl
from tweetgen.records.post import Post, PostKind
from tweetgen.records.schema import first_occurrences

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

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
#: ``text._LEADING_MENTIONS`` for ASCII text in RE2, which has no lookahead: a mention is
#: followed by whitespace or the end (``\\s`` and ``\\w`` spelled out as Python has them).
_ASCII_LEADING_MENTIONS = (
    r"^[\t-\r\x1c-\x1f ]*(?:@[A-Za-z0-9_][A-Za-z0-9_.@-]*(?:[\t-\r\x1c-\x1f ]+|$))+"
)
#: Every line break ``str.splitlines`` knows.
BREAK_CLASS = r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\x{2028}\x{2029}]"


def _unspaced_rows(text: pa.ChunkedArray) -> np.ndarray:
    """Rows holding a code point of an unspaced script (``scripts.UNSPACED_RANGES``)."""
    from tweetgen.filters import bytescan as bs
    from tweetgen.filters.scripts import UNSPACED_RANGES

    return bs.holding_points(text, UNSPACED_RANGES)


def _with_text(table: pa.Table, text: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index("text"), "text", text)


def _text(table: pa.Table) -> pa.ChunkedArray:
    """The text column as it is: the column helpers take it chunk by chunk, and flattening a
    million posts' text would copy it once per filter."""
    return table.column("text")


def _cleaned(
    table: pa.Table, candidates: pa.Array | np.ndarray, clean: Callable[[str], str]
) -> TableStep:
    """A cleaning step: ``clean`` on the candidate rows, then drop what became blank."""
    from tweetgen.filters import bytescan as bs
    from tweetgen.filters import vector as vx

    text = vx.rewrite(_text(table), candidates, clean)
    return TableStep(bs.not_blank(text), text)


def _replies(table: pa.Table) -> pa.Array:
    import pyarrow.compute as pc

    from tweetgen.filters import vector as vx

    is_reply = pc.equal(table.column("kind"), PostKind.REPLY.value)
    return vx.any_of(is_reply, pc.is_valid(table.column("reply_to")))


class _Described:
    """``repr`` with the options, so chains and errors say how each step was configured."""

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({options})"


def _is_reply(post: Post) -> bool:
    return post.kind == PostKind.REPLY or post.reply_to is not None


# huggingtweets parity ----------------------------------------------------------------------


class DropRetweets(_Described, Drop):
    """Reposts are someone else's words. ``RT @`` catches sources that lack ``kind``."""

    name = "drop-retweets"
    reason = "retweets"

    def drops(self, post: Post) -> bool:
        return post.kind == PostKind.RETWEET or post.text.lstrip().startswith("RT @")

    def filter_table(self, table: pa.Table) -> TableStep:
        import pyarrow as pa
        import pyarrow.compute as pc

        from tweetgen.filters import bytescan as bs
        from tweetgen.filters import vector as vx

        retweet = pc.equal(table.column("kind"), PostKind.RETWEET.value)
        marked = pa.array(bs.starts_after_spaces(_text(table), "RT @"))
        return TableStep(pc.invert(vx.any_of(retweet, marked)))


class DropShort(_Described, Drop):
    """Posts shorter than ``min_words`` words; URLs, @mentions and #hashtags do not count.

    In scripts written without spaces (Chinese, Japanese, Thai...) every two letters count
    as a word (:mod:`tweetgen.filters.scripts`); ``by_script=false`` counts whitespace tokens
    only, as the seed did.
    """

    name = "drop-short"
    reason = "short tweets"

    def __init__(self, min_words: int | str = 3, by_script: bool | str = True) -> None:
        self.min_words = as_int(min_words, filter=self.name, option="min_words")
        self.by_script = as_bool(by_script, filter=self.name, option="by_script")

    def length(self, text: str) -> int:
        return post_length(text) if self.by_script else tx.count_words(text)

    def drops(self, post: Post) -> bool:
        return self.length(post.text) < self.min_words

    def filter_table(self, table: pa.Table) -> TableStep:
        """Rows that may hold a URL (and, by script, non-ASCII rows) are counted by
        :meth:`length`, the rest by Arrow."""
        import numpy as np
        import pyarrow as pa

        from tweetgen.filters import bytescan as bs
        from tweetgen.filters import vector as vx

        text = _text(table)
        slow = bs.url_candidates(text, URL_CANDIDATE)
        if self.by_script:  # letters of unspaced scripts count by twos: Python's rule
            slow |= _unspaced_rows(text)
        counts = np.zeros(len(text), dtype=np.int64)
        fast_rows, slow_rows = np.flatnonzero(~slow), np.flatnonzero(slow)
        if len(slow_rows):
            fast = text.take(pa.array(fast_rows, pa.int64()))
            counts[fast_rows] = bs.word_counts(fast, tx.OPENERS)
        else:
            counts = bs.word_counts(text, tx.OPENERS)
        if len(slow_rows):
            counts[slow_rows] = [self.length(t) for t in vx.python_values(text, slow_rows)]
        return TableStep(pa.array(counts >= self.min_words))


class RemoveUrls(_Described, Clean):
    """Links are noise to a language model and would teach it to invent t.co links."""

    name = "remove-urls"
    reason = SHORT

    def clean(self, text: str) -> str:
        return tx.remove_urls(text)

    def filter_table(self, table: pa.Table) -> TableStep:
        """Texts whose links are all plain ``https://t.co/abc123`` links and whose only line
        break is ``\\n`` by two Arrow regexes (link-only lines, then the links with the spaces
        before them); any other text that may hold a link by ``remove_urls``."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from tweetgen.filters import bytescan as bs
        from tweetgen.filters import vector as vx

        text = _text(table)
        rows = np.flatnonzero(bs.url_candidates(text, URL_CANDIDATE))
        if not len(rows):
            return TableStep(bs.not_blank(text), text)
        some = vx.flat(text.take(pa.array(rows, pa.int64())))
        found = pc.count_substring_regex(some, URL_CANDIDATE, ignore_case=True)
        plain = pc.count_substring_regex(some, _PLAIN_LINK, ignore_case=True)
        simple = vx.to_bools(
            vx.all_of(
                pc.greater(found, 0),
                pc.equal(found, pc.multiply(plain, 2)),  # "https://" and "t.co/" in each
                pc.invert(vx.contains(some, OTHER_BREAK_CLASS)),
            )
        )
        new = some
        if simple.any():
            lines = pc.replace_substring_regex(some.filter(simple), _PLAIN_LINK_LINE, "")
            links = pc.replace_substring_regex(lines, _SPACED_PLAIN_LINK, "")
            trimmed = pc.utf8_trim(links, characters=vx.PY_SPACES)
            new = pc.replace_with_mask(new, pa.array(simple), vx.flat(trimmed))
        new = vx.rewrite(new, ~simple, tx.remove_urls)
        mask = np.zeros(len(text), dtype=bool)
        mask[rows] = True
        text = pc.replace_with_mask(vx.flat(text), pa.array(mask), vx.flat(new))
        return TableStep(bs.not_blank(text), text)


def plain_text_sources() -> frozenset[str]:
    """Sources whose plugin says its text is already unescaped (``text_is_plain = True``)."""
    from tweetgen.plugins import get_sources

    return frozenset(n for n, c in get_sources().items() if getattr(c, "text_is_plain", False))


class UnescapeHtml(_Described, Clean):
    """``&amp;`` to ``&`` once; not idempotent on purpose (see docs/filters.md).

    Posts from sources that already unescaped their text (X archive and API, snscrape,
    Mastodon, Bluesky: ``text_is_plain``) are left alone, so an ``&amp;`` their author typed
    stays ``&amp;``; ``all_sources=true`` unescapes those too.
    """

    name = "unescape-html"
    reason = SHORT

    def __init__(self, all_sources: bool | str = False) -> None:
        self.all_sources = as_bool(all_sources, filter=self.name, option="all_sources")

    def clean(self, text: str) -> str:
        return tx.unescape_html(text)

    def _skipped(self) -> frozenset[str]:
        return frozenset() if self.all_sources else plain_text_sources()

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        skipped = self._skipped()
        for post in posts:
            if post.source in skipped:
                yield post
            else:
                yield from super().__call__((post,))

    def filter_table(self, table: pa.Table) -> TableStep:
        import pyarrow as pa
        import pyarrow.compute as pc

        from tweetgen.filters import bytescan as bs
        from tweetgen.filters import vector as vx

        candidates = bs.holding_ampersand(_text(table))
        skipped = self._skipped()
        if not skipped:
            return _cleaned(table, candidates, tx.unescape_html)
        plain = pc.is_in(table.column("source"), value_set=pa.array(sorted(skipped)))
        plain = pc.fill_null(plain, False)
        text = vx.rewrite(_text(table), candidates & ~vx.to_bools(plain), tx.unescape_html)
        return TableStep(vx.any_of(plain, bs.not_blank(text)), text)  # skipped: kept as is


class CollapseWhitespace(_Described, Clean):
    """Single spaces, trimmed lines, at most one blank line; line breaks are kept."""

    name = "collapse-whitespace"
    reason = SHORT

    def clean(self, text: str) -> str:
        return tx.collapse_whitespace(text)

    def filter_table(self, table: pa.Table) -> TableStep:
        """Texts whose only whitespace is single inner spaces are already collapsed."""
        from tweetgen.filters import bytescan as bs

        text = _text(table)
        candidates = bs.space_runs(text) | bs.holding_wide_space(text)
        return _cleaned(table, candidates, tx.collapse_whitespace)


class Newlines(_Described, Clean):
    """``keep=False``: line breaks become spaces; ``keep=True``: all become ``\\n``."""

    name = "newlines"
    reason = SHORT

    def __init__(self, keep: bool | str = False) -> None:
        self.keep = as_bool(keep, filter=self.name, option="keep")

    def clean(self, text: str) -> str:
        return tx.normalise_newlines(text) if self.keep else tx.join_lines(text)

    def filter_table(self, table: pa.Table) -> TableStep:
        from tweetgen.filters import vector as vx

        return _cleaned(table, vx.contains(_text(table), BREAK_CLASS), self.clean)


# beyond the seed ---------------------------------------------------------------------------


class DropReplies(_Described, Drop):
    """Replies (``kind`` reply or a ``reply_to``) are half of a conversation."""

    name = "drop-replies"
    reason = "replies"

    def drops(self, post: Post) -> bool:
        return _is_reply(post)

    def filter_table(self, table: pa.Table) -> TableStep:
        import pyarrow.compute as pc

        return TableStep(pc.invert(_replies(table)))


class StripReplyMentions(_Described, Clean):
    """Remove the run of @mentions a reply starts with; mention-only replies are dropped."""

    name = "strip-reply-mentions"
    reason = SHORT

    def __init__(self, replies_only: bool | str = True) -> None:
        self.replies_only = as_bool(replies_only, filter=self.name, option="replies_only")

    def clean(self, text: str) -> str:
        return tx.strip_leading_mentions(text)

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        if not self.replies_only:
            return super().__call__(posts)
        return self._replies(posts)

    def _replies(self, posts: Iterable[Post]) -> Iterator[Post]:
        for post in posts:
            if _is_reply(post):
                yield from super().__call__((post,))
            else:
                yield post

    def filter_table(self, table: pa.Table) -> TableStep:
        """One Arrow regex (:data:`_ASCII_LEADING_MENTIONS`) strips the ASCII mentions a
        text starts with; ``strip_leading_mentions`` redoes the texts where a non-ASCII
        character could have changed the run (``bytescan.mentions_decided``)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from tweetgen.filters import bytescan as bs
        from tweetgen.filters import vector as vx
        from tweetgen.records.schema import string_array

        text = _text(table)
        candidates = pa.array(bs.starts_after_spaces(text, "@", "＠"))
        replies = _replies(table)  # only replies are cleaned, so only they can go blank
        if self.replies_only:
            candidates = pc.and_(candidates, replies)
        rows = vx.rows_of(candidates)
        if len(rows):
            some = vx.flat(text.take(pa.array(rows, pa.int64())))
            # anchored, so it matches once; max_replacements=1 would make Arrow 2-3x slower
            stripped = vx.flat(pc.replace_substring_regex(some, _ASCII_LEADING_MENTIONS, ""))
            unsure = np.flatnonzero(~bs.mentions_decided(some, stripped))
            new = stripped
            if len(unsure):  # Python's rule on the original texts of those rows
                again = [tx.strip_leading_mentions(t) for t in vx.python_values(some, unsure)]
                mask = np.zeros(len(some), dtype=bool)
                mask[unsure] = True
                new = pc.replace_with_mask(stripped, pa.array(mask), string_array(again))
            text = pc.replace_with_mask(vx.flat(text), vx.flat(candidates), vx.flat(new))
        if not self.replies_only:
            return TableStep(bs.not_blank(text), text)
        return TableStep(pc.or_(pc.invert(replies), bs.not_blank(text)), text)


_UNKNOWN_LANGS = frozenset({"", "und", "zxx", "mis", "mul"})


def _primary(lang: str) -> str:
    return primary(lang)  # zhCn, zh_cn and zh-CN all mean zh


def _unknown(primary: str) -> bool:
    """``und`` and friends, and X's private ``qaa``-``qtz`` codes (``qme`` media, ``qht`` tags)."""
    private = len(primary) == 3 and primary[0] == "q" and "a" <= primary[1] <= "t"
    return primary in _UNKNOWN_LANGS or private


class KeepLanguages(_Described, Drop):
    """Keep posts whose language (primary subtag, ``en-GB`` is ``en``) is in ``languages``."""

    name = "keep-languages"
    reason = "other languages"

    def __init__(
        self, languages: str | Sequence[str] | None = None, keep_unknown: bool | str = True
    ) -> None:
        if languages is None:
            raise FilterError(f"{self.name}: needs languages=... (for example languages=en,de)")
        wanted = as_str_list(languages, filter=self.name, option="languages")
        if not wanted:
            raise FilterError(f"{self.name}: languages must name at least one language")
        self.languages = sorted({_primary(lang) for lang in wanted})
        self.keep_unknown = as_bool(keep_unknown, filter=self.name, option="keep_unknown")

    def drops(self, post: Post) -> bool:
        return self._drops_lang(post.lang or "")

    def _drops_lang(self, lang: str) -> bool:
        primary = _primary(lang)
        if _unknown(primary):
            return not self.keep_unknown
        return primary not in self.languages

    def filter_table(self, table: pa.Table) -> TableStep:
        """Decide once per distinct language tag, then look the rows up."""
        import pyarrow as pa
        import pyarrow.compute as pc

        langs = pc.fill_null(table.column("lang"), "")
        kept = [v for v in pc.unique(langs).to_pylist() if not self._drops_lang(v)]
        return TableStep(pc.is_in(langs, value_set=pa.array(kept, pa.string())))


class MaxLength(_Described, Drop):
    """Drop (not truncate: a cut post teaches a cut voice) posts over ``max_chars``."""

    name = "max-length"
    reason = "long posts"

    def __init__(self, max_chars: int | str = 280) -> None:
        self.max_chars = as_int(max_chars, filter=self.name, option="max_chars", minimum=1)

    def drops(self, post: Post) -> bool:
        return len(post.text) > self.max_chars

    def filter_table(self, table: pa.Table) -> TableStep:
        import pyarrow.compute as pc

        return TableStep(pc.less_equal(pc.utf8_length(_text(table)), self.max_chars))


class DropDuplicates(_Described, Drop):
    """Keep the first of posts equal after NFKC, case folding and collapsing whitespace."""

    name = "drop-duplicates"
    reason = "duplicates"
    row_local = False  # the first of equal posts is kept: rows depend on each other

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        seen: set[str] = set()  # per call: the filter itself holds no state between corpora
        for post in posts:
            key = tx.normalise(post.text)
            if key not in seen:
                seen.add(key)
                yield post

    def filter_table(self, table: pa.Table) -> TableStep:
        """Keys by Arrow for ASCII rows (lower case, spaces collapsed), by ``normalise``
        for the rest; then the first row of each key is kept."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from tweetgen.filters import vector as vx
        from tweetgen.records.schema import string_array

        text = _text(table)
        spaced = pc.replace_substring_regex(pc.ascii_lower(text), vx.ASCII_SPACE_CLASS + "+", " ")
        keys = vx.flat(pc.utf8_trim(spaced, characters=" "))
        slow = vx.non_ascii(text)
        rows = vx.rows_of(slow)
        if len(rows):
            exact = string_array([tx.normalise(t) for t in vx.python_values(text, rows)])
            keys = pc.replace_with_mask(keys, slow, exact)
        return TableStep(pa.array(first_occurrences(keys), pa.bool_()))


class DropNearDuplicates(_Described, Drop):
    """Drop posts whose shingle Jaccard with an earlier kept post is >= ``threshold``."""

    name = "drop-near-duplicates"
    reason = "near-duplicates"
    row_local = False  # the first of equal posts is kept: rows depend on each other

    def __init__(self, threshold: float | str = 0.8, shingle: int | str = 4) -> None:
        self.threshold = as_fraction(threshold, filter=self.name, option="threshold")
        self.shingle = as_int(shingle, filter=self.name, option="shingle", minimum=1)

    def __call__(self, posts: Iterable[Post]) -> Iterator[Post]:
        batch = list(posts)
        dropped = near_duplicates([p.text for p in batch], self.threshold, self.shingle)
        return (p for p, drop in zip(batch, dropped, strict=True) if not drop)

    def filter_table(self, table: pa.Table) -> TableStep:
        import pyarrow as pa

        dropped = near_duplicates(_text(table).to_pylist(), self.threshold, self.shingle)
        return TableStep(pa.array([not d for d in dropped], pa.bool_()))


class ScrubContacts(_Described, Clean):
    """Replace e-mail addresses and phone numbers with placeholders (``""`` removes them)."""

    name = "scrub-contacts"
    reason = SHORT

    def __init__(self, email: str = "[email]", phone: str = "[phone]") -> None:
        self.email = as_str(email, filter=self.name, option="email")
        self.phone = as_str(phone, filter=self.name, option="phone")
        for option, value in (("email", self.email), ("phone", self.phone)):
            if "@" in value or any(c.isdigit() for c in value):
                raise FilterError(f"{self.name}: {option} placeholder may not hold @ or digits")

    def clean(self, text: str) -> str:
        return tx.scrub_contacts(text, self.email, self.phone)

    def filter_table(self, table: pa.Table) -> TableStep:
        """Only rows with an ``@``, two ASCII digits in a row, or any non-ASCII can change."""
        from tweetgen.filters import vector as vx

        text = _text(table)
        candidates = vx.any_of(vx.non_ascii(text), vx.contains(text, "@|[0-9][0-9]"))
        return _cleaned(table, candidates, self.clean)


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
