"""Issue 15 in reporting: a body's open obligations move to its successor
(``reports.succession``), a successor reads the reports of the bodies before it, documents
print the names of their own date and the round's picker offers the bodies of its dates."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from agencies import roles
from agencies.handover import Handover
from agencies.lineage import forget_provinces
from agencies.models import Agency, AgencyName, Province, Succession
from reports import access, catalog, documents, pdf, services, succession
from reports.forms import RoundForm
from reports.models import AgencyReport, ReportRound
from tests.factories import AgencyFactory, UserFactory, agency
from tests.reports_factories import document, make_round, officer, report_of, submit

BASIS = "Nghị quyết số 01/NQ-HĐND"
REASON = f"Chuyển giao theo {BASIS}"


def at(year: int, month: int, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 9, 0))


def handover(ending: Agency, *successors: Agency, choices=None) -> Handover:
    return Handover(
        ending=ending,
        successor=successors[0],
        successors=list(successors),
        effective_date=dt.date(2025, 7, 1),
        legal_basis=BASIS,
        choices=choices or {},
    )


def new_body(code: str = "SMOI") -> Agency:
    return AgencyFactory(code=code, name="Sở Pháp luật và Hộ tịch", abbreviation=code)


def pdf_text(data: bytes) -> str:
    """The PDF's text, NFC, with every run of whitespace one space (names wrap)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


# --- What moves ------------------------------------------------------------------------


def test_preview_lists_the_open_draft_and_apply_moves_it_with_the_round(db):
    rnd = make_round(codes=("STP", "STC"))
    stp, new = agency("STP"), new_body()
    draft = report_of(rnd, "STP")
    lines = succession.handover_preview(handover(stp, new))
    assert [(line.key, line.kind, line.label, line.successor) for line in lines] == [
        (f"report:{draft.pk}", "Báo cáo", rnd.title, new)
    ]
    assert lines[0].detail == "Đang soạn" and not lines[0].choosable

    assert succession.handover_apply(handover(stp, new)) == 1
    draft.refresh_from_db()
    assert draft.agency == new
    assert draft.history.first().history_change_reason == REASON
    assert set(rnd.required_agencies.values_list("code", flat=True)) == {"STC", "SMOI"}
    assert rnd.history.first().history_change_reason == REASON
    assert succession.handover_preview(handover(stp, new)) == []


def test_sent_and_accepted_reports_and_closed_rounds_stay(db):
    actor = officer()
    stp, new = agency("STP"), new_body()
    sent = make_round(codes=("STP",), year=2021)
    submit(sent, "STP")
    accepted = make_round(codes=("STP",), year=2022)
    services.report_accept(actor=actor, report=submit(accepted, "STP"))
    closed = make_round(codes=("STP",), year=2023)
    services.round_close(actor=actor, rnd=closed)
    assert succession.handover_preview(handover(stp, new)) == []
    assert succession.handover_apply(handover(stp, new)) == 0
    for rnd in (sent, accepted, closed):
        assert report_of(rnd, "STP").agency == stp
        assert list(rnd.required_agencies.values_list("code", flat=True)) == ["STP"]


def test_a_returned_report_moves(db):
    rnd = make_round(codes=("STP",))
    services.report_return(actor=officer(), report=submit(rnd, "STP"), reason="Thiếu số liệu")
    stp, new = agency("STP"), new_body()
    [line] = succession.handover_preview(handover(stp, new))
    assert line.detail == "Bị trả lại"
    assert succession.handover_apply(handover(stp, new)) == 1
    assert AgencyReport.objects.get(round=rnd).agency == new


