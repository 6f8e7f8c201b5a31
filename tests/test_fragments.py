"""Cached page parts (issue 14, ``agencies.fragments``): never served after the data they
show changed, whatever wrote it; forms keep the reader's own CSRF token; a create form's
one-time token is never cached."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import user_logged_in
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies import fragments
from coordination.models import Task
from tests.conftest import login
from tests.coordination_factories import make_task

pytestmark = pytest.mark.django_db


def _get(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_a_bulk_update_is_shown_at_once(noivu, chair_focal):
    task = make_task(actor=noivu, title="Tên cũ")
    client = login(chair_focal)
    url = reverse("task_list")
    first, built = _get(client, url)
    again, read = _get(client, url)
    assert "Tên cũ" in first and "Tên cũ" in again and read < built  # from the cache
    Task.objects.filter(pk=task.pk).update(title="Tên mới")  # no signal, no save()
    html, _ = _get(client, url)
    assert "Tên mới" in html and "Tên cũ" not in html


def test_a_raw_sql_write_is_shown_at_once(noivu, chair_focal):
    task = make_task(actor=noivu, title="Trước")
    client = login(chair_focal)
    url = reverse("task_detail", args=[task.pk])
    assert "Trước" in _get(client, url)[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Task._meta.db_table} SET title = %s WHERE id = %s", ["Sau", task.pk]
        )
    assert "Sau" in _get(client, url)[0]


def test_each_user_has_their_own_parts(noivu, chair_focal, contrib_focal, unrelated_focal):
    task = make_task(actor=noivu, title="Việc của Sở Tư pháp", contributors=("STC",))
    url = reverse("task_list")
    assert "Việc của Sở Tư pháp" in _get(login(chair_focal), url)[0]
    assert "Việc của Sở Tư pháp" not in _get(login(unrelated_focal), url)[0]
    # Another body's item by its address: 404 before any cache is read.
    assert login(unrelated_focal).get(reverse("task_detail", args=[task.pk])).status_code == 404


def test_a_sign_in_keeps_the_parts_a_rename_does_not(noivu, chair_focal):
    make_task(actor=noivu, title="Việc")
    labels = ("agencies", "coordination")
    before = fragments.data_version(labels)[0]
    user_logged_in.send(sender=type(noivu), request=HttpRequest(), user=noivu)  # last_login
    noivu.refresh_from_db()
    assert fragments.data_version(labels)[0] == before
    noivu.full_name = "Tên khác"
    noivu.save()
    assert fragments.data_version(labels)[0] != before


def test_a_cached_form_carries_the_readers_own_token(noivu):
    task = make_task(actor=noivu)
    url = reverse("task_detail", args=[task.pk])
    tokens = []
    for _ in range(2):  # two browsers of the same user: the second page is from the cache
        client = Client(enforce_csrf_checks=True)
        client.force_login(noivu)
        html = client.get(url).content.decode()
        assert fragments.CSRF_PLACEHOLDER not in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append(token)
        remind = client.post(reverse("task_remind", args=[task.pk]), {"csrfmiddlewaretoken": token})
        assert remind.status_code in (200, 302)  # accepted (a 403 if the token were not)
    assert tokens[0] != tokens[1]


def test_a_create_form_is_never_cached(rf, noivu):
    request = rf.get("/")
    request.user = noivu
    with pytest.raises(ValueError, match="create form"):
        fragments.cached(
            request,
            "test:create",
            apps_read=("coordination",),
            build=lambda: '<form><input type="hidden" name="once" value="abc"></form>',
        )


def test_a_form_with_a_readers_own_token_is_never_cached(rf, noivu):
    request = rf.get("/")
    request.user = noivu
    with pytest.raises(ValueError, match="has a form"):
        fragments.cached(
            request,
            "test:token",
            apps_read=("coordination",),
            build=lambda: '<form><input name="csrfmiddlewaretoken" value="abc"></form>',
        )


def test_a_part_built_just_after_a_write_is_not_kept(settings, noivu, chair_focal):
    """Outside a transaction cachalot stamps a table just before the write: a part built in
    the next seconds may predate it, so it is served but not kept."""
    settings.FRAGMENT_SETTLE_SECONDS = 5
    make_task(actor=noivu, title="Vừa ghi")
    client = login(chair_focal)
    url = reverse("task_list")
    _get(client, url)  # the parts of what was not written (the bell's count) are kept
    _, first = _get(client, url)
    _, again = _get(client, url)
    assert again == first  # built again: nothing was kept
    settings.FRAGMENT_SETTLE_SECONDS = 0
    _, built = _get(client, url)
    _, read = _get(client, url)
    assert read < built


def test_a_late_commit_with_an_older_stamp_still_changes_the_version():
    """Each table's own stamp makes the version: a transaction that wrote first and
    committed last sets an older stamp than one already seen, and the version moves."""
    from cachalot.utils import get_table_cache_key
    from django.core.cache import cache

    labels = ("coordination",)
    key = get_table_cache_key("default", Task._meta.db_table)
    cache.set(key, 2000.0, None)
    cache.set(get_table_cache_key("default", "coordination_participation"), 3000.0, None)
    before, newest = fragments.data_version(labels)
    cache.set(key, 1000.0, None)  # older than the newest stamp seen
    after, newest_after = fragments.data_version(labels)
    assert newest_after == newest and after != before


# --- The object, the user's actions and the header kept with the parts (issue 14) --------


def test_an_item_seen_once_is_refused_once_its_body_leaves_it(noivu, contrib_focal):
    """The item page keeps its access check with its part; a change of who takes part is a
    new data version, so the check runs again and refuses."""
    from coordination import services
    from tests.factories import agency

    task = make_task(actor=noivu, contributors=("STC",))
    client = login(contrib_focal)
    url = reverse("task_detail", args=[task.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # from the cache, no query for the item
    services.task_set_participants(
        actor=noivu,
        task=task,
        spec=services.ParticipantSpec(
            chair=agency("STP"),
            tracker=agency("SNV"),
            contributors=[agency("TUYHOA")],
            contributor_due_dates={},
        ),
    )
    assert client.get(url).status_code == 404
    assert client.get(reverse("task_history", args=[task.pk])).status_code == 404


def test_a_cached_item_page_is_never_served_to_another_user(noivu, chair_focal, unrelated_focal):
    task = make_task(actor=noivu, title="Việc riêng")
    url = reverse("task_detail", args=[task.pk])
    assert "Việc riêng" in login(chair_focal).get(url).content.decode()
    assert login(unrelated_focal).get(url).status_code == 404
    assert login(unrelated_focal).get(reverse("task_history", args=[task.pk])).status_code == 404


def test_the_item_page_title_is_escaped_from_the_cache(noivu, chair_focal):
    task = make_task(actor=noivu, title="<script>alert(1)</script> Góp ý")
    client = login(chair_focal)
    for _ in range(2):  # built, then read from the cache
        html = client.get(reverse("task_detail", args=[task.pk])).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Góp ý" in html
        history = client.get(reverse("task_history", args=[task.pk])).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Góp ý" in history


def test_a_new_role_shows_in_the_menu_at_once(chair_focal):
    """The header (user box and menu) is cached per user; the user's roles and body are
    kept per data version: a role given moves it."""
    from django.contrib.auth.models import Group

    client = login(chair_focal)
    assert "Việc chạy nền" not in client.get(reverse("home")).content.decode()
    chair_focal.groups.add(Group.objects.get(name="role:noivu_officer"))
    html = client.get(reverse("home")).content.decode()
    assert "Việc chạy nền" in html and "Tạo nhiệm vụ" in html
    assert client.get(reverse("job_list")).status_code == 200


def test_a_renamed_body_shows_in_the_header_at_once(chair_focal):
    client = login(chair_focal)
    assert "Sở Tư pháp" in client.get(reverse("profile")).content.decode()
    chair_focal.agency.short_name = "Sở Tư pháp (mới)"
    chair_focal.agency.save()
    assert "Sở Tư pháp (mới)" in client.get(reverse("profile")).content.decode()


def test_the_menu_marks_the_page_the_user_is_on(chair_focal):
    client = login(chair_focal)
    current = re.compile(r'<a href="([^"]+)" aria-current="page">')
    assert current.findall(client.get(reverse("home")).content.decode()) == [reverse("home")]
    assert current.findall(client.get(reverse("task_list")).content.decode()) == [
        reverse("task_list")
    ]
    assert current.findall(client.get(reverse("reports_home")).content.decode()) == [
        reverse("reports_home")
    ]
    assert current.findall(client.get(reverse("profile")).content.decode()) == []


def test_a_page_that_asks_no_role_reads_no_kept_user(chair_focal, django_assert_num_queries):
    """The user's roles are read when first asked: a page that needs none (the
    notifications) reads nothing of them (agencies.middleware.KnownUserMiddleware)."""
    client = login(chair_focal)
    client.get(reverse("notification_list"))
    # The session, the user, the data version, the header, the unread count, the page's.
    with django_assert_num_queries(6):
        assert client.get(reverse("notification_list")).status_code == 200


BELL = re.compile(r'Thông báo <span class="count">(\d+)</span>')


def _bell(client, url) -> tuple[int, list[str]]:
    """The unread count beside the bell, and the SQL of the request."""
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url).content.decode()
    found = BELL.search(html)
    return int(found.group(1)) if found else 0, [q["sql"] for q in ctx.captured_queries]


def test_the_bell_is_counted_once_and_moves_with_every_notification_write(chair_focal):
    """The unread count is kept per user until any notification is written (reminders, a
    reader marking theirs read, a bulk update): then counted again on the next page."""
    from coordination.models import Notification

    counted = 'FROM "coordination_notification"'
    client = login(chair_focal)
    url = reverse("task_list")
    assert _bell(client, url)[0] == 0
    unread, sql = _bell(client, url)
    assert unread == 0 and not any(counted in q for q in sql)  # kept

    Notification.objects.create(user=chair_focal, message="Có nhiệm vụ mới")
    unread, sql = _bell(client, url)
    assert unread == 1 and any(counted in q for q in sql)
    Notification.objects.bulk_create(
        [Notification(user=chair_focal, message=f"Nhắc việc {n}") for n in range(2)]
    )
    assert _bell(client, url)[0] == 3

    response = client.post(reverse("notification_read_all"))
    assert response.status_code == 302
    assert _bell(client, url)[0] == 0
    Notification.objects.filter(user=chair_focal).update(read_at=None)  # no signal
    assert _bell(client, url)[0] == 3


def test_each_user_has_their_own_bell(chair_focal, contrib_focal):
    from coordination.models import Notification

    Notification.objects.create(user=chair_focal, message="Chỉ cho Sở Tư pháp")
    assert _bell(login(chair_focal), reverse("task_list"))[0] == 1
    assert _bell(login(contrib_focal), reverse("task_list"))[0] == 0


def test_a_notification_leaves_the_items_parts_kept(noivu):
    """Notifications are tracked apart: writing one moves the bell, not the version of
    everything ``coordination`` shows."""
    from cachalot.utils import get_table_cache_key

    from coordination.models import Notification

    make_task(actor=noivu, title="Việc")
    items = fragments.data_version(("coordination",))[0]
    bell = fragments.data_version((), ("coordination_notification",))[0]
    Notification.objects.create(user=noivu, message="Nhắc việc")
    assert fragments.data_version(("coordination",))[0] == items
    assert fragments.data_version((), ("coordination_notification",))[0] != bell
    # Tables never stamped (written on every request or sign-in) are not read at all.
    keys = fragments._stamp_keys(("agencies", "coordination"))
    never = ("agencies_user", "agencies_securityevent", "coordination_notification")
    assert not {get_table_cache_key("default", t) for t in never} & set(keys)
    assert get_table_cache_key("default", "coordination_task") in keys
