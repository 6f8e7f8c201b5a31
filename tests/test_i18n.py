"""Vietnamese by default, English available; printed documents stay Vietnamese."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.conftest import login


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogs():
    call_command("compilemessages", "--ignore=.venv", verbosity=0)


@pytest.mark.django_db
def test_pages_are_vietnamese_by_default(chair_focal):
    html = login(chair_focal).get(reverse("home")).content.decode()
    assert "Nhiệm vụ phối hợp" in html and 'lang="vi"' in html


@pytest.mark.django_db
def test_english_is_available(chair_focal):
    client = login(chair_focal)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html
    assert "Nhiệm vụ phối hợp" not in html  # the menu entry is translated


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese(chair_focal):
    html = login(chair_focal).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert 'lang="vi"' in html and "Nhiệm vụ phối hợp" in html


@pytest.mark.django_db
def test_a_document_rendered_for_an_english_reader_stays_vietnamese(noivu):
    from reports import catalog
    from tests.coordination_factories import make_task
    from tests.reports_factories import document
    from tests.test_pdf import pdf_text

    task = make_task(actor=noivu)
    with translation.override("en"):
        text = pdf_text(document(catalog.task_dossier(task, noivu), noivu))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Cơ quan chủ trì" in text
