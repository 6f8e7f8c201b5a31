"""Personal API tokens (issue 17, point 2): created, listed and revoked on the profile,
stored hashed and shown once; the API's token and session authentication, the token's scope
and the rate limit.

The authentication tests use a tiny API view of their own (``urlpatterns`` below, with the
project's default authentication, permission and throttle classes), so they do not depend
on the API's endpoints."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from django.views.i18n import set_language
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import FormReceipt
from agencies.once import new_token
from api import tokens
from api.models import ApiToken
from phuyen_cchc.home import home
from tests.conftest import login
from tests.factories import in_days


class Echo(APIView):
    """Who the API sees; a POST that changes nothing (the scope test needs a write verb)."""

    def get(self, request):
        return Response({"user": request.user.get_username(), "token": _pk(request.auth)})

    def post(self, request):
        return Response({"ok": True}, status=201)


def _pk(auth):
    return auth.pk if isinstance(auth, ApiToken) else None


# The project's pages but not the API's own routes (another part of the work): the echo
# view stands in for them.
urlpatterns = [
    path("t-api/echo/", Echo.as_view(), name="t_api_echo"),
    path("accounts/", include("agencies.auth_urls")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("profile/tokens/", include("api.token_urls")),
    path("calendar/", include("feeds.urls")),
    path("tasks/", include("coordination.urls")),
    path("scoring/", include("scoring.urls")),
    path("reports/", include("reports.urls")),
    path("", home, name="home"),
    path("", include("agencies.urls")),
]
ECHO = "/t-api/echo/"

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the rate limit's counters
    yield
    cache.clear()


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def make(user, *, scope="write", days=30, name="Đồng bộ LGSP"):
    return tokens.token_create(user=user, name=name, scope=scope, expires_at=in_days(days))


def text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def create_form(**overrides) -> dict:
    return {
        "name": "Đồng bộ LGSP",
        "scope": "write",
        "expires_at": in_days(30).isoformat(),
        "once": new_token(),
        **overrides,
    }


# --- The pages ----------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(chair_focal):
    client = login(chair_focal)
    response = client.post(reverse("api_token_create"), create_form())
    assert response.status_code == 200
    token = ApiToken.objects.get()
    page = response.content.decode()
    key = page.split('<code class="secret">')[1].split("</code>")[0]
    assert key.startswith("cchc_") and len(key) >= 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix) and token.prefix != key
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    stored += json.dumps(list(ApiToken.history.values()), default=str)
    assert key not in stored
    assert "no-store" in response["Cache-Control"]
    assert (token.user, token.name, token.scope) == (chair_focal, "Đồng bộ LGSP", "write")
    assert timezone.localtime(token.expires_at).date() == in_days(31)  # to the end of the day
    # Never again: the list shows the prefix, not the key.
    listing = client.get(reverse("api_token_list")).content.decode()
    assert token.prefix in listing and key not in listing
    assert client.get(ECHO, **bearer(key)).json()["user"] == "t_stp"


def test_sent_twice_the_form_creates_one_token_and_shows_the_key_no_more(chair_focal):
    client = login(chair_focal)
    data = create_form()
    first = client.post(reverse("api_token_create"), data)
    second = client.post(reverse("api_token_create"), data)
    assert first.status_code == 200
    key = first.content.decode().split('<code class="secret">')[1].split("</code>")[0]
    assert second.status_code == 302 and second.url == reverse("api_token_list")
    assert ApiToken.objects.count() == 1
    shown = client.get(second.url).content.decode()
    assert "đã được gửi trước đó" in shown and key not in shown


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("name", "", "Hãy đặt tên cho khóa"),
        ("name", "   ", "Hãy đặt tên cho khóa"),
        ("name", "x" * 101, "dài quá 100 ký tự"),
        ("expires_at", "", "Hãy chọn ngày hết hạn"),
        ("expires_at", "2020-01-01", "phải sau hôm nay"),
        ("expires_at", "today", "phải sau hôm nay"),
        ("expires_at", "far", "tối đa 365 ngày"),
        ("expires_at", "31/02/2027", "Ngày không hợp lệ"),
        ("scope", "admin", "không hợp lệ"),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_creates_nothing(chair_focal, field, value, message):
    value = {"today": in_days(0).isoformat(), "far": in_days(366).isoformat()}.get(value, value)
    response = login(chair_focal).post(reverse("api_token_create"), create_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()
    assert not FormReceipt.objects.exists()  # the form can be sent again once corrected


def test_the_last_allowed_day_is_accepted(chair_focal, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    response = login(chair_focal).post(
        reverse("api_token_create"), create_form(expires_at=in_days(30).isoformat())
    )
    assert response.status_code == 200 and ApiToken.objects.count() == 1


def test_the_list_shows_my_tokens_only_in_constant_queries(
    chair_focal, contrib_focal, django_assert_num_queries
):
    make(contrib_focal, name="Của Sở Tài chính")
    client = login(chair_focal)
    make(chair_focal, name="Khóa một")
    client.get(reverse("api_token_list"))  # warm the session's one-time lookups
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("api_token_list"))
    sqls = [q["sql"] for q in few.captured_queries]
    # The frame of every page (session, user, roles, unread notifications, body) and one list.
    assert len(sqls) <= 6, "\n".join(sqls)
    for n in range(5):
        revoked, _key = make(chair_focal, name=f"Khóa {n}")
        tokens.token_revoke(token=revoked, actor=chair_focal)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("api_token_list"))
    page = response.content.decode()
    assert "Khóa một" in page and "Khóa 4" in page and "Đã thu hồi" in page
    assert "Của Sở Tài chính" not in page


def test_revoking_asks_first_then_the_token_stops_at_once(chair_focal):
    token, key = make(chair_focal)
    client = login(chair_focal)
    assert client.get(ECHO, **bearer(key)).status_code == 200
    url = reverse("api_token_revoke", args=[token.pk])
    asked = client.post(url)
    assert asked.status_code == 200
    assert "Thu hồi khóa “Đồng bộ LGSP”?" in asked.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    done = client.post(url, {"confirmed": "1"})
    assert done.status_code == 302 and done.url == reverse("api_token_list")
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = client.get(ECHO, **bearer(key))
    assert refused.status_code == 401 and "thu hồi" in text(refused)
    again = client.post(url, {"confirmed": "1"})
    assert again.status_code == 302
    assert token.history.filter(history_type="~").count() == 1


def test_another_users_token_id_gives_404_and_changes_nothing(chair_focal, contrib_focal):
    token, _key = make(contrib_focal)
    client = login(chair_focal)
    url = reverse("api_token_revoke", args=[token.pk])
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_creation_and_revocation_are_in_history_under_the_user(chair_focal):
    client = login(chair_focal)
    client.post(reverse("api_token_create"), create_form())
    token = ApiToken.objects.get()
    client.post(reverse("api_token_revoke", args=[token.pk]), {"confirmed": "1"})
    records = list(token.history.order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert {r.history_user for r in records} == {chair_focal}
    assert records[0].history_change_reason == "Tạo khóa truy cập API"
    assert records[1].revoked_at is not None
    assert not hasattr(records[0], "key_hash")


def test_the_profile_links_to_the_token_page(chair_focal):
    page = login(chair_focal).get(reverse("profile")).content.decode()
    assert reverse("api_token_list") in page


# --- The service --------------------------------------------------------------------


def test_token_create_takes_a_datetime_or_a_date(chair_focal):
    at = timezone.now() + dt.timedelta(hours=36)
    token, key = tokens.token_create(user=chair_focal, name="A", scope="read", expires_at=at)
    assert token.expires_at == at and token.read_only
    token, key = tokens.token_create(
        user=chair_focal, name="B", scope="write", expires_at=in_days(2)
    )
    assert timezone.localtime(token.expires_at).date() == in_days(3)
    assert tokens.token_for_key(key) == token


def test_token_create_refuses_every_bad_field_at_once(chair_focal):
    with pytest.raises(ValidationError) as caught:
        tokens.token_create(user=chair_focal, name="", scope="x", expires_at=in_days(-1))
    assert set(caught.value.message_dict) == {"name", "scope", "expires_at"}
    assert not ApiToken.objects.exists()


# --- Token authentication -----------------------------------------------------------


def test_the_token_is_the_user_and_records_its_last_use(chair_focal):
    token, key = make(chair_focal)
    response = Client().get(ECHO, **bearer(key))
    assert response.status_code == 200
    assert response.json() == {"user": "t_stp", "token": token.pk}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute_without_a_read(chair_focal):
    token, _key = make(chair_focal)
    with CaptureQueriesContext(connection) as first:
        tokens.token_touch(token)
    assert len(first.captured_queries) == 1
    assert first.captured_queries[0]["sql"].startswith("UPDATE")
    with CaptureQueriesContext(connection) as second:
        tokens.token_touch(token)
    assert not second.captured_queries
    stale, _key = make(chair_focal, name="Khác")
    stale.last_used_at = timezone.now()  # another request wrote it meanwhile
    ApiToken.objects.filter(pk=stale.pk).update(last_used_at=stale.last_used_at)
    stale.last_used_at -= dt.timedelta(minutes=5)  # this request read it earlier
    tokens.token_touch(stale)
    assert ApiToken.objects.filter(pk=stale.pk, last_used_at__lt=timezone.now()).exists()


@pytest.mark.parametrize(
    "case,message",
    [
        ("unknown", "không hợp lệ"),
        ("revoked", "đã bị thu hồi"),
        ("expired", "đã hết hạn"),
        ("deactivated", "đã bị vô hiệu hóa"),
        ("malformed", "Bearer <khóa>"),
    ],
)
def test_a_token_that_may_not_work_gets_401_in_vietnamese(chair_focal, case, message):
    token, key = make(chair_focal)
    headers = bearer(key)
    if case == "unknown":
        headers = bearer("cchc_" + "x" * 43)
    elif case == "revoked":
        tokens.token_revoke(token=token, actor=chair_focal)
    elif case == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif case == "deactivated":
        chair_focal.is_active = False
        chair_focal.save()
    elif case == "malformed":
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key} thêm"}
    response = Client().get(ECHO, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert message in text(response)


def test_without_credentials_the_api_answers_401(db):
    response = Client().get(ECHO)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_read_only_token_reads_but_may_not_write(chair_focal):
    _token, key = make(chair_focal, scope="read")
    client = Client()
    assert client.get(ECHO, **bearer(key)).status_code == 200
    assert client.options(ECHO, **bearer(key)).status_code == 200
    refused = client.post(ECHO, {}, **bearer(key))
    assert refused.status_code == 403
    assert "chỉ có quyền đọc" in text(refused)
    _token, write_key = make(chair_focal, scope="write", name="Ghi")
    assert client.post(ECHO, {}, **bearer(write_key)).status_code == 201


def test_a_token_needs_no_csrf_token(chair_focal):
    _token, key = make(chair_focal)
    client = Client(enforce_csrf_checks=True)
    assert client.post(ECHO, {}, **bearer(key)).status_code == 201


# --- Session authentication ---------------------------------------------------------


def test_a_signed_in_session_reads_and_writes_with_csrf(chair_focal):
    client = Client(enforce_csrf_checks=True)
    client.force_login(chair_focal)
    assert client.get(ECHO).json() == {"user": "t_stp", "token": None}
    assert client.post(ECHO, {}).status_code == 403  # no CSRF token
    client.get(reverse("api_token_list"))
    csrf = client.cookies["csrftoken"].value
    assert client.post(ECHO, {}, HTTP_X_CSRFTOKEN=csrf).status_code == 201


def test_a_session_that_owes_its_second_factor_is_refused(chair_focal):
    TOTPDevice.objects.create(user=chair_focal, name="authenticator", confirmed=True)
    client = login(chair_focal)
    response = client.get(ECHO)
    assert response.status_code == 401
    assert "xác thực hai yếu tố" in text(response)
    # The same user's token works: it was created in a session that passed the second factor.
    _token, key = make(chair_focal)
    assert Client().get(ECHO, **bearer(key)).status_code == 200


def test_a_session_of_a_role_that_must_set_up_two_factor_is_refused(noivu, settings):
    settings.MFA_REQUIRED = True
    response = login(noivu).get(ECHO)
    assert response.status_code == 401
    assert "bắt buộc dùng xác thực hai yếu tố" in text(response)


def test_an_expired_session_is_signed_out_before_the_api_runs(chair_focal, settings):
    client = login(chair_focal)
    session = client.session
    session["_login_at"] = 0  # signed in long ago
    session.save()
    response = client.get(ECHO)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(ECHO).status_code == 401  # signed out


# --- Rate limit ---------------------------------------------------------------------


def test_over_the_rate_a_token_gets_429_with_retry_after(chair_focal, settings):
    settings.API_TOKEN_RATE = "3/min"
    _token, key = make(chair_focal)
    client = Client()
    assert [client.get(ECHO, **bearer(key)).status_code for _ in range(3)] == [200] * 3
    refused = client.get(ECHO, **bearer(key))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # Per token: the user's other token still has its own allowance.
    _other, other_key = make(chair_focal, name="Khác")
    assert client.get(ECHO, **bearer(other_key)).status_code == 200


def test_a_session_is_limited_per_user(chair_focal, settings):
    settings.API_TOKEN_RATE = "2/min"
    client = login(chair_focal)
    assert [client.get(ECHO).status_code for _ in range(3)] == [200, 200, 429]
    assert login(chair_focal).get(ECHO).status_code == 429  # another session, same user


# --- Admin --------------------------------------------------------------------------


def test_the_admin_lists_tokens_without_the_secret_and_revokes(chair_focal, django_user_model):
    token, key = make(chair_focal)
    admin_user = django_user_model.objects.create_superuser("t_admin", "a@example.gov.vn", "x")
    client = login(admin_user)
    page = client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert token.prefix in page and key not in page and token.key_hash not in page
    response = client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.history.latest().history_user == admin_user
    assert Client().get(ECHO, **bearer(key)).status_code == 401


@pytest.mark.django_db
def test_a_token_made_to_expire_on_a_day_shows_that_day_to_its_last_minute(chair_focal):
    day = timezone.localdate() + dt.timedelta(days=30)
    tokens.token_create(user=chair_focal, name="Đến hết ngày", scope="read", expires_at=day)
    page = login(chair_focal).get(reverse("api_token_list")).content.decode()
    assert f"{day:%d/%m/%Y} 23:59" in page
    assert f"{day + dt.timedelta(days=1):%d/%m/%Y}" not in page
