"""Issuing documents into the register (issue 16): one number per issuing body and year
across every kind, a verification code and QR code on the document, signing in the
document job, the register page, and what happens without a credential.

Jobs run on the immediate backend when the captured on-commit callbacks run. Signatures
are checked with pyHanko against a CA made in the test (``tests.signing_support``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import subprocess
from pathlib import Path

import pytest
import segno
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from agencies.mail import absolute_url
from agencies.once import new_token
from reports import catalog, issuing, services, store, tasks
from reports.models import ConsolidatedReport, DocumentJob, GeneratedDocument, IssuedDocument
from scoring import services as scoring
from tests.conftest import login
from tests.factories import UserFactory, agency
from tests.reports_factories import make_overdue, make_round, make_task, submit
from tests.scoring_factories import assessment_of, build_period
from tests.signing_support import signing_kit, timestamp_server, validate

pytestmark = pytest.mark.django_db
Kind = GeneratedDocument.Kind
DIRECTOR = "Nguyễn Văn Bình"


@pytest.fixture
def director(db):
    """Sở Nội vụ's director: the signer ``pdf.lead_signer`` names on letters and results."""
    return UserFactory(
        username="t_giamdoc", agency=agency("SNV"), full_name=DIRECTOR, position="Phó Giám đốc"
    )


@pytest.fixture
def kit(director):
    """Sở Nội vụ can sign: a credential from a test CA, a seal and the director's signature."""
    return signing_kit(agency("SNV"), signer_names=(DIRECTOR,))


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "van-ban.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode()


def stored_bytes(row: IssuedDocument) -> bytes:
    row.refresh_from_db()
    with row.document.file.open("rb") as handle:
        return handle.read()


def entry(kind=Kind.REMINDER, key="k", issuer="SNV") -> issuing.Entry:
    return issuing.Entry(kind, key, agency(issuer), "Trích yếu", "SNV-CCHC", "GIÁM ĐỐC", "A")


def issued_consolidated(noivu, capture, *, run=True) -> IssuedDocument:
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    cons.signer_name = DIRECTOR
    cons.save()
    with capture(execute=run):
        services.consolidated_issue(actor=noivu, report=cons)
    return IssuedDocument.objects.get(kind=Kind.CONSOLIDATED)


# --- Numbering ---------------------------------------------------------------------------


def test_numbers_run_per_issuing_body_and_year_across_every_kind(noivu):
    when = timezone.make_aware(dt.datetime(2025, 6, 1, 9, 0))
    first = issuing.register(actor=noivu, entry=entry(Kind.CONSOLIDATED, "a"), when=when)
    second = issuing.register(actor=noivu, entry=entry(Kind.REMINDER, "b"), when=when)
    third = issuing.register(actor=noivu, entry=entry(Kind.SCORING_RESULTS, "c"), when=when)
    other_body = issuing.register(actor=noivu, entry=entry(key="d", issuer="STP"), when=when)
    next_year = issuing.register(
        actor=noivu, entry=entry(key="e"), when=when.replace(year=2026, month=1)
    )
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert (other_body.number, next_year.number) == (1, 1)
    assert issuing.next_number(agency("SNV"), 2025) == 4
    assert str(third) == "03/SNV-CCHC (2025)"


def test_the_year_is_the_vietnamese_calendar_year(noivu):
    """31/12 at 20:00 UTC is already 1 January in Phú Yên."""
    when = dt.datetime(2025, 12, 31, 20, 0, tzinfo=dt.UTC)
    assert issuing.register(actor=noivu, entry=entry(), when=when).year == 2026


def test_a_number_taken_meanwhile_is_skipped_not_reused(noivu, monkeypatch):
    """A parallel issue took the number this one computed: the unique constraint refuses
    it and the next number is taken, in the same transaction."""
    issuing.register(actor=noivu, entry=entry(key="first"))
    real = issuing.next_number
    stale = iter([1])  # what a request that read before the first committed would compute
    monkeypatch.setattr(issuing, "next_number", lambda i, y: next(stale, None) or real(i, y))
    row = issuing.register(actor=noivu, entry=entry(key="second"))
    assert row.number == 2
    assert IssuedDocument.objects.count() == 2


