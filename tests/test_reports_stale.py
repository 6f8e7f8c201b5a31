"""The consolidated draft says when the bodies' reports changed after it was compiled;
compiling again over the officer's edits, issuing and accepting ask first."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import services
from reports.models import AgencyReport, ConsolidatedReport
from tests.conftest import login
from tests.reports_factories import focal, make_round, officer, report_of, submit

pytestmark = pytest.mark.django_db

STALE = "Bản tổng hợp đã cũ."


def _compiled(codes=("STP", "STC", "TUYHOA")):
    actor = officer()
    rnd = make_round(codes=codes, actor=actor)
    submit(rnd, "STP", sections={"direction": "Tư pháp chỉ đạo kế hoạch."})
    cons = services.consolidated_get_or_create(actor=actor, rnd=rnd)
    return rnd, cons, actor


def _screen(rnd, cons, **sections) -> dict:
    """The consolidated page's form as shown, with ``sections`` typed over it."""
    data = {f"sec_{c}": cons.sections.get(c, "") for c in rnd.section_codes}
    data |= {f"sec_{c}": text for c, text in sections.items()}
    return data | {"signer_title": cons.signer_title or "GIÁM ĐỐC", "signer_name": "Lê Văn An"}


def _page(client, rnd) -> str:
    return client.get(reverse("consolidated_edit", args=[rnd.pk])).content.decode()


def test_a_fresh_draft_is_not_out_of_date():
    rnd, _cons, actor = _compiled()
    page = _page(login(actor), rnd)
    assert STALE not in page
    assert "báo cáo của các cơ quan chưa thay đổi từ đó" in page


def test_returning_a_report_after_compiling_marks_the_draft_out_of_date():
    rnd, _cons, actor = _compiled()
    services.report_return(actor=actor, report=report_of(rnd, "STP"), reason="Thiếu số liệu")
    client = login(actor)
    page = _page(client, rnd)
    assert STALE in page
    assert "Sở Tư pháp bị trả lại báo cáo lúc" in page
    # The round's page says so too.
    round_page = client.get(reverse("round_detail", args=[rnd.pk])).content.decode()
    assert STALE in round_page and "Sở Tư pháp bị trả lại báo cáo" in round_page
    # Its text is still in the draft until compiled again.
    assert "Tư pháp chỉ đạo kế hoạch." in page


def test_each_kind_of_change_is_named_in_order():
    rnd, cons, actor = _compiled()
    stp = report_of(rnd, "STP")
    services.report_return(actor=actor, report=stp, reason="Thiếu số liệu")
    submit(rnd, "STP")  # resubmitted
    submit(rnd, "STC")  # newly submitted
    services.report_accept(actor=actor, report=report_of(rnd, "STC"))
    # A draft saved by a body that has not sent anything changes nothing.
    services.report_save(
        actor=focal("TUYHOA"),
        report=report_of(rnd, "TUYHOA"),
        sections={"direction": "Nháp"},
        indicators={},
        submit=False,
    )
    from reports.selectors import consolidated_changes

    kinds = [(c.agency.code, c.kind) for c in consolidated_changes(cons)]
    assert kinds == [
        ("STP", "returned"),
        ("STP", "resubmitted"),
        ("STC", "submitted"),
        ("STC", "accepted"),
    ]
    page = _page(login(actor), rnd)
    assert "Sở Tư pháp gửi lại báo cáo" in page
    assert "Sở Tài chính gửi báo cáo" in page
    assert "Sở Tài chính được chấp nhận báo cáo" in page


def test_compiling_again_without_edits_acts_at_once_and_the_draft_is_current():
    rnd, cons, actor = _compiled()
    services.report_return(actor=actor, report=report_of(rnd, "STP"), reason="Thiếu số liệu")
    client = login(actor)
    data = _screen(rnd, cons) | {"action": "recompile"}
    response = client.post(reverse("consolidated_edit", args=[rnd.pk]), data)
    assert response.status_code == 302
    cons.refresh_from_db()
    assert "Tư pháp chỉ đạo kế hoạch." not in cons.sections["direction"]
    assert STALE not in _page(client, rnd)
    assert cons.history.first().history_change_reason == "Tổng hợp lại báo cáo"


