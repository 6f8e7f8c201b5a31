"""Permission matrix for every reports URL × method × cast member.

anonymous → login redirect; a body with no part → 404; visible but the role may not
act → 403; allowed → 200 (pages, documents built in the request, files) or 303 (a document
built by a job: its status page) or 302 with state changed. A document job is seen only by
those who asked for it. Refused POSTs change nothing. ``test_every_reports_url_is_covered``
fails when a URL is missing here.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.once import new_token
from reports import services
from reports.models import (
    AgencyReport,
    ConsolidatedReport,
    DocumentJob,
    GeneratedDocument,
    ReportRound,
)
from reports.urls import urlpatterns
from tests.conftest import CAST
from tests.factories import agency
from tests.reports_factories import (
    GOOD_SECTIONS,
    GOOD_VALUES,
    fetch_document,
    make_task,
    report_of,
)
from tests.scoring_factories import assessment_of, build_period

OUTSIDERS = {"council": 404, "tracker_focal": 404, "unrelated_focal": 404}  # SNV, SYT: not required
REQUIRED_NON_OFFICERS = {"chair_focal": 403, "chair_staff": 403, "contrib_focal": 403}


def expect(default: int, **overrides: int) -> dict[str, int]:
    result = dict.fromkeys(CAST, default)
    result.update(overrides)
    result["anonymous"] = 302
    return result


PROVINCE_PAGE = expect(404, noivu=200, leader=200, **REQUIRED_NON_OFFICERS)
PROVINCE_JOB = expect(404, noivu=303, leader=303, **REQUIRED_NON_OFFICERS)
OWN_JOB = expect(404, noivu=303, leader=303, chair_focal=303, chair_staff=303)
ASKER = expect(404, noivu=200)  # the job was asked for by noivu
OFFICER_ON_ROUND = expect(404, noivu=200, leader=403, **REQUIRED_NON_OFFICERS)
OWN_REPORT = expect(404, noivu=200, leader=200, chair_focal=200, chair_staff=200)
REVIEW = expect(404, noivu=302, leader=403, chair_focal=403, chair_staff=403)
EDIT_STC = expect(404, contrib_focal=200, noivu=403, leader=403)

ROUND_FORM = {
    "kind": "ad_hoc",
    "year": "2025",
    "title": "Báo cáo đột xuất về thủ tục hành chính",
    "period_start": "2025-01-01",
    "period_end": "2025-03-31",
    "deadline": "2025-04-05",
}

CONFIRMED = {"confirmed": "1"}  # irreversible acts are posted as confirmed (agencies.confirm)

# (url name, kwargs key, method, data, expected status per cast member)
MATRIX = [
    ("reports_home", None, "get", None, expect(200)),
    ("round_create", None, "get", None, expect(403, noivu=200)),
    ("round_create", None, "post", "round_form", expect(403, noivu=302)),
    (
        "rounds_create_year",
        None,
        "post",
        {"year": "2025", "once": new_token()},
        expect(403, noivu=302),
    ),
    ("round_detail", "round", "get", None, PROVINCE_PAGE),
    ("consolidated_edit", "round", "get", None, OFFICER_ON_ROUND),
    ("consolidated_edit", "round", "post", "consolidated_form", OFFICER_ON_ROUND | {"noivu": 302}),
    ("consolidated_issue", "round", "post", CONFIRMED, OFFICER_ON_ROUND | {"noivu": 302}),
    ("consolidated_pdf", "round", "get", None, PROVINCE_JOB),
    ("agency_report_detail", "stp_report", "get", None, OWN_REPORT),
    ("agency_report_edit", "stc_report", "get", None, EDIT_STC),
    ("agency_report_edit", "stc_report", "post", "report_form", EDIT_STC | {"contrib_focal": 302}),
    ("agency_report_return", "stp_report", "post", {"reason": "Số liệu chưa khớp"}, REVIEW),
    ("agency_report_accept", "stp_report", "post", CONFIRMED, REVIEW),
    ("agency_report_pdf", "stp_report", "get", None, OWN_REPORT),
    ("report_attachment_download", "attachment", "get", None, OWN_REPORT),
    ("coordination_status_pdf", None, "get", None, expect(403, noivu=303, leader=303)),
    ("reminder_letter_pdf", "code", "get", None, expect(403, noivu=303)),
    ("task_dossier_pdf", "task", "get", None, expect(200, unrelated_focal=404)),
    ("task_export_file", None, "get", None, expect(200)),
    # A body with no part in the period gets 404; an assessed body 403 before publication.
    (
        "scoring_results_pdf",
        "period",
        "get",
        None,
        expect(403, noivu=303, leader=303, **OUTSIDERS),
    ),
    # Before publication a body's export holds its own row only.
    ("results_export_file", "period", "get", None, expect(200, **OUTSIDERS)),
    ("scorecard_pdf", "stp_assessment", "get", None, OWN_JOB),
    ("document_job", "done_job", "get", None, ASKER),
    ("document_job_status", "done_job", "get", None, ASKER),
    ("document_job_download", "done_job", "get", None, ASKER),
    ("document_job_retry", "failed_job", "post", {}, expect(404, noivu=302)),
]

COVERED_URL_NAMES = {row[0] for row in MATRIX}
COVERED_URL_METHODS = {(row[0], row[2]) for row in MATRIX}


def test_every_reports_url_is_covered():
    from tests.test_issuing_permissions import COVERED_URL_METHODS as ISSUING

    issuing_names = {name for name, _method in ISSUING}  # the register's own matrix
    assert {p.name for p in urlpatterns} - issuing_names == COVERED_URL_NAMES


@pytest.fixture
def world(db, noivu, chair_focal, contrib_focal):
    rnd = services.round_create(
        actor=noivu,
        kind="ad_hoc",
        year=2024,
        title="Báo cáo chuyên đề",
        period_start=ROUND_DATES[0],
        period_end=ROUND_DATES[1],
        deadline=ROUND_DATES[2],
        agencies=[agency("STP"), agency("STC"), agency("TUYHOA")],
    )
    upload = SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    stp = services.report_save(
        actor=chair_focal,
        report=report_of(rnd, "STP"),
        sections=GOOD_SECTIONS,
        indicators=GOOD_VALUES,
        submit=True,
        files=[upload],
    )
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    cons.signer_name = "Nguyễn Văn An"
    cons.save()
    task = make_task(actor=noivu, chair="STP", tracker="SNV", contributors=("STC",))
    period = build_period(noivu, codes=("STP", "STC", "TUYHOA"))
    done_job, failed_job = _jobs(noivu)
    return {
        "done_job": {"pk": done_job.pk},
        "failed_job": {"pk": failed_job.pk},
        "period": {"pk": period.pk},
        "stp_assessment": {"pk": assessment_of(period, "STP").pk},
        "round": {"pk": rnd.pk},
        "stp_report": {"pk": stp.pk},
        "stc_report": {"pk": report_of(rnd, "STC").pk},
        "attachment": {"pk": stp.attachments.get().pk},
        "code": {"code": "STP"},
        "task": {"pk": task.pk},
        "round_form": ROUND_FORM | {"agencies": [agency("STP").pk], "once": new_token()},
        "consolidated_form": {
            "action": "save",
            "signer_title": "KT. GIÁM ĐỐC",
            "signer_name": "Nguyễn Văn An",
            "sec_direction": "Đã biên tập lại.",
        },
        "report_form": {"action": "draft", "sec_direction": "Bản nháp", "ind_inspections": "3"},
    }


ROUND_DATES = ("2024-01-01", "2024-03-31", "2024-04-10")


def _jobs(asker) -> tuple[DocumentJob, DocumentJob]:
    """A done job with its stored file and a failed one, both asked for by ``asker``."""
    doc = GeneratedDocument(kind="coordination_status", object_key="2024", data_key="v1")
    doc.file.save("tinh-hinh.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    doc.save()
    common = {"kind": "coordination_status", "object_key": "2024", "requested_by": asker}
    done = DocumentJob.objects.create(
        **common, data_key="v1", filename="a.pdf", status="done", document=doc
    )
    failed = DocumentJob.objects.create(
        **common, data_key="v2", filename="a.pdf", status="failed", error="Lỗi"
    )
    for job in (done, failed):
        job.requesters.add(asker)
    return done, failed


def snapshot() -> tuple:
    return (
        ReportRound.objects.count(),
        list(
            AgencyReport.objects.order_by("pk").values_list(
                "status", "indicators", "sections", "version"
            )
        ),
        list(ConsolidatedReport.objects.values_list("sections", "number", "issued_at")),
        list(DocumentJob.objects.order_by("pk").values_list("status", flat=True)),
    )


CASES = [
    pytest.param(name, key, method, data, who, statuses[who], id=f"{name}-{method}-{who}")
    for name, key, method, data, statuses in MATRIX
    for who in CAST
]


@pytest.mark.parametrize(("name", "key", "method", "data", "who", "status"), CASES)
def test_permission_matrix(cast, world, name, key, method, data, who, status):
    url = reverse(name, kwargs=world[key] if key else None)
    client = cast(who)
    before = snapshot()
    if method == "get":
        response = client.get(url)
    else:
        payload = world[data] if isinstance(data, str) else data
        response = client.post(url, payload)
    assert response.status_code == status
    if status == 302 and who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if method == "post":
        if status == 302 and who != "anonymous":
            assert snapshot() != before, "allowed POST must change state"
        else:
            assert snapshot() == before, "refused POST must change nothing"


def test_post_only_urls_refuse_get(cast, world):
    client = cast("noivu")
    assert client.get(reverse("rounds_create_year")).status_code == 405
    assert client.get(reverse("consolidated_issue", kwargs=world["round"])).status_code == 405


def test_unknown_agency_code_for_reminder_is_404(cast, world):
    assert cast("noivu").get(reverse("reminder_letter_pdf", args=["KHONGCO"])).status_code == 404


def test_contributing_body_gets_only_its_own_part_of_the_dossier(cast, world):
    from io import BytesIO

    from pypdf import PdfReader

    url = reverse("task_dossier_pdf", kwargs=world["task"])
    response = fetch_document(cast("contrib_focal"), url)
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.data)).pages)
    assert "Bản trích phần của cơ quan phối hợp" in text


def test_district_cannot_download_another_bodys_report(cast, world, district_focal):
    from tests.conftest import login

    client = login(district_focal)
    assert client.get(reverse("agency_report_pdf", kwargs=world["stp_report"])).status_code == 404
    own = AgencyReport.objects.get(agency__code="TUYHOA")
    assert client.get(reverse("agency_report_pdf", args=[own.pk])).status_code == 200


def test_district_cannot_download_another_bodys_scorecard_before_publication(world, district_focal):
    from tests.conftest import login

    client = login(district_focal)
    url = reverse("scorecard_pdf", kwargs=world["stp_assessment"])
    assert client.get(url).status_code == 404
    results = reverse("scoring_results_pdf", kwargs=world["period"])
    assert client.get(results).status_code == 403
    from django.utils import timezone

    from scoring.models import ScoringPeriod

    ScoringPeriod.objects.filter(pk=world["period"]["pk"]).update(published_at=timezone.now())
    assert client.get(results).status_code == 303  # built by a job
    assert client.get(url).status_code == 404