def test_the_same_document_is_never_issued_twice(noivu):
    issuing.register(actor=noivu, entry=entry(key="STP-1"))
    with pytest.raises(ValidationError, match="đã được ban hành"):
        issuing.register(actor=noivu, entry=entry(key="STP-1"))
    assert IssuedDocument.objects.count() == 1


def test_codes_are_long_random_and_unambiguous(noivu):
    codes = {issuing.register(actor=noivu, entry=entry(key=str(i))).code for i in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) >= 10 and set(code) <= set(issuing.CODE_ALPHABET)
        assert not set(code) & set("01OIL")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_issues_at_the_same_moment_take_two_numbers(noivu):
    import threading

    from django.db import connections, transaction

    barrier, errors = threading.Barrier(2), []

    def run(key):
        try:
            barrier.wait()
            with transaction.atomic():
                issuing.register(actor=noivu, entry=entry(key=key))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(key,)) for key in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(IssuedDocument.objects.values_list("number", flat=True)) == [1, 2]


# --- a. The consolidated report ----------------------------------------------------------


def test_issuing_a_consolidated_report_registers_signs_and_stores_it(
    noivu, kit, tmp_path, django_capture_on_commit_callbacks
):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks)
    cons = ConsolidatedReport.objects.get()
    assert (row.number, row.year, row.symbol) == (1, timezone.localdate().year, "BC-SNV")
    assert cons.number == row.number and cons.issued_at == row.issued_at
    assert (row.issuer.code, row.recipient, row.signer_name) == ("SNV", None, DIRECTOR)
    first = row.history.earliest()
    assert (
        first.history_user == noivu
        and first.history_change_reason == "Ban hành văn bản số 01/BC-SNV"
    )
    data = stored_bytes(row)
    assert row.sha256 == hashlib.sha256(data).hexdigest() and row.size == len(data)
    assert row.signature_level == "B-B" and row.signed_at and not row.unsigned_reason
    assert row.certificate_fingerprint == kit.credential.fingerprint
    status = validate(data, kit.ca)
    assert status.intact and status.valid and status.trusted
    last = row.history.latest()
    assert last.history_user == noivu
    assert last.history_change_reason == "Ký số và lưu văn bản đã ban hành"
    text = "".join(pdf_text(data, tmp_path).split())
    url = absolute_url(reverse("verify_document", args=[row.code]))
    assert "Tracứuvănbản:" in text and url in text and "Số:01/BC-SNV" in text
    # The QR code is that address (segno is deterministic: the same URL, the same code).
    snapshot = DocumentJob.objects.get(kind=Kind.CONSOLIDATED).snapshot
    assert segno.make(url, error="m").svg_data_uri(border=0) in snapshot.replace("&#x27;", "'")


def test_the_confirm_page_announces_the_registers_next_number(noivu, director):
    issuing.register(actor=noivu, entry=entry(key="earlier"))  # a letter took number 1
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    response = login(noivu).post(reverse("consolidated_issue", args=[rnd.pk]))
    assert "số 2" in response.content.decode()
    assert ConsolidatedReport.objects.get(pk=cons.pk).number is None


def test_a_consolidated_report_issued_before_the_register_is_backfilled(
    noivu, django_capture_on_commit_callbacks
):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks)
    doc, number = row.document, row.number
    IssuedDocument.objects.all().delete()
    IssuedDocument.history.all().delete()
    migration = importlib.import_module("reports.migrations.0008_issued_register_backfill")
    # The migration's models, with the bodies as they are now (agencies 0007 dropped a column).
    state = MigrationExecutor(connection).loader.project_state(
        [("reports", "0008_issued_register_backfill"), ("agencies", "0007_bodies_over_time")]
    )
    migration.backfill(state.apps, None)
    back = IssuedDocument.objects.get()
    assert (back.number, back.document, back.issuer.code) == (number, doc, "SNV")
    assert back.symbol == "BC-SNV" and len(back.code) == 12 and back.signer_name == DIRECTOR
    assert "trước khi Cổng áp dụng chữ ký số" in back.unsigned_reason
    assert back.sha256 == hashlib.sha256(doc.file.open("rb").read()).hexdigest()
    assert back.history.get().history_user == noivu
    migration.backfill(state.apps, None)  # idempotent
    assert IssuedDocument.objects.count() == 1


