"""Signed uploads checked, through the pages (issue 16, point 5): a body uploads a signed
PDF as a contribution's file, as scoring evidence and as a report's attachment; the page
then says who signed it, when, and that the signature is valid; a PDF changed after signing
says so; a Word file says nothing. The pages run no more queries for more files."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.once import new_token
from coordination.models import Attachment
from reports.models import ReportAttachment
from scoring.models import Evidence
from signing import pki
from signing.anchors import trust_anchor_add
from tests import test_queries, test_reports_queries, test_scoring_queries
from tests.conftest import form_token, login
from tests.coordination_factories import make_task
from tests.reports_factories import GOOD_VALUES, focal, make_round, report_of
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    assessment_of,
    build_period,
    fast_passwords,
    score,
)
from tests.test_signing_verify import change_text, make_pdf, sign

SIGNER = "Nguyễn Văn An, Sở Nội vụ tỉnh Phú Yên"
VALID = f"Có chữ ký số hợp lệ: {SIGNER}, ký lúc "


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca("CA thử nghiệm Phú Yên")


@pytest.fixture(scope="module")
def signed(ca):
    return sign(make_pdf(), pki.issue(ca, "Nguyễn Văn An", organization="Sở Nội vụ tỉnh Phú Yên"))


@pytest.fixture(autouse=True)
def trusted(db, ca):
    return trust_anchor_add(actor=None, name="Gốc thử nghiệm", data=pki.der(ca.certificate))


def docx() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def uploads(signed: bytes) -> list[SimpleUploadedFile]:
    """A signed PDF, the same changed after signing, and a Word file."""
    return [
        SimpleUploadedFile("quyet-dinh.pdf", signed, "application/pdf"),
        SimpleUploadedFile("da-sua.pdf", change_text(signed), "application/pdf"),
        SimpleUploadedFile("ghi-chu.docx", docx()),
    ]


def signed_files(signed: bytes, n: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"van-ban-{i}.pdf", signed, "application/pdf") for i in range(n)]


def when(stored) -> str:
    return timezone.localtime(stored.signature_time).strftime("%d/%m/%Y %H:%M")


def shows_results(page: str, model) -> None:
    """What the page says beside each of the three files of ``uploads``."""
    good = model.objects.get(original_name="quyet-dinh.pdf")
    assert f"{VALID}{when(good)}" in page
    assert f"Đã bị sửa sau khi ký (chữ ký của {SIGNER})" in page
    after_word = re.search(r"ghi-chu\.docx</a>(.*?)</(li|div)>", page, re.S).group(1)
    assert "sig" not in after_word and "chữ ký" not in after_word  # a Word file: nothing
    assert page.count('class="sig sig--') == 2


def queries(client, url: str) -> int:
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- A contribution's files ------------------------------------------------------------------


def contribute(client, task, files) -> None:
    response = client.post(
        reverse("contribution_new", args=[task.pk]),
        {
            "form": "comment",
            "body": "Sở Tài chính gửi văn bản đã ký số.",
            "submit": "1",
            "once": new_token(),
            "files": files,
            "nom-TOTAL_FORMS": "0",
            "nom-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_contributions_signed_file_shows_its_signer_and_a_changed_one_says_so(
    noivu, contrib_focal, chair_focal, signed
):
    task = make_task(actor=noivu, contributors=("STC",))
    contribute(login(contrib_focal), task, uploads(signed))
    page = login(chair_focal).get(reverse("task_detail", args=[task.pk])).content.decode()
    shows_results(page, Attachment)


@pytest.mark.django_db
def test_the_item_page_runs_no_more_queries_for_more_signed_files(
    noivu, contrib_focal, chair_focal, signed
):
    stc, stp = login(contrib_focal), login(chair_focal)
    one, three = (make_task(actor=noivu, contributors=("STC",)) for _ in range(2))
    contribute(stc, one, signed_files(signed, 1))
    contribute(stc, three, signed_files(signed, 3))
    few = queries(stp, reverse("task_detail", args=[one.pk]))
    many = queries(stp, reverse("task_detail", args=[three.pk]))
    assert few == many <= test_queries.BUDGET
    assert stp.get(reverse("task_detail", args=[three.pk])).content.decode().count(VALID) == 3


# --- Scoring evidence ----------------------------------------------------------------------


def add_evidence(client, assessment, upload) -> None:
    base = f"/scoring/assessments/{assessment.pk}"
    response = client.post(
        f"{base}/evidence/",
        {
            "file": upload,
            "document_number": "15/KH-STP",
            "scores": [score(assessment, "1.1").pk],
            "once": form_token(client.get(f"{base}/")),
        },
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_signed_evidence_shows_its_signer_and_a_changed_one_says_so(noivu, chair_focal, signed):
    stp = assessment_of(build_period(noivu), "STP")
    client = login(chair_focal)
    for upload in uploads(signed):
        add_evidence(client, stp, upload)
    page = client.get(reverse("assessment_detail", args=[stp.pk])).content.decode()
    shows_results(page, Evidence)


@pytest.mark.django_db
def test_the_assessment_page_runs_no_more_queries_for_more_signed_evidence(
    noivu, chair_focal, signed
):
    period = build_period(noivu)
    stp = assessment_of(period, "STP")
    client = login(chair_focal)
    add_evidence(client, stp, signed_files(signed, 1)[0])
    few = queries(client, reverse("assessment_detail", args=[stp.pk]))
    for upload in signed_files(signed, 2):
        add_evidence(client, stp, upload)
    many = queries(client, reverse("assessment_detail", args=[stp.pk]))
    assert few == many <= test_scoring_queries.BUDGET
    assert stp.evidence.count() == 3


# --- A report's attachments --------------------------------------------------------------------


def report_with(files) -> tuple:
    report = report_of(make_round(), "STP")
    client = login(focal("STP"))
    data = {f"ind_{k}": str(v) for k, v in GOOD_VALUES.items()}
    data |= {"sec_direction": "Đã ban hành kế hoạch.", "action": "submit", "files": files}
    response = client.post(reverse("agency_report_edit", args=[report.pk]), data)
    assert response.status_code == 302
    return client, report


@pytest.mark.django_db
def test_a_reports_signed_attachment_shows_its_signer_and_a_changed_one_says_so(signed):
    client, report = report_with(uploads(signed))
    page = client.get(reverse("agency_report_detail", args=[report.pk])).content.decode()
    shows_results(page, ReportAttachment)


@pytest.mark.django_db
def test_the_report_page_runs_no_more_queries_for_more_signed_attachments(signed):
    client, one = report_with(signed_files(signed, 1))
    few = queries(client, reverse("agency_report_detail", args=[one.pk]))
    client, three = report_with(signed_files(signed, 3))
    many = queries(client, reverse("agency_report_detail", args=[three.pk]))
    assert few == many <= test_reports_queries.BUDGET
