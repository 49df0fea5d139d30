"""snscrape's own dataclasses through the same mapping as the JSONL (skipped where it won't import).

The scraper itself is patched: these tests build ``Tweet`` objects the way snscrape does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from tweetgen_snscrape import SnscrapeSource, item_to_post, read_jsonl, tweet_to_dict

from tweetgen import Post, PostKind, SourceError, Url
from tweetgen.testing import contract_problems

try:
    import snscrape.base
    import snscrape.modules.twitter as tw
except Exception:  # not installed, or 0.7 on Python 3.12+
    pytest.skip("snscrape does not import here", allow_module_level=True)

ALICE = tw.User(username="alice_writes", id=1001, displayname="Alice Writes")
BOB = tw.User(username="bob", id=2002)
WHEN = datetime(2023, 5, 20, 9, tzinfo=timezone.utc)


def tweet(id: int, text: str, user: Any = ALICE, **fields: Any) -> Any:
    return tw.Tweet(
        url=f"https://twitter.com/{user.username}/status/{id}",
        date=WHEN,
        rawContent=text,
        renderedContent=text,
        id=id,
        user=user,
        replyCount=0,
        retweetCount=0,
        likeCount=0,
        quoteCount=0,
        conversationId=id,
        lang="en",
        **fields,
    )


TWEETS = [
    tweet(5, "tea &amp; toast #breakfast", hashtags=["breakfast"]),
    tweet(4, "@bob agreed", inReplyToTweetId=3, inReplyToUser=BOB, mentionedUsers=[BOB]),
    tweet(2, "RT @bob: hello", retweetedTweet=tweet(1, "hello", user=BOB), mentionedUsers=[BOB]),
    tweet(
        6,
        "see https://t.co/abc",
        quotedTweet=tweet(1, "hello", user=BOB),
        links=[tw.TextLink("example.org", "https://example.org/", "https://t.co/abc", (4, 20))],
    ),
]


def test_dataclasses_map_like_the_jsonl() -> None:
    posts = [item_to_post(tweet_to_dict(t)) for t in TWEETS]
    assert not contract_problems(posts, "snscrape")
    assert [p.kind for p in posts] == [
        PostKind.ORIGINAL,
        PostKind.REPLY,
        PostKind.RETWEET,
        PostKind.QUOTE,
    ]
    assert posts[0].text == "tea & toast #breakfast"
    assert posts[0].created_at == WHEN
    assert (posts[1].reply_to, posts[1].mentions) == ("3", ("bob",))
    assert posts[3].urls == (Url("https://t.co/abc", "https://example.org/"),)


def test_jsonl_written_by_snscrape_reads_back_the_same(tmp_path: Path) -> None:
    """``snscrape --jsonl`` prints ``item.json()`` per line: both paths must agree."""
    path = tmp_path / "alice.jsonl"
    path.write_text("".join(t.json() + "\n" for t in TWEETS), encoding="utf-8")
    from_objects: list[Post] = [item_to_post(tweet_to_dict(t)) for t in TWEETS]
    from_file = list(read_jsonl(path))
    assert [p.to_record() for p in from_file] == [p.to_record() for p in from_objects]


def test_live_scrape_with_a_patched_scraper(monkeypatch: pytest.MonkeyPatch) -> None:
    def get_items(self: Any) -> Iterator[Any]:
        yield from TWEETS

    monkeypatch.setattr(tw.TwitterUserScraper, "get_items", get_items)
    posts = list(SnscrapeSource().read("alice_writes"))
    assert [p.id for p in posts] == ["5", "4", "2", "6"]


def test_live_scrape_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def get_items(self: Any) -> Iterator[Any]:
        raise snscrape.base.ScraperException("4 requests to https://twitter.com/... failed")
        yield

    monkeypatch.setattr(tw.TwitterUserScraper, "get_items", get_items)
    with pytest.raises(SourceError, match=r"ScraperException: 4 requests.*since mid-2023"):
        list(SnscrapeSource().read("alice_writes"))