def test_a_merge_into_a_body_that_reports_in_the_round_keeps_one_report_each(db):
    """STP merges into STC, both required in the round: no second STC report; STP's draft,
    which has content, stays with STP, annotated, and STP leaves the round's required
    bodies."""
    rnd = make_round(codes=("STP", "STC"))
    stp, stc = agency("STP"), agency("STC")
    draft = report_of(rnd, "STP")
    draft.sections = {"1": "Kết quả đã đạt được trong quý"}
    draft.save(update_fields=["sections"])
    [line] = succession.handover_preview(handover(stp, stc))
    assert line.key == f"report:{draft.pk}"
    assert "Sở Tài chính đã có báo cáo của mình trong kỳ này" in line.detail
    assert "giữ lại với cơ quan cũ" in line.detail
    assert succession.handover_apply(handover(stp, stc)) == 0
    draft.refresh_from_db()
    assert draft.agency == stp
    assert draft.history.first().history_change_reason.startswith(REASON + ": Sở Tài chính")
    assert AgencyReport.objects.filter(round=rnd, agency=stc).count() == 1
    assert list(rnd.required_agencies.values_list("code", flat=True)) == ["STC"]


def test_a_merge_drops_the_ended_bodys_empty_draft(db):
    """The empty draft made for STP when the round opened is not a record: it goes, with
    history naming the legal basis; STC keeps its own report."""
    rnd = make_round(codes=("STP", "STC"))
    stp, stc = agency("STP"), agency("STC")
    draft = report_of(rnd, "STP")
    [line] = succession.handover_preview(handover(stp, stc))
    assert "bản trống này được bỏ" in line.detail
    assert succession.handover_apply(handover(stp, stc)) == 1
    assert not AgencyReport.objects.filter(pk=draft.pk).exists()
    assert AgencyReport.history.filter(id=draft.pk, history_type="-").get().history_change_reason
    assert list(rnd.reports.values_list("agency__code", flat=True)) == ["STC"]
    assert list(rnd.required_agencies.values_list("code", flat=True)) == ["STC"]


def test_a_required_body_without_a_report_hands_its_place_over(db):
    rnd = make_round(codes=("STP", "STC"))
    report_of(rnd, "STP").delete()
    stp, new = agency("STP"), new_body()
    [line] = succession.handover_preview(handover(stp, new))
    assert (line.key, line.label, line.detail) == (
        f"round:{rnd.pk}",
        rnd.title,
        "Chưa tạo báo cáo của cơ quan",
    )
    assert succession.handover_apply(handover(stp, new)) == 1
    created = AgencyReport.objects.get(round=rnd, agency=new)
    assert created.status == "draft" and created.history.first().history_change_reason == REASON
    assert set(rnd.required_agencies.values_list("code", flat=True)) == {"STC", "SMOI"}


def test_a_split_sends_each_report_where_the_officer_chose(db):
    first = make_round(codes=("STP",), year=2021)
    second = make_round(codes=("STP",), year=2022)
    stp, north, south = agency("STP"), new_body("SBAC"), new_body("SNAM")
    key = f"report:{report_of(second, 'STP').pk}"
    split = handover(stp, north, south, choices={key: south.pk})
    lines = succession.handover_preview(split)
    assert [(line.successor, line.choosable) for line in lines] == [(north, True), (south, True)]
    assert succession.handover_apply(split) == 2
    assert AgencyReport.objects.get(round=first).agency == north
    assert AgencyReport.objects.get(round=second).agency == south
    assert list(second.required_agencies.all()) == [south]


def test_the_preview_takes_the_same_queries_for_one_round_or_many(db, django_assert_num_queries):
    stp, new = agency("STP"), new_body()
    make_round(codes=("STP", "STC"), year=2021)
    with django_assert_num_queries(3):
        assert len(succession.handover_preview(handover(stp, new))) == 1
    for year in (2022, 2023, 2024):
        make_round(codes=("STP", "STC", "SYT"), year=year)
    with django_assert_num_queries(3):
        assert len(succession.handover_preview(handover(stp, new))) == 4


# --- The successor reads the archive, acts on its own ---------------------------------------


