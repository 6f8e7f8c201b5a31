"""A long table laid out in two processes (``reports.split``, issue 14): the pages are the
single pass's, page for page; a prediction that is not borne out, a failing second process
or a short table give the single pass."""

import datetime as dt
import logging
import random
import subprocess

import pytest

from reports import pdf, split

pytestmark = pytest.mark.django_db

PHRASE = (
    "phối hợp thực hiện nhiệm vụ cải cách hành chính tỉnh Phú Yên năm báo cáo kết quả "
    "Ủy ban nhân dân xã Sở Nội vụ đề xuất triển khai"
)
WORDS = PHRASE.split(" ")
BODIES = ["Sở Nội vụ", "Ủy ban nhân dân xã Hòa Xuân Tây, thị xã Đông Hòa", "Sở Tư pháp", ""]


def status_html(rows: int, seed: int = 1) -> str:
    """The coordination status document with ``rows`` overdue rows of varied heights
    (one to five lines, some bodies' names wrapping, an empty cell)."""
    rng = random.Random(seed)
    overdue = [
        {
            "task": " ".join(rng.choice(WORDS) for _ in range(rng.choice([1, 3, 8, 20, 45]))),
            "agency": rng.choice(BODIES),
            "role": rng.choice(["Chủ trì", "Phối hợp"]),
            "due": dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
            "days": n,
        }
        for n in range(rows)
    ]
    counts = dict.fromkeys(
        ["chaired", "contributed", "done_on_time", "done_late", "submitted", "overdue"], 1
    )
    context = {
        "head": {
            "superior": "UBND TỈNH PHÚ YÊN",
            "issuer": "SỞ NỘI VỤ",
            "number": "Số: /BC-SNV",
            "subject": "",
            "place_date": "Phú Yên, ngày 04 tháng 12 năm 2026",
        },
        "doc_type": "BÁO CÁO",
        "summary": "Tình hình thực hiện các nhiệm vụ phối hợp về cải cách hành chính",
        "issuer_name": "Sở Nội vụ",
        "period": {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 12, 31)},
        "today": dt.date(2026, 12, 4),
        "rows": [{"agency": f"Cơ quan {n}", **counts} for n in range(12)],
        "totals": counts,
        "overdue": overdue,
        "closing": {
            "recipients": ["- Lưu: VT, CCHC."],
            "signer_title": ["GIÁM ĐỐC"],
            "signer_name": "Người Ký",
        },
    }
    return pdf.render_html("reports/pdf/coordination_status.html", context)


def pngs(data: bytes, folder, name: str, resolution: int = 40) -> list[bytes]:
    """The PDF's pages as PNG files' bytes (poppler's ``pdftoppm``), to compare prints."""
    path = folder / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", str(path), str(folder / name)], check=True
    )
    return [p.read_bytes() for p in sorted(folder.glob(f"{name}-*.png"))]


def test_two_processes_print_the_single_pass_pages(tmp_path, caplog):
    html = status_html(split.MIN_ROWS + 60)
    one = pdf._one_pass(html)
    two = pdf.layout(html)
    assert isinstance(two, split.SplitDocument)
    assert len(two.pages) == len(one.pages) >= 20
    # the signer's box (where an issued document is signed) is found on the same page
    assert pdf.signature_placement(two) == pdf.signature_placement(one)
    with caplog.at_level(logging.INFO, logger="reports.split"):
        single, joined = pdf.write(one), pdf.write(two)
    assert pngs(joined, tmp_path, "two") == pngs(single, tmp_path, "one")
    assert pdf.write(two) == joined  # written again: the same file, as WeasyPrint's Document
    # the second process's peak memory is told (the benchmark reads it)
    (record,) = [r for r in caplog.records if hasattr(r, "second_peak_mb")]
    assert record.second_peak_mb > 50


def test_a_prediction_not_borne_out_gives_the_single_pass(monkeypatch, caplog):
    real = split.predict

    def one_row_late(probe, parts, target):
        row, page = real(probe, parts, target)
        return row + 1, page

    monkeypatch.setattr(split, "predict", one_row_late)  # before the fork: the child's too
    html = status_html(split.MIN_ROWS + 10, seed=2)
    with caplog.at_level(logging.WARNING, logger="reports.split"):
        document = pdf.layout(html)
    assert not isinstance(document, split.SplitDocument)
    assert len(document.pages) == len(pdf._one_pass(html).pages)
    assert "was not borne out" in caplog.text


def test_a_failing_second_process_gives_the_single_pass(monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("probe failed")

    monkeypatch.setattr(split, "predict", broken)
    with caplog.at_level(logging.INFO, logger="reports.split"):
        document = pdf.layout(status_html(split.MIN_ROWS))
    assert not isinstance(document, split.SplitDocument)
    assert "probe failed" in caplog.text


def test_short_tables_other_documents_and_the_setting_keep_one_process(settings):
    short = split.parts_of(status_html(split.MIN_ROWS - 1))
    assert short is not None and not split.wanted(short)
    long = split.parts_of(status_html(split.MIN_ROWS))
    assert split.wanted(long)
    settings.DOCUMENT_LAYOUT_PROCESSES = 1
    assert not split.wanted(long)
    assert split.parts_of("<html><head></head><body><p>Một</p></body></html>") is None
    # a body holding anything but rows is not cut
    odd = status_html(split.MIN_ROWS).replace(
        '<tbody data-split="rows">', '<tbody data-split="rows"><caption>x</caption>', 1
    )
    assert split.parts_of(odd) is None


def test_the_parts_rebuild_the_rows_in_order():
    parts = split.parts_of(status_html(split.MIN_ROWS))
    assert len(parts.rows) == split.MIN_ROWS
    first, rest = parts.first(9), parts.rest(10, 7)
    # the summary's 12 rows and the first ten overdue rows, closed after the tenth
    assert first.count("<tr><td") == 12 + 10 and "III. Đề xuất" not in first
    assert first.endswith('<td class="num">9</td></tr></tbody></table></body></html>')
    assert '<tbody data-split="rows"><tr><td class="num">11</td>' in rest
    assert "III. Đề xuất" in rest and "I. Tổng hợp theo cơ quan" not in rest
    assert "counter-reset: page 7" in rest and '<body class="continued">' in rest


def test_a_row_that_cannot_be_measured_cuts_before_it(tmp_path, monkeypatch):
    html = status_html(split.MIN_ROWS + 20, seed=3)
    parts = split.parts_of(html)
    row = split.target_row(parts) - 5  # a line break in a cell: markup the model does not measure
    marked = parts.rows[row].replace("</td><td>", "<br>Ghi chú</td><td>", 1)
    html = html.replace(parts.rows[row], marked, 1)
    cuts = []
    real = split.predict

    def recorded(probe, parts, target):
        cuts.append(real(probe, parts, target))
        return cuts[-1]

    monkeypatch.setattr(split, "predict", recorded)
    two = pdf.layout(html)
    assert isinstance(two, split.SplitDocument)
    one = pdf._one_pass(html)
    assert pngs(pdf.write(two), tmp_path, "two") == pngs(pdf.write(one), tmp_path, "one")
