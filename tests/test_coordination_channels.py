"""One visibility policy for contributions on every channel (DESIGN.md "Contributions"):
the item page, its history, file downloads, the Excel export and the dossier PDF.

An unsent draft is its own body's alone; a submitted contribution is seen by its body,
the chairing and tracking bodies, Nội vụ officers and leadership, never by a peer
coordinating body. Related items appear only when visible to the user."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from agencies import roles
from agencies.once import new_token
from coordination import services
from coordination.models import Attachment, Contribution
from tests.conftest import login
from tests.coordination_factories import make_task
from tests.factories import UserFactory, agency
from tests.reports_factories import fetch_document

PDF = b"%PDF-1.4\n%test\n"
DRAFT_TOKEN = "XYZQ7319"
DRAFT_SENTENCE = f"Ý kiến riêng chưa gửi của Sở Tài chính {DRAFT_TOKEN}"
SENT_TOKEN = "PEER5521"


@pytest.fixture
def skhdt_focal(db):
    return UserFactory(username="t_skhdt", agency=agency("SKHDT"), roles=[roles.FOCAL_OFFICER])


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _xlsx_text(data: bytes) -> str:
    sheet = load_workbook(io.BytesIO(data)).active
    return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)


def _channels(client, task, attachment) -> dict[str, str | int]:
    """What each channel shows the client: page texts, and the download's status."""
    pages = {
        "item": client.get(reverse("task_detail", args=[task.pk])),
        "history": client.get(reverse("task_history", args=[task.pk])),
    }
    assert all(r.status_code == 200 for r in pages.values())
    dossier = fetch_document(client, reverse("task_dossier_pdf", args=[task.pk]))
    assert dossier.status_code == 200
    export = fetch_document(client, reverse("task_export"))
    assert export.status_code == 200
    return {
        **{name: r.content.decode() for name, r in pages.items()},
        "dossier": _pdf_text(dossier.data),
        "export": _xlsx_text(export.data),
        "download": client.get(reverse("attachment_download", args=[attachment.pk])).status_code,
    }


@pytest.fixture
def draft_task(noivu, contrib_focal, skhdt_focal):
    task = make_task(actor=noivu, contributors=("STC", "SKHDT"))
    for body in ("Bản nháp đầu", DRAFT_SENTENCE):  # an edit puts the text in the history
        services.contribution_save(
            actor=contrib_focal,
            task=task,
            form="comment",
            body=body,
            files=[SimpleUploadedFile(f"y-kien-{DRAFT_TOKEN}.pdf", PDF)]
            if body != DRAFT_SENTENCE
            else [],
            submit=False,
        )
    return task


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["skhdt_focal", "chair_focal", "tracker_focal", "noivu", "leader"])
def test_an_unsent_draft_reaches_no_other_body_on_any_channel(request, draft_task, who):
    attachment = Attachment.objects.get(contribution__isnull=False)
    seen = _channels(login(request.getfixturevalue(who)), draft_task, attachment)
    assert seen.pop("download") == 404
    for channel, text in seen.items():
        assert DRAFT_TOKEN not in text, f"{who} sees the draft on the {channel} channel"


@pytest.mark.django_db
def test_the_drafting_body_sees_its_own_draft_everywhere(draft_task, contrib_focal):
    attachment = Attachment.objects.get(contribution__isnull=False)
    seen = _channels(login(contrib_focal), draft_task, attachment)
    assert seen["download"] == 200
    assert DRAFT_SENTENCE in seen["item"] and DRAFT_SENTENCE in seen["history"]
    assert DRAFT_TOKEN in seen["dossier"]
    assert DRAFT_TOKEN not in seen["export"]  # the export carries no contribution text


@pytest.mark.django_db
def test_a_peer_coordinating_body_sees_nothing_of_a_submitted_contribution(
    noivu, contrib_focal, skhdt_focal, chair_focal
):
    task = make_task(actor=noivu, contributors=("STC", "SKHDT"))
    services.contribution_save(
        actor=contrib_focal,
        task=task,
        form="comment",
        body=f"Ý kiến đã gửi {SENT_TOKEN}",
        files=[SimpleUploadedFile(f"gop-y-{SENT_TOKEN}.pdf", PDF)],
        submit=True,
    )
    attachment = Attachment.objects.get(contribution__isnull=False)
    peer = _channels(login(skhdt_focal), task, attachment)
    assert peer.pop("download") == 404
    for channel, text in peer.items():
        assert SENT_TOKEN not in text, f"a peer body sees the submission on {channel}"
    chair = _channels(login(chair_focal), task, attachment)
    assert chair["download"] == 200
    assert SENT_TOKEN in chair["item"] and SENT_TOKEN in chair["dossier"]
    assert SENT_TOKEN in chair["history"]  # the file's record