def test_a_successors_users_read_the_predecessors_reports_but_do_not_act(db):
    past = make_round(codes=("STP",), year=2021)
    submit(past, "STP")
    stp, new = agency("STP"), new_body()
    Succession.objects.create(
        predecessor=stp, successor=new, change="merge", effective_date=dt.date(2025, 7, 1)
    )
    new.refresh_from_db()  # its archive (archive_ids), as a request loads it
    heir = UserFactory(username="t_heir", agency=new, roles=[roles.FOCAL_OFFICER])
    stranger = UserFactory(username="t_syt", agency=agency("SYT"), roles=[roles.FOCAL_OFFICER])
    old = report_of(past, "STP")
    assert list(AgencyReport.objects.visible_to(heir)) == [old]
    assert list(ReportRound.objects.visible_to(heir)) == [past]
    assert not AgencyReport.objects.visible_to(stranger).exists()
    assert not any(access.reports_actions(heir, old).values())
    # Its own report in a new round: read and written as before.
    current = make_round(codes=(new.code,), year=2022)
    own = report_of(current, new.code)
    assert set(AgencyReport.objects.visible_to(heir)) == {old, own}
    assert access.reports_actions(heir, own)["edit"]


# --- Names of the document's date ---------------------------------------------------------


def merge_provinces() -> None:
    Province.objects.update(valid_to=dt.date(2025, 6, 30))
    Province.objects.create(
        name="tỉnh Đắk Lắk", short_name="Đắk Lắk", valid_from=dt.date(2025, 7, 1)
    )


@pytest.fixture
def provinces(db):
    """Phú Yên until 30/6/2025, Đắk Lắk from 1/7/2025 (the merged province)."""
    merge_provinces()
    yield
    forget_provinces()


def rename_stp() -> Agency:
    """Sở Tư pháp becomes Sở Pháp luật và Hộ tịch on 1/3/2025."""
    stp = agency("STP")
    stp.name, stp.short_name, stp.abbreviation = "Sở Pháp luật và Hộ tịch", "Pháp luật", "SPLHT"
    stp.save()
    return stp


def former_name(stp: Agency) -> AgencyName:
    return AgencyName.objects.create(
        agency=stp,
        code="STP",
        name="Sở Tư pháp",
        short_name="Tư pháp",
        abbreviation="STP",
        valid_to=dt.date(2025, 2, 28),
    )


def reports_of_2024_and_2025() -> tuple[AgencyReport, AgencyReport]:
    old = make_round(codes=("STP",), period="Q1", year=2024)
    new = make_round(codes=("STP",), period="Q3", year=2025)
    return submit(old, "STP", when=at(2024, 3, 5)), submit(new, "STP", when=at(2025, 9, 5))


def test_a_report_prints_the_body_and_province_of_its_date(provinces):
    stp = rename_stp()
    former_name(stp)
    old, new = reports_of_2024_and_2025()
    text = pdf_text(document(catalog.agency_report(old)))
    assert "UBND TỈNH PHÚ YÊN" in text and "SỞ TƯ PHÁP" in text
    assert "Phú Yên, ngày 05 tháng 3 năm 2024" in text and "BC-STP" in text
    assert "Sở Tư pháp báo cáo kết quả" in text
    assert "HỘ TỊCH" not in text and "Đắk Lắk" not in text
    text = pdf_text(document(catalog.agency_report(new)))
    assert "UBND TỈNH ĐẮK LẮK" in text and "SỞ PHÁP LUẬT VÀ HỘ TỊCH" in text
    assert "Đắk Lắk, ngày 05 tháng 9 năm 2025" in text and "BC-SPLHT" in text
    assert "TƯ PHÁP" not in text and "PHÚ YÊN" not in text


def test_the_migrated_province_without_dates_still_prints_phu_yen(db):
    rnd = make_round(codes=("STP",), period="Q3", year=2025)
    text = pdf_text(document(catalog.agency_report(submit(rnd, "STP", when=at(2025, 9, 5)))))
    assert "UBND TỈNH PHÚ YÊN" in text and "Phú Yên, ngày 05 tháng 9 năm 2025" in text