# --- Without a credential; run again; downloaded twice --------------------------------------


def test_without_a_credential_the_document_is_stored_unsigned_with_the_reason(
    noivu, director, django_capture_on_commit_callbacks
):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.document is not None and row.signed_at is None and not row.signature_level
    assert "chưa có chứng thư số" in row.unsigned_reason
    assert "Quản trị viên cần tải lên chứng thư số" in row.unsigned_reason
    assert row.history.latest().history_change_reason == "Lưu văn bản đã ban hành, chưa ký số"
    page = login(noivu).get(reverse("issued_list")).content.decode()
    assert "Chưa ký số:" in page and "chưa có chứng thư số" in page


def test_with_a_time_stamp_authority_the_register_shows_b_t(
    noivu, kit, settings, django_capture_on_commit_callbacks
):
    with timestamp_server(kit.ca) as (url, requests):
        settings.SIGNING_TSA_URL = url
        row = issued_consolidated(noivu, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.signature_level == "B-T" and requests  # the local authority was asked
    page = login(noivu).get(reverse("issued_list")).content.decode()
    assert "Đã ký số (B-T)" in page


def test_a_long_reason_keeps_the_advice_whole():
    reason = store.unsigned_reason("Không ký được: " + "lỗi thiết bị " * 40)
    assert len(reason) <= 300 and reason.endswith("trước khi gửi đi.")


def test_a_job_run_again_neither_signs_nor_numbers_again(
    noivu, kit, monkeypatch, django_capture_on_commit_callbacks
):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks)
    data = stored_bytes(row)
    job = DocumentJob.objects.get(kind=Kind.CONSOLIDATED)
    from signing import sign

    def refuse(*args, **kwargs):
        raise AssertionError("signed twice")

    monkeypatch.setattr(sign, "sign_pdf", refuse)
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.build_document.enqueue(job.pk)
    assert result.return_value == row.document_id
    assert stored_bytes(row) == data and IssuedDocument.objects.get().number == 1
    assert row.history.count() == 2  # issued, then signed and stored: nothing more


def test_a_signed_document_is_downloaded_byte_for_byte_as_registered(
    noivu, leader, kit, django_capture_on_commit_callbacks
):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    client = login(leader)
    url = reverse("issued_download", args=[row.pk])
    first = b"".join(client.get(url).streaming_content)
    second = b"".join(client.get(url).streaming_content)
    assert first == second and hashlib.sha256(first).hexdigest() == row.sha256
    # The round's own address serves the same stored file, never rebuilt.
    response = client.get(
        reverse("consolidated_pdf", args=[ConsolidatedReport.objects.get().round_id])
    )
    assert b"".join(response.streaming_content) == first


def test_a_document_still_being_made_is_not_downloadable(noivu, django_capture_on_commit_callbacks):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks, run=False)
    client = login(noivu)
    assert client.get(reverse("issued_download", args=[row.pk])).status_code == 404
    assert "Đang tạo" in client.get(reverse("issued_list")).content.decode()


# --- b. The reminder letter --------------------------------------------------------------


@pytest.fixture
def late_stp(noivu):
    return make_overdue(make_task(actor=noivu, chair="STP", contributors=("STC",)))


def test_the_reminder_page_says_what_will_be_issued(noivu, director, late_stp):
    issuing.register(actor=noivu, entry=entry(key="earlier"))
    page = login(noivu).get(reverse("reminder_issue", args=["STP"])).content.decode()
    assert "Sở Tư pháp" in page and DIRECTOR in page
    assert "Số: 02/SNV-CCHC" in page  # the register's next number, whatever the kind
    assert 'name="once"' in page and "data-confirm" in page


