"""A stored document is found current cheaply and never served after its data changed
(issue 14, ``reports.freshness``), and the leaner WeasyPrint set-up lays documents out
exactly as WeasyPrint's own.

The exact data key is computed once; later downloads read the witness (the write stamps
of the tables the key reads, one cache read) and skip it while nothing was written. A
change moves a stamp, so the exact key is computed again and the document is built anew.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import update_last_login
from django.core.cache import caches
from django.utils import timezone

from agencies.history import system_actor
from coordination import services as coord
from reports import catalog, freshness, pdf
from reports.models import DocumentJob, GeneratedDocument
from tests.conftest import login
from tests.factories import UserFactory, agency
from tests.reports_factories import make_task
from tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db


def status_url() -> str:
    year = timezone.localdate().year
    return f"/reports/coordination-status.pdf?from={year}-01-01&to={year}-12-31"


@pytest.fixture
def settled(monkeypatch):
    """Stamps count as settled at once (the tests' writes are milliseconds old)."""
    monkeypatch.setattr(freshness, "SETTLE_SECONDS", -60)


@pytest.fixture
def exact_keys(monkeypatch):
    """How many times the exact key's history versions were read."""
    calls = []
    real = catalog.version_of
    monkeypatch.setattr(catalog, "version_of", lambda source: (calls.append(1), real(source))[1])
    return calls


def download(client) -> bytes:
    response = client.get(status_url())
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


@pytest.fixture
def stored(noivu, settled, django_capture_on_commit_callbacks):
    # The account jobs record history under exists (a job creates it once, a change of
    # people that moves the signer's witness).
    system_actor()
    make_task(actor=noivu)
    client = login(noivu)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(status_url()).status_code == 303  # built by its job
    return client


def test_a_repeat_download_reads_no_history_once_the_build_is_stored(stored, exact_keys):
    data = download(stored)
    assert data.startswith(b"%PDF-")
    assert exact_keys == []  # the job remembered its key: one cache read, no history
    assert download(stored) == data and exact_keys == []


@pytest.fixture
def signer_reads(monkeypatch):
    """How many times the signer's name was looked up (``pdf.lead_signer``)."""
    calls = []
    real = pdf.lead_signer
    monkeypatch.setattr(pdf, "lead_signer", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    return calls


def test_a_repeat_download_does_not_look_the_signer_up(stored, signer_reads):
    download(stored)
    download(stored)
    assert signer_reads == []  # the people's version stands for the signer's name


def test_a_new_director_moves_the_witness_and_the_document_is_built_again_with_the_name(
    stored, noivu, exact_keys, signer_reads, django_capture_on_commit_callbacks
):
    download(stored)
    first = GeneratedDocument.objects.get(kind="coordination_status").data_key
    director = UserFactory(
        username="t_giamdoc", agency=agency("SNV"), full_name="Nguyễn Văn Bình", position="Giám đốc"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = stored.get(status_url())
    assert response.status_code == 303  # a new job: the name changed
    assert exact_keys and signer_reads  # the exact key read the signer again
    doc = GeneratedDocument.objects.get(kind="coordination_status")
    assert doc.data_key != first
    assert "Nguyễn Văn Bình" in pdf_text(download(stored))
    # A sign-in writes only the user's last sign-in time: the witness stands.
    exact_keys.clear()
    signer_reads.clear()
    update_last_login(None, director)  # what a sign-in writes
    download(stored)
    assert exact_keys == [] and signer_reads == []


def test_a_change_after_the_document_was_stored_builds_it_again(
    stored, noivu, exact_keys, django_capture_on_commit_callbacks
):
    first = GeneratedDocument.objects.get(kind="coordination_status").data_key
    task = make_task(actor=noivu)
    task.refresh_from_db()
    coord.task_update(
        actor=noivu, task=task, expected_version=task.version, changes={"title": "Tên mới"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = stored.get(status_url())
    assert response.status_code == 303  # a new job, not the stored file
    assert exact_keys  # the witness moved: the exact key was computed again
    doc = GeneratedDocument.objects.get(kind="coordination_status")
    assert doc.data_key != first and DocumentJob.objects.count() == 2
    exact_keys.clear()
    download(stored)
    assert exact_keys == []


def test_a_write_to_any_table_the_key_reads_moves_the_witness(noivu, settled):
    make_task(actor=noivu)
    ask = catalog.coordination_status(timezone.localdate(), timezone.localdate())
    before = ask._witness[0]
    assert before and catalog.coordination_status(ask_date(), ask_date())._witness[0] == before
    make_task(actor=noivu, chair="SYT")  # new items and participations, with history
    assert catalog.coordination_status(ask_date(), ask_date())._witness[0] != before


def ask_date():
    return timezone.localdate()


def test_a_witness_younger_than_the_settling_delay_is_not_trusted(noivu, exact_keys):
    make_task(actor=noivu)  # stamped just now
    ask = catalog.coordination_status(ask_date(), ask_date())
    assert ask._witness == ("", None)
    assert ask.is_current(ask.data_key) and exact_keys


def test_a_stamp_lost_from_the_cache_comes_back_different(noivu, settled):
    make_task(actor=noivu)
    caches["default"].clear()
    first = catalog.coordination_status(ask_date(), ask_date())._witness[0]
    assert first and catalog.coordination_status(ask_date(), ask_date())._witness[0] == first
    time.sleep(0.01)
    caches["default"].clear()  # evicted: created again, with a new time
    assert catalog.coordination_status(ask_date(), ask_date())._witness[0] != first


def test_a_remembered_check_matches_only_its_own_witness_and_key(noivu, settled):
    make_task(actor=noivu)
    ask = catalog.coordination_status(ask_date(), ask_date())
    witness = ask._witness[0]
    freshness.remember(ask.kind, ask.object_key, witness, "k1")
    again = catalog.coordination_status(ask_date(), ask_date())
    assert freshness.known_current(again._witness[0], again._witness[1], "k1")
    assert not freshness.known_current(again._witness[0], again._witness[1], "k2")
    assert not freshness.known_current("", again._witness[1], "k1")
    assert not freshness.known_current("other", again._witness[1], "k1")


def test_untracked_tables_give_no_witness():
    assert freshness.witness("k", "o", ["a_table_cachalot_does_not_track"], []) == ("", None)
    assert freshness.witness("k", "o", [], []) == ("", None)


def test_an_issued_document_has_no_witness_its_key_is_fixed():
    ask = catalog.Ask("consolidated", "round-1", {"round": 1}, "x.pdf", fixed_key="issued-x")
    assert ask._witness == ("", None)


# --- Layout: the leaner user-agent stylesheet prints the same ------------------------------

SAMPLE = """<html><body><table class="doc-header"><tr><td class="head-left">
<div class="issuer">SỞ NỘI VỤ</div></td><td class="head-right"><div class="nation">CỘNG HÒA
</div></td></tr></table><h2>I. Tổng hợp</h2><p>Đoạn văn bản thử, căn đều hai bên, có
<q>trích dẫn</q> và <b>chữ đậm</b>.<br>Dòng mới.</p><ul><li>Một</li><li>Hai</li></ul>
<ol><li>Thứ nhất</li></ol><table class="data"><thead><tr><th class="num">STT</th>
<th>Nhiệm vụ</th></tr></thead><tbody>{rows}</tbody></table></body></html>"""


def boxes(document) -> list[tuple]:
    """Every box of every page: its type, place, size and text."""
    out = []
    for page in document.pages:
        for box in page._page_box.descendants():
            text = getattr(box, "text", "")
            place = (box.position_x, box.position_y, box.width, box.height)
            kind = (type(box).__name__, box.element_tag)
            out.append((*kind, *(round(v or 0, 3) for v in place), text))
    return out


def test_the_leaner_user_agent_stylesheet_lays_out_exactly_as_weasyprints_own():
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    rows = "".join(
        f'<tr><td class="num">{n}</td><td>Nhiệm vụ số {n}: triển khai kế hoạch cải cách '
        "hành chính của tỉnh</td></tr>"
        for n in range(1, 60)
    )
    html = SAMPLE.format(rows=rows)
    fonts = FontConfiguration()
    css = CSS(filename=str(pdf.PDF_CSS), font_config=fonts)
    plain = HTML(string=html, base_url=str(pdf.STATIC_DIR)).render(
        stylesheets=[css], font_config=fonts
    )
    lean = pdf.layout(html)
    assert len(lean.pages) == len(plain.pages) >= 2
    assert boxes(lean) == boxes(plain)
    assert [b[1] for b in boxes(lean)].count("li::marker") == 3  # list items keep markers


def test_without_the_cache_the_exact_key_decides(noivu, settled, monkeypatch, exact_keys):
    make_task(actor=noivu)
    ask = catalog.coordination_status(ask_date(), ask_date())

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(freshness, "_create_stamps", down)
    caches["default"].clear()
    assert ask._witness == ("", None)
    assert ask.is_current(ask.data_key) and exact_keys


def test_documents_are_built_with_fewer_collections_and_the_threshold_comes_back(monkeypatch):
    import gc
    import threading

    before = gc.get_threshold()
    seen = []
    inside, leave = threading.Event(), threading.Event()

    def other_thread():
        with pdf.fewer_collections():
            inside.set()
            leave.wait(5)

    worker = threading.Thread(target=other_thread)
    worker.start()
    inside.wait(5)
    with pytest.raises(ValueError), pdf.fewer_collections():
        seen.append(gc.get_threshold()[0])
        raise ValueError
    seen.append(gc.get_threshold()[0])  # the other thread still builds
    leave.set()
    worker.join(5)
    assert seen == [pdf.LAYOUT_GC_THRESHOLD] * 2
    assert gc.get_threshold() == before

    original, calls = pdf.fewer_collections, []

    def counted():
        calls.append(1)
        return original()

    monkeypatch.setattr(pdf, "fewer_collections", counted)
    pdf.write(pdf.layout("<p>Một</p>"))
    assert len(calls) == 2  # the layout and the writing each
