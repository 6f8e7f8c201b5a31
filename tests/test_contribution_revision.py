"""A revision starts from the previous version (issue 18, point 11).

After a return, or for a new version, the contribution form shows what the body sent last:
its form, text, document number, officials and files. The files are carried over as
references to the same stored files (ticked, and removable by unticking); the version that
was sent is never changed."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.once import new_token
from coordination import services
from coordination.models import Attachment, Contribution
from tests.conftest import form_token, login
from tests.coordination_factories import make_task

PDF = b"%PDF-1.4\n%test\n"


def pdf(name):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def returned(noivu, contrib_focal, chair_focal):
    """Sở Tài chính sent version 1 with two files and one official; the chair returned it."""
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal,
        task=task,
        form="comment",
        body="Thống nhất, đề nghị bổ sung mục 3.",
        document_number="125/STC-VP",
        nominations=[
            {
                "full_name": "Nguyễn Thị Bích",
                "position": "Phó Trưởng phòng",
                "agency_name": "Sở Tài chính",
                "team": "inspection_team",
            }
        ],
        files=[pdf("cong-van.pdf"), pdf("phu-luc.pdf")],
        submit=True,
    )
    part = task.participations.get(agency__code="STC")
    services.participation_review(
        actor=chair_focal, participation=part, accept=False, reason="Bổ sung số liệu"
    )
    return task


def _page(client, task) -> str:
    return html.unescape(client.get(reverse("contribution_new", args=[task.pk])).content.decode())


def _post(client, task, **data):
    payload = {
        "form": "comment",
        "body": "",
        "document_number": "",
        "nom-TOTAL_FORMS": "0",
        "nom-INITIAL_FORMS": "0",
        "once": new_token(),
        "confirmed": "1",
    }
    return client.post(reverse("contribution_new", args=[task.pk]), payload | data)


@pytest.mark.django_db
def test_the_form_after_a_return_starts_from_what_was_sent(returned, contrib_focal):
    page = _page(login(contrib_focal), returned)
    assert "Lần gửi trước bị trả lại. Lý do: Bổ sung số liệu" in page
    assert "Biểu mẫu bắt đầu từ nội dung lần 1 đã gửi" in page
    assert ">\nThống nhất, đề nghị bổ sung mục 3.</textarea>" in page
    assert 'value="125/STC-VP"' in page
    assert 'value="Nguyễn Thị Bích"' in page
    v1 = Contribution.objects.get()
    for a in v1.attachments.all():
        assert f'name="keep" value="{a.pk}" checked> {a.original_name}' in page


@pytest.mark.django_db
def test_a_revision_keeps_the_ticked_files_by_reference_and_leaves_version_1_alone(
    returned, contrib_focal
):
    v1 = Contribution.objects.get()
    letter, annex = v1.attachments.order_by("original_name")
    stored = Attachment.objects.count()
    response = _post(
        login(contrib_focal),
        returned,
        body="Thống nhất; đã bổ sung số liệu mục 3.",
        files_shown="1",
        keep=[str(letter.pk)],  # the annex is unticked
        files=pdf("so-lieu.pdf"),
        submit="1",
    )
    assert response.status_code == 302
    v2 = Contribution.objects.get(version=2)
    assert v2.submitted_at is not None
    assert sorted(a.original_name for a in v2.attachments.all()) == ["cong-van.pdf", "so-lieu.pdf"]
    carried = v2.attachments.get(original_name="cong-van.pdf")
    assert carried.pk != letter.pk and carried.file.name == letter.file.name  # a reference
    assert Attachment.objects.count() == stored + 2
    assert carried.history.first().history_change_reason == "Giữ tệp của lần gửi trước"
    v1.refresh_from_db()  # the version that was sent is unchanged
    assert v1.body == "Thống nhất, đề nghị bổ sung mục 3."
    assert v1.attachments.count() == 2
    # The carried file downloads.
    response = login(contrib_focal).get(reverse("attachment_download", args=[carried.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_carried_files_count_as_content(returned, contrib_focal):
    """A revision that only keeps the previous letter needs no new text or file."""
    v1 = Contribution.objects.get()
    keep = [str(a.pk) for a in v1.attachments.all()]
    response = _post(login(contrib_focal), returned, files_shown="1", keep=keep, save="1")
    assert response.status_code == 302
    draft = Contribution.objects.get(version=2)
    assert draft.submitted_at is None and draft.attachments.count() == 2


@pytest.mark.django_db
def test_a_draft_shows_its_own_files_and_unticking_removes_one(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = login(contrib_focal)
    _post(client, task, body="Nháp", files=pdf("nhap.pdf"), save="1")
    draft = Contribution.objects.get()
    [attachment] = draft.attachments.all()
    page = _page(client, task)
    assert "Biểu mẫu bắt đầu từ nội dung" not in page  # a draft is not a revision
    assert f'name="keep" value="{attachment.pk}" checked> nhap.pdf' in page
    _post(client, task, body="Nháp 2", files_shown="1", save="1")  # nothing ticked
    assert not draft.attachments.exists()
    assert Contribution.objects.get().body == "Nháp 2"


@pytest.mark.django_db
def test_another_versions_file_ids_are_not_taken(returned, noivu, contrib_focal):
    """Only the previous version's files can be kept: an id from elsewhere is ignored."""
    other = make_task(actor=noivu, title="Khác")
    stranger = services.attachment_add(actor=noivu, task=other, upload=pdf("mat.pdf"))
    _post(
        login(contrib_focal),
        returned,
        body="Lần 2",
        files_shown="1",
        keep=[str(stranger.pk)],
        save="1",
    )
    assert not Contribution.objects.get(version=2).attachments.exists()


@pytest.mark.django_db
def test_a_bad_file_list_is_refused_with_everything_kept(returned, contrib_focal):
    response = _post(
        login(contrib_focal),
        returned,
        body="Lần 2 của tôi",
        files_shown="1",
        keep=["abc"],
        save="1",
    )
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Danh sách tệp giữ lại không hợp lệ" in page
    assert "Lần 2 của tôi" in page
    assert Contribution.objects.count() == 1


@pytest.mark.django_db
def test_the_revision_form_has_a_one_time_token(returned, contrib_focal):
    client = login(contrib_focal)
    token = form_token(client.get(reverse("contribution_new", args=[returned.pk])))
    data = {"body": "Lần 2", "save": "1", "once": token}
    assert _post(client, returned, **data).status_code == 302
    again = _post(client, returned, **data)  # double click / Back and resend
    assert again.status_code == 302
    assert Contribution.objects.filter(version=2).count() == 1
    assert Contribution.objects.count() == 2


@pytest.mark.django_db
def test_carried_files_count_once_against_the_items_size_limit(returned, contrib_focal, settings):
    """Two stored files of version 1, carried by reference: the item still holds two files,
    so a third of the same size fits a limit of three."""
    settings.UPLOAD_MAX_ITEM_BYTES = len(PDF) * 3
    v1 = Contribution.objects.get()
    keep = [str(a.pk) for a in v1.attachments.all()]
    response = _post(
        login(contrib_focal), returned, files_shown="1", keep=keep, files=pdf("them.pdf"), save="1"
    )
    assert response.status_code == 302
    assert Contribution.objects.get(version=2).attachments.count() == 3