def test_issuing_a_reminder_letter_addresses_signs_and_shares_it(
    noivu, chair_focal, contrib_focal, kit, late_stp, tmp_path, django_capture_on_commit_callbacks
):
    client = login(noivu)
    url = reverse("reminder_issue", args=["STP"])
    data = {"once": new_token()}
    asked = client.post(url, data)
    assert asked.status_code == 200 and "Ban hành công văn đôn đốc gửi Sở Tư pháp?" in (
        asked.content.decode()
    )
    assert not IssuedDocument.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data | {"confirmed": "1"})
    assert response.status_code == 302 and response.url == reverse("issued_list")
    row = IssuedDocument.objects.get()
    assert (row.kind, row.recipient.code, row.symbol) == (Kind.REMINDER, "STP", "SNV-CCHC")
    assert row.history.earliest().history_user == noivu
    stored = stored_bytes(row)
    assert validate(stored, kit.ca).valid
    text = "".join(pdf_text(stored, tmp_path).split())
    assert absolute_url(reverse("verify_document", args=[row.code])).replace(" ", "") in text
    assert "Kínhgửi:SởTưpháp" in text and "Số:01/SNV-CCHC" in text
    # The body it is addressed to downloads it; a body it is not addressed to does not.
    download = reverse("issued_download", args=[row.pk])
    assert b"".join(login(chair_focal).get(download).streaming_content) == stored
    assert login(contrib_focal).get(download).status_code == 404
    assert "01/SNV-CCHC" in login(chair_focal).get(reverse("issued_list")).content.decode()
    assert "01/SNV-CCHC" not in login(contrib_focal).get(reverse("issued_list")).content.decode()


def test_a_second_click_issues_one_letter(noivu, director, late_stp):
    client = login(noivu)
    data = {"once": new_token(), "confirmed": "1"}
    url = reverse("reminder_issue", args=["STP"])
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert IssuedDocument.objects.count() == 1
    assert any("đã được gửi trước đó" in str(m) for m in get_messages(second.wsgi_request))


def test_the_page_names_the_last_letter_already_sent_to_the_body(noivu, director, late_stp):
    client = login(noivu)
    url = reverse("reminder_issue", args=["STP"])
    assert "Công văn đôn đốc gần nhất" not in client.get(url).content.decode()
    row = issuing.reminder_issue(actor=noivu, agency=agency("STP"))
    page = client.get(url).content.decode()
    assert f"Công văn đôn đốc gần nhất gửi cơ quan này: số {issuing.reference(row)}" in page


def test_a_body_with_nothing_late_gets_no_letter(noivu, director, late_stp):
    client = login(noivu)
    url = reverse("reminder_issue", args=["SYT"])
    page = client.get(url).content.decode()
    assert "không có nhiệm vụ nào quá hạn" in page and 'name="once"' not in page
    response = client.post(url, {"once": new_token(), "confirmed": "1"})
    assert (
        response.status_code == 200 and "không có nhiệm vụ nào quá hạn" in response.content.decode()
    )
    assert not IssuedDocument.objects.exists() and not DocumentJob.objects.exists()


def test_a_letter_without_a_known_signer_is_refused(noivu, late_stp):
    with pytest.raises(ValidationError, match="Chưa xác định được người ký"):
        issuing.reminder_issue(actor=noivu, agency=agency("STP"))
    assert not IssuedDocument.objects.exists()


def test_only_a_noivu_officer_issues_letters(leader, director, late_stp):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        issuing.reminder_issue(actor=leader, agency=agency("STP"))


def test_the_letters_are_offered_where_the_reminder_letter_link_is(noivu, late_stp):
    issue_url = reverse("reminder_issue", args=["STP"])
    client = login(noivu)
    assert issue_url in client.get(reverse("reports_home")).content.decode()
    assert issue_url in client.get(reverse("task_detail", args=[late_stp.pk])).content.decode()


# --- c. Published scoring results ---------------------------------------------------------


def test_publishing_a_period_issues_its_results_in_the_same_transaction(
    noivu, leader, kit, tmp_path, django_capture_on_commit_callbacks
):
    period = build_period(noivu, codes=("STP",))
    pending = assessment_of(period, "STP")
    with django_capture_on_commit_callbacks(execute=True):
        scoring.period_publish(actor=noivu, period=period, exclusions={pending.pk: "Chưa chốt"})
    row = IssuedDocument.objects.get()
    period.refresh_from_db()
    assert (row.kind, row.object_key, row.signer_name) == (
        Kind.SCORING_RESULTS,
        f"results-{period.pk}",
        DIRECTOR,
    )
    assert row.issued_at == period.published_at and row.history.earliest().history_user == noivu
    stored = stored_bytes(row)
    assert validate(stored, kit.ca).valid
    assert absolute_url(reverse("verify_document", args=[row.code])) in "".join(
        pdf_text(stored, tmp_path).split()
    )
    # The results' own address now serves the issued document.
    response = login(leader).get(reverse("scoring_results_pdf", args=[period.pk]))
    assert b"".join(response.streaming_content) == stored


