from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tweetgen import InputFormatError, Post, PostKind, Url


def make(**kw: object) -> Post:
    base: dict[str, object] = {
        "id": "1",
        "author": "ada",
        "text": "hello there world",
        "created_at": datetime(2026, 2, 20, 9, 10, 58, tzinfo=timezone.utc),
        "source": "test",
    }
    base.update(kw)
    return Post(**base)  # type: ignore[arg-type]


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(InputFormatError, match="timezone-aware"):
        make(created_at=datetime(2026, 1, 1))


def test_kind_accepts_strings() -> None:
    assert make(kind="reply", reply_to="0").kind is PostKind.REPLY


def test_record_round_trip_keeps_everything() -> None:
    post = make(
        kind=PostKind.QUOTE,
        lang="de",
        reply_to="7",
        urls=(Url("https://t.co/x", "https://example.org/a"),),
        mentions=("bob",),
        hashtags=("tag",),
        extra={"display_name": "Ada", "n": [1, 2]},
        created_at=datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))),
    )
    back = Post.from_record(post.to_record())
    assert back == post
    assert back.extra == post.extra
    assert back.created_at == post.created_at  # same instant, normalised to UTC


def test_with_text_copies() -> None:
    post = make()
    other = post.with_text("new")
    assert other.text == "new" and post.text == "hello there world" and other.id == post.id
