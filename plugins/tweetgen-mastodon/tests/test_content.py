"""Mastodon HTML to the text its author typed."""

from __future__ import annotations

import pytest
from tweetgen_mastodon.content import acct_from_url, render

from tweetgen import Url

BOB = (
    '<span class="h-card" translate="no"><a href="https://other.example/@bob" '
    'class="u-url mention">@<span>bob</span></a></span>'
)


def test_paragraphs_and_line_breaks() -> None:
    assert render("<p>one<br>two<br />three</p><p>four</p>").text == "one\ntwo\nthree\n\nfour"


def test_entities_are_decoded_exactly_once() -> None:
    assert render("<p>fish &amp; chips &amp;lt;3 &quot;yes&quot;</p>").text == (
        'fish & chips &lt;3 "yes"'
    )


def test_link_keeps_the_hidden_parts_of_its_text() -> None:
    html = (
        '<p><a href="https://example.com/a/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/a/lo</span>'
        '<span class="invisible">ng/path</span></a></p>'
    )
    rendered = render(html)
    assert rendered.text == "https://example.com/a/long/path"
    assert rendered.urls == (
        Url("https://example.com/a/long/path", "https://example.com/a/long/path"),
    )


def test_mentions_become_user_at_host() -> None:
    rendered = render(f"<p>{BOB} hi</p>")
    assert rendered.text == "@bob@other.example hi"
    assert rendered.mentions == ("bob@other.example",)
    assert rendered.urls == ()


def test_known_accounts_win_over_the_url() -> None:
    rendered = render(f"<p>{BOB}</p>", {"https://other.example/@bob": "robert@elsewhere.example"})
    assert rendered.text == "@robert@elsewhere.example"


def test_hashtags_stay_as_text_and_are_not_links() -> None:
    html = (
        '<p><a href="https://h.example/tags/art" class="mention hashtag" rel="tag">'
        "#<span>art</span></a></p>"
    )
    rendered = render(html)
    assert (rendered.text, rendered.urls, rendered.mentions) == ("#art", (), ())


def test_blocks_lists_and_plain_text() -> None:
    assert render("<blockquote><p>quoted</p></blockquote><p>mine</p>").text == "quoted\n\nmine"
    assert render("<ul><li>a</li><li>b</li></ul>").text == "a\nb"
    assert render("no markup at all").text == "no markup at all"


@pytest.mark.parametrize(
    ("url", "acct"),
    [
        ("https://mastodon.social/@alice", "alice@mastodon.social"),
        ("https://pleroma.example/users/alice", "alice@pleroma.example"),
        ("https://mastodon.social/@alice@elsewhere.example", "alice@elsewhere.example"),
        ("https://mastodon.social/about", None),
        ("not a url", None),
    ],
)
def test_acct_from_url(url: str, acct: str | None) -> None:
    assert acct_from_url(url) == acct
