"""Stated taste parsing: request phrasing stripped, price caps, platform filter words."""

import pytest

from recommender.query import parse_taste, strip_request
from recommender.service import _platform_of


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Can you recommend a racing game for PS4?", "a racing game for PS4"),
        ("please suggest me some headphones", "some headphones"),
        ("I'm looking for a tent", "a tent"),
        ("racing games", "racing games"),
        ("?", "?"),
    ],
)
def test_strip_request(text, expected):
    assert strip_request(text) == expected


def test_parse_taste_combines_request_price_and_category():
    taste = parse_taste("Could you recommend racing games for PS4 under 40 dollars?", ["Video Games", "racing"])
    assert taste.text == "racing games for PS4" and taste.max_price == 40.0 and taste.category == "racing"


@pytest.mark.parametrize(
    "query, platform",
    [("racing games for PS4", "ps4"), ("a switch game", "switch"), ("games for ps4 or ps5", None), ("a tent", None), (None, None)],
)
def test_platform_of(query, platform):
    assert _platform_of(query) == platform
