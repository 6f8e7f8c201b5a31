"""URL × method × cast matrix for calendar feeds (STYLE.md rule 11).

The settings page and its buttons act only on the signed-in user's own address; the feed is
public by its secret (anonymous included) and shows its owner's deadlines whoever asks.
Allowed POSTs change state; refused ones (and the confirmation page) change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from agencies.once import new_token
from feeds import services
from feeds.models import CalendarFeed
from tests.conftest import CAST
from tests.coordination_factories import make_task

ANON = 302  # redirect to the sign-in page


def expect(default: int, **overrides: int) -> dict[str, int]:
    codes = {name: default for name in CAST}
    codes["anonymous"] = ANON
    codes.update(overrides)
    return codes


EVERYONE = {name: 200 for name in CAST}  # the feed: the secret is the key, not the session
NOBODY = {name: 404 for name in CAST}

# (url name, feeds before the request, which address, method, POST data, expected codes)
MATRIX = [
    ("calendar_settings", "all", None, "get", None, expect(200)),
    ("calendar_create", "none", None, "post", {"once": "token"}, expect(302)),
    # Without "confirmed": the page that asks, nothing changed.
    ("calendar_regenerate", "all", None, "post", {}, expect(200)),
    ("calendar_regenerate", "all", None, "post", {"confirmed": "1"}, expect(302)),
    ("calendar_revoke", "all", None, "post", {}, expect(200)),
    ("calendar_revoke", "all", None, "post", {"confirmed": "1"}, expect(302)),
    ("calendar_feed_file", "all", "chair", "get", None, EVERYONE),
    ("calendar_feed_file", "all", "unknown", "get", None, NOBODY),
    ("calendar_feed_file", "none", "revoked", "get", None, NOBODY),
]
COVERED_URL_METHODS = {(row[0], row[3]) for row in MATRIX}

CASES = [
    pytest.param(*row, who, row[5][who], id=f"{row[3]}-{row[0]}-{row[1]}-{row[2]}-{i}-{who}")
    for i, row in enumerate(MATRIX)
    for who in CAST
]


@pytest.fixture
def world(request, noivu):
    make_task(actor=noivu, title="Góp ý dự thảo Quy chế phối hợp")
    return {name: request.getfixturevalue(name) for name in CAST[1:]}


def _address(kind, users) -> str:
    if kind == "unknown":
        return reverse("calendar_feed_file", args=["A" * 43])
    feed, _created = services.feed_create(actor=users["chair_focal"])
    secret = feed.secret()
    if kind == "revoked":
        services.feed_revoke(actor=users["chair_focal"])
    return reverse("calendar_feed_file", args=[secret])


def snapshot():
    return sorted(CalendarFeed.objects.values_list("user_id", "digest"))


@pytest.mark.django_db
@pytest.mark.parametrize("url_name,feeds,address,method,data,codes,who,expected", CASES)
def test_permission_matrix(
    world, cast, url_name, feeds, address, method, data, codes, who, expected
):
    if feeds == "all":
        for user in world.values():
            services.feed_create(actor=user)
    url = _address(address, world) if address else reverse(url_name)
    client = cast(who)
    if data and "once" in data:
        data = {**data, "once": new_token()}
    before = snapshot()
    response = client.post(url, data) if method == "post" else client.get(url)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous" and expected == ANON:
        assert response.url.startswith(reverse("login"))
    if method == "post":
        changed = snapshot() != before
        assert changed == (expected == 302 and who != "anonymous")
        if changed:  # only the actor's own address
            others = [row for row in before if row[0] != world[who].pk]
            assert [row for row in snapshot() if row[0] != world[who].pk] == others
    if url_name == "calendar_feed_file" and expected == 200:
        calendar = Calendar.from_ical(response.content)
        assert str(calendar["X-WR-CALNAME"]) == "CCHC – Sở Tư pháp"
        assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == [
            "Hạn: Góp ý dự thảo Quy chế phối hợp"
        ]
