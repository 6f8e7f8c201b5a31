"""Signed documents, as issue 16's reviewer tries them in Chromium on the demo: `noivu` issues
the quarter's consolidated report; the downloaded PDF carries Sở Nội vụ's test certificate
and validates against the demo CA; the verification page its QR code points to says the
file is unchanged, and the same file with one byte changed is reported as different; a body
uploads a signed letter and sees who signed it. Screenshots: docs/screenshots/verify-*."""

from __future__ import annotations

from playwright.sync_api import expect

from agencies.files import SignatureStatus
from agencies.models import Agency
from reports.models import ConsolidatedReport, IssuedDocument
from signing.sign import sign_pdf
from signing.verify import check_pdf

from .helpers import assert_accessible, login, screenshot


def _issue_q1_report(page) -> IssuedDocument:
    rnd = ConsolidatedReport.objects.get(round__year=2024, round__period="Q1").round
    page.goto(f"/reports/rounds/{rnd.pk}/consolidated/")
    page.get_by_role("button", name="Ban hành báo cáo").click()
    page.get_by_role("dialog").get_by_role("button", name="Ban hành").click()
    expect(page.get_by_text("Đã ban hành báo cáo tổng hợp.")).to_be_visible()
    return IssuedDocument.objects.get(kind="consolidated", object_key=f"round-{rnd.pk}")


def _letter() -> bytes:
    """A one-page letter signed with Sở Nội vụ's demo certificate."""
    from weasyprint import HTML

    data = HTML(string="<p>Công văn góp ý dự thảo kế hoạch (thử nghiệm).</p>").write_pdf()
    lead = Agency.objects.lead()
    return sign_pdf(data, agency=lead, signer_name="Võ Minh Khánh").data


def test_an_issued_report_is_signed_verifiable_and_a_signed_upload_names_its_signer(
    demo, new_page, tmp_path
):
    lan = new_page()
    login(lan, "noivu")
    row = _issue_q1_report(lan)
    assert row.signature_level == "B-B" and row.illustrative
    assert "chứng thư số thử nghiệm" in row.signed_by

    # The register lists it; its file downloads byte for byte as stored and signed.
    lan.goto("/reports/issued/")
    expect(lan.locator("main")).to_contain_text(f"{row.number:02d}/{row.symbol}")
    assert_accessible(lan)
    with lan.expect_download() as info:
        lan.locator(f"a[href='/reports/issued/{row.pk}/file/']").first.click()
    data = open(info.value.path(), "rb").read()  # noqa: SIM115
    check = check_pdf(data)
    assert check.status == SignatureStatus.VALID, check
    assert "Sở Nội vụ" in check.signer

    # Anyone (not signed in) opens the page the QR code points to and checks the file.
    visitor = new_page(360, 800)
    visitor.goto(f"/v/{row.code}/")
    main = visitor.locator("main")
    expect(main).to_contain_text(f"{row.number:02d}/{row.symbol}")
    expect(main).to_contain_text("Đã ban hành và ký số")
    expect(main).to_contain_text("chứng thư số thử nghiệm")
    assert_accessible(visitor)
    original = tmp_path / "bao-cao.pdf"
    original.write_bytes(data)
    visitor.locator("input[type=file]").set_input_files(str(original))
    visitor.locator("main form button[type=submit]").last.click()
    expect(visitor.locator("main")).to_contain_text("văn bản không bị thay đổi")
    screenshot(visitor, "verify-unchanged")

    changed = bytearray(data)
    middle = len(changed) // 3
    changed[middle] = (changed[middle] + 1) % 256
    tampered = tmp_path / "bao-cao-da-sua.pdf"
    tampered.write_bytes(bytes(changed))
    visitor.locator("input[type=file]").set_input_files(str(tampered))
    visitor.locator("main form button[type=submit]").last.click()
    expect(visitor.locator("main")).to_contain_text("KHÁC văn bản đã ban hành")
    screenshot(visitor, "verify-changed")

    # Sở Tài chính attaches a signed letter to its contribution and sees who signed it.
    letter = tmp_path / "cong-van-ky-so.pdf"
    letter.write_bytes(_letter())
    assert check_pdf(letter.read_bytes()).status == SignatureStatus.VALID
    from coordination.models import Participation

    part = (
        Participation.objects.filter(agency__code="STC", task__status="in_progress")
        .exclude(status__in=["submitted", "accepted"])
        .order_by("pk")
        .first()
    )
    stc = new_page()
    login(stc, "stc")
    stc.goto(f"/tasks/{part.task_id}/")
    stc.get_by_role("link", name="Gửi ý kiến, báo cáo, cử cán bộ").click()
    stc.get_by_label("Nội dung").fill("Sở Tài chính gửi công văn góp ý đã ký số.")
    stc.get_by_label("Văn bản, tệp đính kèm").set_input_files(str(letter))
    stc.get_by_role("button", name="Lưu dự thảo").click()
    expect(stc.locator("main")).to_contain_text("Có chữ ký số hợp lệ")
    expect(stc.locator("main")).to_contain_text("Sở Nội vụ")
    screenshot(stc, "signed-upload")