def test_a_failed_issue_rolls_the_publication_back(noivu, monkeypatch):
    period = build_period(noivu, codes=("STP",))
    pending = assessment_of(period, "STP")

    def broken(**kwargs):
        raise ValidationError("Không ban hành được.")

    monkeypatch.setattr(issuing, "results_issue", broken)
    with pytest.raises(ValidationError):
        scoring.period_publish(actor=noivu, period=period, exclusions={pending.pk: "Chưa chốt"})
    period.refresh_from_db()
    assert period.published_at is None and not IssuedDocument.objects.exists()


# --- The register page --------------------------------------------------------------------


def _rows(noivu, n: int, year: int = 2025, kind=Kind.REMINDER, start: int = 0):
    when = timezone.make_aware(dt.datetime(year, 3, 1, 8, 0))
    return [
        issuing.register(
            actor=noivu,
            entry=entry(kind, f"{kind}-{year}-{i}"),
            when=when + dt.timedelta(minutes=i),
        )
        for i in range(start, start + n)
    ]


def test_the_register_is_newest_first_paginated_and_filtered(noivu):
    _rows(noivu, 26, 2025)
    _rows(noivu, 2, 2024, kind=Kind.SCORING_RESULTS)
    client = login(noivu)
    page = client.get(reverse("issued_list")).content.decode()
    assert page.index("26/SNV-CCHC") < page.index("25/SNV-CCHC")
    assert page.count('data-label="Số, ký hiệu"') == 25 and "Trang 1 / 2" in page
    last = client.get(reverse("issued_list"), {"page": "2"}).content.decode()
    assert last.count('data-label="Số, ký hiệu"') == 3
    filtered = client.get(reverse("issued_list"), {"year": "2024"}).content.decode()
    assert "Trang 1 /" not in filtered and filtered.count("/SNV-CCHC") == 2
    by_kind = client.get(reverse("issued_list"), {"kind": Kind.SCORING_RESULTS}).content.decode()
    assert by_kind.count("/SNV-CCHC") == 2
    assert client.get(reverse("issued_list"), {"year": "x", "page": "9"}).status_code == 200


def test_the_register_page_query_count_does_not_grow_with_rows(noivu, django_assert_num_queries):
    client = login(noivu)
    _rows(noivu, 2)
    client.get(reverse("issued_list"))
    # As on every page (the session, the user, the data version, the user's roles and body
    # kept, the header, the notifications), then the register's count and rows, the filter.
    with django_assert_num_queries(9):
        client.get(reverse("issued_list"))
    _rows(noivu, 20, start=2)
    client.get(reverse("issued_list"))  # the header again if the bodies' data changed
    with django_assert_num_queries(9):
        client.get(reverse("issued_list"))


def test_the_register_links_each_document_to_its_verification_page(noivu):
    row = _rows(noivu, 1)[0]
    page = login(noivu).get(reverse("issued_list")).content.decode()
    assert reverse("verify_document", args=[row.code]) in page
    assert reverse("issued_download", args=[row.pk]) not in page  # nothing stored yet


def test_the_reports_home_links_to_the_register(chair_focal):
    assert (
        reverse("issued_list") in login(chair_focal).get(reverse("reports_home")).content.decode()
    )


def test_issued_documents_are_found_by_their_catalog_entry(
    noivu, director, django_capture_on_commit_callbacks
):
    row = issued_consolidated(noivu, django_capture_on_commit_callbacks, run=False)
    ask = catalog.consolidated(ConsolidatedReport.objects.get().round)
    assert ask.freeze and ask.params["issued"] == row.pk
    assert DocumentJob.objects.get().data_key == ask.data_key  # readers join the issuing job
    assert store.current(ask) is None
