"""Rounds, submissions, consolidation, issuing and document caching."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone

from reports import catalog, pdf, services
from reports.models import (
    AgencyReport,
    AgencyReportVersion,
    ConsolidatedReport,
    GeneratedDocument,
    ReportRound,
)
from reports.selectors import (
    coordination_status,
    indicator_totals,
    submission_table,
)
from scoring.computed import figures
from tests.factories import agency
from tests.reports_factories import (
    GOOD_SECTIONS,
    GOOD_VALUES,
    document,
    focal,
    make_overdue,
    make_round,
    make_task,
    officer,
    report_of,
    submit,
)

pytestmark = pytest.mark.django_db


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 9, 0))


def test_periodic_rounds_for_a_year_follow_the_ministry_windows():
    rounds = services.rounds_create_for_year(actor=officer(), year=2024)
    windows = {r.period: (r.period_start, r.period_end, r.deadline, r.kind) for r in rounds}
    assert windows["Q1"] == (
        dt.date(2023, 12, 15),
        dt.date(2024, 3, 14),
        dt.date(2024, 3, 10),
        "quarterly",
    )
    assert windows["H1"][:2] == (dt.date(2023, 12, 15), dt.date(2024, 6, 14))
    assert windows["Q3"][:2] == (dt.date(2024, 6, 15), dt.date(2024, 9, 14))
    assert windows["Y"][:2] == (dt.date(2023, 12, 15), dt.date(2024, 12, 14))
    assert windows["Y"][3] == "annual"
    assert services.rounds_create_for_year(actor=officer(), year=2024) == []
    assert ReportRound.objects.filter(year=2024).count() == 4


def test_every_required_body_gets_a_draft_report():
    rnd = make_round(codes=("STP", "STC"))
    assert set(rnd.reports.values_list("agency__code", "status")) == {
        ("STP", "draft"),
        ("STC", "draft"),
    }


def test_focal_officer_cannot_open_a_round():
    with pytest.raises(PermissionDenied):
        make_round(actor=focal("STP"))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (GOOD_VALUES | {"tthc_late": -1}, "không được là số âm"),
        (GOOD_VALUES | {"tthc_on_time": 1190, "tthc_late": 20}, "vượt quá"),
        (GOOD_VALUES | {"inspections": "hai"}, "phải là một số nguyên"),
        ({k: v for k, v in GOOD_VALUES.items() if k != "inspections"}, "Chưa nhập"),
    ],
)
def test_bad_indicator_values_are_refused_with_a_message_and_nothing_saved(values, message):
    rnd = make_round()
    report = report_of(rnd, "STP")
    before = (report.status, report.indicators, report.sections, report.version)
    with pytest.raises(ValidationError) as exc:
        services.report_save(
            actor=focal("STP"),
            report=report,
            sections=GOOD_SECTIONS,
            indicators=values,
            submit=True,
        )
    assert any(message in m for m in exc.value.messages)
    report.refresh_from_db()
    assert (report.status, report.indicators, report.sections, report.version) == before
    assert not AgencyReportVersion.objects.exists()


def test_late_submission_is_marked_and_versions_are_kept():
    rnd = make_round()
    user = focal("STP")
    report = submit(rnd, "STP", user=user, when=at(rnd.deadline + dt.timedelta(days=2)))
    assert report.is_late and report.status == "submitted" and report.version == 1
    services.report_return(actor=officer(), report=report, reason="Số liệu chưa khớp")
    report.refresh_from_db()
    assert report.status == "returned" and report.return_reason == "Số liệu chưa khớp"
    values = GOOD_VALUES | {"tthc_received": 2000}
    submit(rnd, "STP", user=user, values=values)
    report.refresh_from_db()
    assert report.version == 2 and report.status == "submitted"
    versions = list(report.versions.order_by("version"))
    assert [v.indicators["tthc_received"] for v in versions] == [1200, 2000]
    assert report.history.count() >= 4


def test_return_needs_a_reason_and_accept_closes_review():
    rnd = make_round()
    report = submit(rnd, "STP")
    with pytest.raises(ValidationError):
        services.report_return(actor=officer(), report=report, reason="  ")
    services.report_accept(actor=officer(), report=report)
    report.refresh_from_db()
    assert report.status == "accepted"
    with pytest.raises(PermissionDenied):
        services.report_return(actor=officer(), report=report, reason="x")


def test_other_body_cannot_submit_for_a_report():
    rnd = make_round()
    with pytest.raises(PermissionDenied):
        submit(rnd, "STP", user=focal("STC"))


def test_submission_table_and_timeliness_for_scoring():
    rnd = make_round(codes=("STP", "STC", "TUYHOA"))
    submit(rnd, "STP", when=at(rnd.deadline))
    submit(rnd, "STC", when=at(rnd.deadline + dt.timedelta(days=1)))
    states = {row["agency"].code: row["state"] for row in submission_table(rnd)}
    assert states == {"STP": "on_time", "STC": "late", "TUYHOA": "missing"}
    window = (rnd.deadline - dt.timedelta(days=1), rnd.deadline + dt.timedelta(days=1))
    assert figures(
        "reports_on_time", agency_id=agency("STP").pk, date_from=window[0], date_to=window[1]
    ) == (1, 1)
    assert figures(
        "reports_on_time", agency_id=agency("STC").pk, date_from=window[0], date_to=window[1]
    ) == (0, 1)
    assert figures(
        "reports_on_time", agency_id=agency("SYT").pk, date_from=window[0], date_to=window[1]
    ) == (0, 0)


def test_consolidated_totals_equal_the_sum_of_submissions():
    rnd = make_round(codes=("STP", "STC", "TUYHOA"))
    submit(rnd, "STP")
    submit(
        rnd,
        "STC",
        values=GOOD_VALUES | {"tthc_received": 500, "tthc_on_time": 400, "online_received": 300},
    )
    totals = indicator_totals(rnd)
    assert totals["tthc_received"] == 1700
    assert totals["tthc_on_time"] == 1550
    cons = services.consolidated_get_or_create(actor=officer(), rnd=rnd)
    assert "Sở Tư pháp" not in cons.sections["direction"]  # short names are used
    assert "Tư pháp:" in cons.sections["direction"]


def test_issue_numbers_and_freezes_the_document():
    rnd = make_round(codes=("STP", "STC"))
    submit(rnd, "STP")
    actor = officer()
    cons = services.consolidated_get_or_create(actor=actor, rnd=rnd)
    services.consolidated_update(
        actor=actor,
        report=cons,
        sections={"direction": "Nội dung đã biên tập."},
        signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        signer_name="Nguyễn Văn An",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):  # the freezing job runs
        issued = services.consolidated_issue(actor=actor, report=cons)
    assert issued.number == 1 and issued.round.status == "issued"
    first = document(catalog.consolidated(rnd))
    # Later edits to the data do not change the issued document.
    AgencyReport.objects.filter(round=rnd, agency__code="STP").update(
        indicators=GOOD_VALUES | {"tthc_received": 9999}
    )
    ConsolidatedReport.objects.filter(pk=cons.pk).update(sections={"direction": "Sửa sau"})
    assert document(catalog.consolidated(rnd)) == first
    doc = GeneratedDocument.objects.get(kind="consolidated")
    assert doc.frozen
    with pytest.raises(ValidationError):
        services.consolidated_update(
            actor=actor, report=cons, sections={}, signer_title="x", signer_name="y"
        )


def test_document_is_reused_while_data_unchanged_and_rerendered_after_change(monkeypatch):
    rnd = make_round()
    report = submit(rnd, "STP")
    calls = []
    real = pdf.layout

    def counting(html):
        calls.append(html)
        return real(html)

    monkeypatch.setattr(pdf, "layout", counting)
    first = document(catalog.agency_report(report))
    assert document(catalog.agency_report(report)) == first
    assert len(calls) == 1
    services.report_return(actor=officer(), report=report, reason="Bổ sung")
    report = AgencyReport.objects.get(pk=report.pk)
    submit(rnd, "STP", values=GOOD_VALUES | {"inspections": 7})
    report = AgencyReport.objects.get(pk=report.pk)
    document(catalog.agency_report(report))
    assert len(calls) == 2
    assert GeneratedDocument.objects.filter(kind="agency_report").count() == 1


def test_coordination_status_counts_per_body():
    actor = officer()
    overdue = make_overdue(make_task(actor=actor, chair="STP", contributors=("STC",)), days=3)
    make_task(actor=actor, chair="STC", contributors=("STP", "TUYHOA"), due_in=5)
    today = timezone.localdate()
    rows = {
        s.agency.code: s
        for s in coordination_status(today - dt.timedelta(days=30), today + dt.timedelta(days=30))
    }
    assert rows["STP"].chaired == 1 and rows["STP"].contributed == 1
    assert rows["STP"].overdue == 1
    assert [p.task_id for p in rows["STP"].overdue_items] == [overdue.pk]
    assert rows["STC"].chaired == 1 and rows["STC"].overdue == 1
    assert rows["TUYHOA"].overdue == 0
    assert "SNV" not in rows  # tracking is not counted as chairing or contributing