@pytest.mark.django_db
def test_the_drafts_earlier_text_stays_out_of_the_history_once_submitted(
    noivu, contrib_focal, chair_focal
):
    task = make_task(actor=noivu, contributors=("STC",))
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body=DRAFT_SENTENCE, submit=False
    )
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Ý kiến chính thức", submit=True
    )
    html = login(chair_focal).get(reverse("task_history", args=[task.pk])).content.decode()
    assert DRAFT_TOKEN not in html
    own = login(contrib_focal).get(reverse("task_history", args=[task.pk])).content.decode()
    assert DRAFT_TOKEN in own


@pytest.mark.django_db
def test_parent_and_children_are_listed_only_when_visible(noivu, skhdt_focal, chair_focal):
    parent = make_task(actor=noivu, title="Kế hoạch CCHC năm PARENTX", contributors=("STC",))
    middle = make_task(actor=noivu, title="Nhiệm vụ giữa", parent=parent, contributors=("SKHDT",))
    make_task(actor=noivu, title="Nhiệm vụ con CHILDX", parent=middle, contributors=("STC",))
    url = reverse("task_detail", args=[middle.pk])
    html = login(skhdt_focal).get(url).content.decode()
    assert "PARENTX" not in html and "CHILDX" not in html
    html = login(chair_focal).get(url).content.decode()  # the chair of all three
    assert "PARENTX" in html and "CHILDX" in html


def _post_contribution(client, task, **data):
    payload = {
        "nom-TOTAL_FORMS": "3",
        "nom-INITIAL_FORMS": "0",
        "document_number": "",
        "once": new_token(),
        "confirmed": "1",
    }
    return client.post(reverse("contribution_new", args=[task.pk]), payload | data)


NOMINEE = {
    "nom-0-full_name": "Nguyễn Thị Bích",
    "nom-0-position": "Phó Trưởng phòng",
    "nom-0-agency_name": "Sở Tài chính",
    "nom-0-team": "inspection_team",
}


@pytest.mark.django_db
def test_officials_typed_with_a_written_comment_are_kept_and_shown(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = login(contrib_focal)
    response = _post_contribution(
        client, task, form="comment", body="Góp ý kèm cử cán bộ", save="1", **NOMINEE
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.nominations.get().full_name == "Nguyễn Thị Bích"
    assert "Nguyễn Thị Bích" in client.get(reverse("task_detail", args=[task.pk])).content.decode()
    # Reopening the draft shows the row, and saving again keeps it.
    form_html = client.get(reverse("contribution_new", args=[task.pk])).content.decode()
    assert "Nguyễn Thị Bích" in form_html
    _post_contribution(client, task, form="comment", body="Sửa lại", save="1", **NOMINEE)
    assert Contribution.objects.get().nominations.count() == 1


@pytest.mark.django_db
def test_an_incomplete_official_row_is_refused_and_changes_nothing(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    response = _post_contribution(
        login(contrib_focal),
        task,
        form="report",
        body="Báo cáo",
        submit="1",
        **{"nom-0-full_name": "Nguyễn Thị Bích"},
    )
    assert response.status_code == 200
    assert "Danh sách cán bộ được cử chưa hợp lệ." in response.content.decode()
    assert not Contribution.objects.exists()
    assert task.participations.get(agency__code="STC").status == "pending"


@pytest.mark.django_db
def test_an_incomplete_official_row_is_refused_by_the_service(noivu, contrib_focal):
    from django.core.exceptions import ValidationError

    task = make_task(actor=noivu, contributors=("STC",))
    with pytest.raises(ValidationError):
        services.contribution_save(
            actor=contrib_focal,
            task=task,
            form="comment",
            body="Góp ý",
            nominations=[{"full_name": "A", "position": "", "agency_name": "", "team": "x"}],
            submit=False,
        )
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_submit_sends_what_is_on_screen_without_saving_first(noivu, contrib_focal):
    task = make_task(actor=noivu, contributors=("STC",))
    client = login(contrib_focal)
    _post_contribution(client, task, form="comment", body="Bản nháp cũ", save="1")
    response = _post_contribution(
        client, task, form="comment", body="Nội dung vừa gõ rồi bấm Gửi", submit="1"
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.body == "Nội dung vừa gõ rồi bấm Gửi"
    assert contribution.submitted_at is not None and contribution.version == 1
    assert task.participations.get(agency__code="STC").status == "submitted"
