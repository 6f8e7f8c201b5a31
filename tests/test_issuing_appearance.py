"""How an issued, signed document looks (Decree 30/2020, Appendix I part II): the page is
rendered to a PNG with pdftoppm and the seal's red and the signature's blue are looked for
where the signer block reserved room for them — the box the job computed from the layout
(``#signature-box``), which is where the signature field was placed."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from reports import catalog, services
from reports.models import DocumentJob, IssuedDocument
from tests.factories import UserFactory, agency
from tests.reports_factories import make_round, submit
from tests.signing_support import signing_kit

pytestmark = pytest.mark.django_db
DIRECTOR = "Nguyễn Văn Bình"
DPI = 100
SCALE = DPI / 72  # pixels per PDF point


def _red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 150 and g < 110 and b < 110


def _blue(pixel) -> bool:
    r, g, b = pixel[:3]
    return b > 150 and r < 110 and g < 110


@pytest.fixture
def issued(noivu, django_capture_on_commit_callbacks) -> IssuedDocument:
    UserFactory(agency=agency("SNV"), full_name=DIRECTOR, position="Phó Giám đốc")
    signing_kit(agency("SNV"), signer_names=(DIRECTOR,))
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    cons = services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    cons.signer_name = DIRECTOR
    cons.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.consolidated_issue(actor=noivu, report=cons)
    return IssuedDocument.objects.select_related("document").get()


def _placement(row: IssuedDocument):
    """The signature box as the job computed it: the issued snapshot laid out again."""
    job = DocumentJob.objects.get(kind=row.kind, object_key=row.object_key)
    return catalog.build(row.kind, job.params, None, snapshot=job.snapshot).placement


def _page_png(data: bytes, page: int, tmp_path: Path) -> Image.Image:
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(data)
    prefix = tmp_path / "page"
    number = str(page + 1)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(DPI),
            "-f",
            number,
            "-l",
            number,
            "-png",
            "-singlefile",
            pdf,
            prefix,
        ],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("RGB")


def _widget_rect(data: bytes, page: int) -> list[float]:
    annotations = PdfReader(io.BytesIO(data)).pages[page].get("/Annots") or []
    for ref in annotations:
        annotation = ref.get_object()
        if annotation.get("/FT") == "/Sig" or annotation.get("/Parent", {}).get("/FT") == "/Sig":
            return [float(v) for v in annotation["/Rect"]]
    raise AssertionError("no signature field on the signer's page")


def test_the_seal_and_signature_are_drawn_in_the_signer_box(issued, tmp_path):
    with issued.document.file.open("rb") as handle:
        data = handle.read()
    box = _placement(issued)
    assert box is not None and box.height >= 36 * 72 / 25.4  # room for the seal's real size
    # The signature field lies exactly on the reserved box.
    x1, y1, x2, y2 = _widget_rect(data, box.page)
    assert abs(x1 - box.x) < 1 and abs(y1 - box.y) < 1
    assert abs(x2 - x1 - box.width) < 1 and abs(y2 - y1 - box.height) < 1
    image = _page_png(data, box.page, tmp_path)
    top = image.height - (box.y + box.height) * SCALE  # PDF y grows upwards, pixels down
    region = (box.x * SCALE, top, (box.x + box.width) * SCALE, top + box.height * SCALE)
    inside, outside = {"red": [], "blue": 0}, {"red": 0, "blue": 0}
    for y in range(image.height):
        for x in range(image.width):
            pixel = image.getpixel((x, y))
            within = region[0] <= x <= region[2] and region[1] <= y <= region[3]
            if _red(pixel):
                if within:
                    inside["red"].append((x, y))
                else:
                    outside["red"] += 1
            elif _blue(pixel):
                inside["blue"] += within
                outside["blue"] += not within
    assert len(inside["red"]) > 500, "the seal's red is not in the signature box"
    assert inside["blue"] > 200, "the signature's blue is not in the signature box"
    assert outside["red"] == 0 and outside["blue"] == 0  # nothing red or blue elsewhere
    # The seal is printed at its real size (36 mm) on the left of the box.
    xs = [x for x, _y in inside["red"]]
    width_mm = (max(xs) - min(xs)) / DPI * 25.4
    assert 32 <= width_mm <= 37, width_mm
    assert (min(xs) + max(xs)) / 2 < (region[0] + region[2]) / 2


def test_an_unsigned_draft_keeps_the_space_it_always_had(noivu):
    """The reserved box of a draft (nothing issued) is the 26 mm it always was."""
    rnd = make_round(actor=noivu)
    submit(rnd, "STP")
    services.consolidated_get_or_create(actor=noivu, rnd=rnd)
    html = catalog.html_of("consolidated", {"round": rnd.pk}, noivu)
    assert '<div id="signature-box" class="signer-space"></div>' in html
    assert "Tra cứu văn bản" not in html