def test_a_stored_document_is_built_again_when_the_names_of_its_date_change(db):
    stp = rename_stp()
    old, new = reports_of_2024_and_2025()
    ask_old, ask_new = catalog.agency_report(old), catalog.agency_report(new)
    assert "SỞ PHÁP LUẬT VÀ HỘ TỊCH" in pdf_text(document(ask_old))
    assert "UBND TỈNH PHÚ YÊN" in pdf_text(document(ask_new))
    # Only a former name is added (the body's own row is unchanged): a new version.
    former_name(stp)
    ask_old = catalog.agency_report(old)
    text = pdf_text(document(ask_old))
    assert "SỞ TƯ PHÁP" in text and "HỘ TỊCH" not in text
    # Only the province's rows change.
    merge_provinces()
    try:
        assert catalog.agency_report(new).data_key != ask_new.data_key
        assert "UBND TỈNH ĐẮK LẮK" in pdf_text(document(catalog.agency_report(new)))
    finally:
        forget_provinces()


def test_documents_for_the_province_use_the_lead_body_of_their_date(db):
    """Sở Nội vụ ends on 28/2/2025 and a new lead body takes over: a status report dated
    2024 is issued by Sở Nội vụ, one dated 2025 by its successor."""
    snv = agency("SNV")
    Agency.objects.filter(pk=snv.pk).update(valid_to=dt.date(2025, 2, 28))
    AgencyFactory(
        code="SNVMOI",
        name="Sở Nội vụ và Lao động",
        abbreviation="SNVLĐ",
        kind=Agency.Kind.LEAD,
        valid_from=dt.date(2025, 3, 1),
    )
    window = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    early = pdf.coordination_status_context(*window, dt.date(2024, 12, 31))
    assert early["head"]["issuer"] == "SỞ NỘI VỤ" and early["issuer_name"] == "Sở Nội vụ"
    late = pdf.coordination_status_context(*window, dt.date(2025, 6, 1))
    assert late["head"]["issuer"] == "SỞ NỘI VỤ VÀ LAO ĐỘNG"
    assert late["head"]["number"].endswith("/BC-SNVLĐ")


def test_the_consolidated_table_names_bodies_as_on_the_documents_date(db):
    stp = rename_stp()
    former_name(stp)
    rnd = make_round(codes=("STP", "STC"), period="Q1", year=2024)
    context = documents.consolidated_content(rnd, None, dt.date(2024, 3, 20))
    assert [row["agency"] for row in context["submissions"]] == ["Sở Tư pháp", "Sở Tài chính"]
    context = documents.consolidated_content(rnd, None, dt.date(2025, 3, 20))
    assert context["submissions"][0]["agency"] == "Sở Pháp luật và Hộ tịch"


# --- The round's picker ------------------------------------------------------------------------


def test_the_round_form_offers_the_bodies_of_the_rounds_deadline(db):
    ended = AgencyFactory(code="SCU", valid_to=dt.date(2023, 12, 31))
    born = AgencyFactory(code="SMOI", valid_from=dt.date(2025, 7, 1))

    def offered(**data) -> set[str]:
        form = RoundForm(data or None)
        return set(form.fields["agencies"].queryset.values_list("code", flat=True))

    assert "SCU" not in offered() and "SMOI" in offered()  # today
    assert "SCU" in offered(kind="ad_hoc", year="2023", deadline="10/06/2023")
    in_2024 = offered(kind="quarterly", period="Q1", year="2024")
    assert "SCU" not in in_2024 and "SMOI" not in in_2024 and "STP" in in_2024
    assert (
        services.round_bodies(dt.date(2024, 3, 10), current=[ended, born])
        .filter(code__in=["SCU", "SMOI"])
        .count()
        == 2
    )


def test_a_round_refuses_a_body_not_in_existence_on_its_deadline(db):
    ended = AgencyFactory(code="SCU", name="Sở Cũ", valid_to=dt.date(2023, 12, 31))
    with pytest.raises(ValidationError) as caught:
        services.round_create(
            actor=officer(), kind="", year=2024, period="Q1", agencies=[ended, agency("STP")]
        )
    message = "Cơ quan không hoạt động vào hạn gửi báo cáo (10/03/2024): Sở Cũ."
    assert message in caught.value.messages
    assert not ReportRound.objects.filter(year=2024).exists()
    rnd = services.round_create(actor=officer(), kind="quarterly", year=2024, period="Q1")
    assert "SCU" not in set(rnd.required_agencies.values_list("code", flat=True))