def test_compiling_again_over_edits_asks_first_naming_the_sections():
    rnd, cons, actor = _compiled()
    services.report_return(actor=actor, report=report_of(rnd, "STP"), reason="Thiếu số liệu")
    client = login(actor)
    url = reverse("consolidated_edit", args=[rnd.pk])
    data = _screen(rnd, cons, procedures="Đoạn anh/chị tự viết") | {"action": "recompile"}
    before = (cons.sections, cons.history.count())
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tổng hợp lại và thay nội dung đã sửa?" in page
    assert "Cải cách thủ tục hành chính" in page  # the edited section, by name
    assert "Cải cách thể chế" not in page  # an untouched one is not named
    cons.refresh_from_db()
    assert (cons.sections, cons.history.count()) == before
    # The confirm page re-posts what was on screen with confirmed=1.
    assert 'value="Đoạn anh/chị tự viết"' in page
    response = client.post(url, data | {"confirmed": "1"})
    assert response.status_code == 302
    cons.refresh_from_db()
    assert cons.sections["procedures"] != "Đoạn anh/chị tự viết"
    assert "Tư pháp chỉ đạo kế hoạch." not in cons.sections["direction"]


def test_saved_edits_are_named_on_the_recompile_button():
    rnd, cons, actor = _compiled()
    services.consolidated_update(
        actor=actor,
        report=cons,
        sections={"direction": "Biên tập lại"},
        signer_title="GIÁM ĐỐC",
        signer_name="",
    )
    page = _page(login(actor), rnd)
    assert 'data-confirm="Tổng hợp lại và thay nội dung đã sửa?"' in page
    assert "Công tác chỉ đạo, điều hành cải cách hành chính" in page


def test_issuing_always_asks_and_names_the_number():
    rnd, cons, actor = _compiled()
    client = login(actor)
    url = reverse("consolidated_issue", args=[rnd.pk])
    data = _screen(rnd, cons) | {"action": "issue"}
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ban hành báo cáo tổng hợp?" in page
    assert "số 1." in page
    cons.refresh_from_db()
    assert not cons.is_issued
    assert client.post(url, data | {"confirmed": "1"}).status_code == 302
    cons.refresh_from_db()
    assert cons.is_issued and cons.number == 1


def test_issuing_an_out_of_date_draft_says_what_changed():
    rnd, cons, actor = _compiled()
    services.report_return(actor=actor, report=report_of(rnd, "STP"), reason="Thiếu số liệu")
    client = login(actor)
    page = _page(client, rnd)
    assert 'data-confirm="Ban hành báo cáo tổng hợp đã cũ?"' in page
    response = client.post(reverse("consolidated_issue", args=[rnd.pk]), _screen(rnd, cons))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ban hành báo cáo tổng hợp đã cũ?" in text
    assert "Sở Tư pháp bị trả lại báo cáo lúc" in text
    cons.refresh_from_db()
    assert not cons.is_issued


def test_an_issued_report_is_never_out_of_date():
    rnd, cons, actor = _compiled()
    services.consolidated_update(
        actor=actor, report=cons, sections={}, signer_title="GIÁM ĐỐC", signer_name="Lê Văn An"
    )
    services.report_return(actor=actor, report=report_of(rnd, "STP"), reason="Thiếu")
    services.consolidated_issue(actor=actor, report=cons)
    client = login(actor)
    assert STALE not in _page(client, rnd)
    assert STALE not in client.get(reverse("round_detail", args=[rnd.pk])).content.decode()


def test_accepting_a_report_asks_first():
    rnd, _cons, actor = _compiled()
    stp = report_of(rnd, "STP")
    client = login(actor)
    url = reverse("agency_report_accept", args=[stp.pk])
    detail = client.get(reverse("agency_report_detail", args=[stp.pk])).content.decode()
    assert 'data-confirm="Chấp nhận báo cáo của Sở Tư pháp?"' in detail
    response = client.post(url)
    assert response.status_code == 200
    assert "không trả lại được" in response.content.decode()
    stp.refresh_from_db()
    assert stp.status == AgencyReport.Status.SUBMITTED
    assert client.post(url, {"confirmed": "1"}).status_code == 302
    stp.refresh_from_db()
    assert stp.status == AgencyReport.Status.ACCEPTED


def test_a_body_cannot_reach_the_accept_question(chair_focal):
    rnd, _cons, _actor = _compiled()
    stp = report_of(rnd, "STP")
    response = login(focal("STP")).post(reverse("agency_report_accept", args=[stp.pk]))
    assert response.status_code == 403
    stp.refresh_from_db()
    assert stp.status == AgencyReport.Status.SUBMITTED


def test_the_consolidated_page_queries_do_not_grow_with_changes():
    rnd, cons, actor = _compiled(codes=("STP", "STC", "TUYHOA", "SYT", "SXD"))
    client = login(actor)
    services.report_return(actor=actor, report=report_of(rnd, "STP"), reason="Thiếu")
    url = reverse("consolidated_edit", args=[rnd.pk])
    cache.clear()  # both requests build every cached part (the bell's count too)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for code in ("STC", "TUYHOA", "SYT", "SXD"):
        submit(rnd, code)
    submit(rnd, "STP")
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)
    assert ConsolidatedReport.objects.count() == 1
