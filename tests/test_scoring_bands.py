"""Score bands edited as rows (name, from %, to %): stored as before, checked for gaps and
overlaps with Vietnamese messages naming the rows; a refused form keeps what was typed and
changes nothing; the page works without scripts (blank rows to fill)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from scoring.bands import bands_from_rows, rows_from_bands
from scoring.forms import PeriodEditForm
from scoring.models import DEFAULT_BANDS, ScoringPeriod
from tests.conftest import login
from tests.scoring_factories import (  # noqa: F401 - fast_passwords is an autouse fixture
    build_period,
    fast_passwords,
    windows,
)


def row(label, start, end) -> dict:
    return {"label": label, "from": start, "to": end}


def refusal(rows) -> list[str]:
    with pytest.raises(ValidationError) as info:
        bands_from_rows(rows)
    return info.value.messages


def test_rows_are_stored_as_labels_and_minimums_highest_first():
    rows = [row("Khá", "80", "90"), row("Tốt", "90", "100"), row("Đạt", "0", "80")]
    assert bands_from_rows(rows) == [
        {"label": "Tốt", "min": 90.0},
        {"label": "Khá", "min": 80.0},
        {"label": "Đạt", "min": 0.0},
    ]


def test_stored_bands_show_as_rows_each_ending_where_the_next_starts():
    assert rows_from_bands(DEFAULT_BANDS) == [
        row("A", "90", "100"),
        row("B", "80", "90"),
        row("C", "70", "80"),
        row("D", "0", "70"),
    ]
    assert bands_from_rows(rows_from_bands(DEFAULT_BANDS)) == [
        {"label": b["label"], "min": float(b["min"])} for b in DEFAULT_BANDS
    ]


def test_a_vietnamese_decimal_comma_is_read():
    rows = [row("Tốt", "82,5", "100"), row("Chưa tốt", "0", "82,5")]
    assert bands_from_rows(rows)[0] == {"label": "Tốt", "min": 82.5}


def test_blank_rows_are_ignored():
    rows = [row("", "", ""), row("Đạt", "0", "100"), row(" ", "", "")]
    assert bands_from_rows(rows) == [{"label": "Đạt", "min": 0.0}]


def test_a_gap_is_named_with_its_rows():
    messages = refusal([row("Tốt", "85", "100"), row("Khá", "70", "80"), row("Yếu", "0", "70")])
    assert messages == [
        "Giữa dòng 2 (Khá: 70–80%) và dòng 1 (Tốt: 85–100%) còn trống từ 80% đến 85%."
    ]


def test_an_overlap_is_named_with_its_rows():
    messages = refusal([row("Tốt", "85", "100"), row("Khá", "70", "90"), row("Yếu", "0", "70")])
    assert messages == [
        "Dòng 2 (Khá: 70–90%) và dòng 1 (Tốt: 85–100%) chồng lên nhau từ 85% đến 90%."
    ]


def test_both_ends_must_be_covered():
    messages = refusal([row("Tốt", "90", "95"), row("Khá", "50", "90")])
    assert "Chỉ số từ 0% đến 50% chưa có xếp loại: dòng 2 (Khá: 50–90%) phải bắt đầu từ 0%." in (
        messages
    )
    assert (
        "Chỉ số từ 95% đến 100% chưa có xếp loại: dòng 1 (Tốt: 90–95%) phải kết thúc ở 100%."
        in messages
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([row("", "0", "100")], "Dòng 1: thiếu tên xếp loại."),
        ([row("Đạt", "", "100")], "Dòng 1: thiếu “từ %”."),
        ([row("Đạt", "50", "40")], "Dòng 1 (Đạt): “từ %” phải nhỏ hơn “đến %”."),
        ([row("Đạt", "0", "120")], "Dòng 1, đến %"),
        ([row("Đạt", "1e2", "100")], "Dòng 1, từ %"),
        ([row("Đạt", "nan", "100")], "Dòng 1, từ %"),
        ([row("Đạt\x00", "0", "100")], "Dòng 1"),
        ([row("Đạt", "0", "50"), row("đạt", "50", "100")], "Dòng 2 trùng tên “đạt” với dòng 1."),
        ([row("", "", "")], "Hãy nhập ít nhất một mức xếp loại."),
    ],
)
def test_bad_rows_are_refused_in_vietnamese_naming_the_row(rows, expected):
    assert any(expected in m for m in refusal(rows)), refusal(rows)


def test_more_than_ten_bands_are_refused():
    rows = [row(f"Mức {i}", str(i * 9), str((i + 1) * 9)) for i in range(11)]
    rows[0]["from"], rows[-1]["to"] = "0", "100"
    assert "Tối đa 10 mức xếp loại." in refusal(rows)


def post_rows(rows: list[dict]) -> dict:
    data = {}
    for i, r in enumerate(rows):
        data.update({f"bands-{i}-{k}": v for k, v in r.items()})
    return data


@pytest.fixture
def period(noivu):
    return build_period(noivu, codes=("STP",))


def edit_form(period, rows) -> dict:
    data = {"title": period.title, **post_rows(rows)}
    data.update({k: v.isoformat() for k, v in windows().items()})
    return data


@pytest.mark.django_db
def test_the_edit_page_shows_the_bands_as_rows_with_blank_rows_to_add(period, noivu):
    page = login(noivu).get(f"/scoring/periods/{period.pk}/edit/").content.decode()
    assert 'name="bands-0-label" id="id_bands-0-label" value="A"' in page
    assert 'name="bands-0-from"' in page and 'value="90"' in page
    assert 'name="bands-3-to" id="id_bands-3-to" value="70"' in page
    assert 'name="bands-5-label"' in page  # blank rows to fill without scripts
    assert 'for="id_bands-0-label"' in page  # the label points at a visible control
    assert "js/bands.js" in page and "Thêm dòng" in page


@pytest.mark.django_db
def test_saving_rows_stores_the_bands_with_history(period, noivu):
    rows = [row("Tốt", "85", "100"), row("Khá", "65", "85"), row("", "", ""), row("Yếu", "0", "65")]
    response = login(noivu).post(f"/scoring/periods/{period.pk}/edit/", edit_form(period, rows))
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.bands == [
        {"label": "Tốt", "min": 85.0},
        {"label": "Khá", "min": 65.0},
        {"label": "Yếu", "min": 0.0},
    ]
    assert period.band_for(__import__("decimal").Decimal("70")) == "Khá"
    assert period.history.latest("history_date").history_change_reason == "Sửa đợt chấm điểm"


@pytest.mark.django_db
def test_a_gap_is_refused_keeps_what_was_typed_and_changes_nothing(period, noivu):
    before = (period.bands, ScoringPeriod.history.count())
    rows = [row("Tốt", "85", "100"), row("Khá", "70", "80"), row("Yếu", "0", "70")]
    response = login(noivu).post(f"/scoring/periods/{period.pk}/edit/", edit_form(period, rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert "còn trống từ 80% đến 85%" in page
    assert 'name="bands-1-to" id="id_bands-1-to" value="80"' in page  # kept as typed
    period.refresh_from_db()
    assert (period.bands, ScoringPeriod.history.count()) == before


@pytest.mark.django_db
def test_a_new_period_takes_its_bands_from_rows(noivu):
    from tests.scoring_factories import build_set

    form = {
        "year": "2025",
        "title": "Đợt mới",
        "department_set": build_set().pk,
        "agencies": [],
        **post_rows([row("Đạt", "50", "100"), row("Chưa đạt", "0", "50")]),
    }
    client = login(noivu)
    page = client.get("/scoring/periods/new/").content.decode()
    assert 'value="A"' in page and 'value="90"' in page  # the default bands as rows
    from agencies.once import new_token
    from tests.factories import agency

    form.update({k: v.isoformat() for k, v in windows().items()})
    form.update({"agencies": [agency("STP").pk], "once": new_token()})
    assert client.post("/scoring/periods/new/", form).status_code == 302
    assert ScoringPeriod.objects.get(title="Đợt mới").bands == [
        {"label": "Đạt", "min": 50.0},
        {"label": "Chưa đạt", "min": 0.0},
    ]


@pytest.mark.django_db
def test_the_form_renders_four_bands_and_two_blank_rows():
    form = PeriodEditForm(initial={"bands": DEFAULT_BANDS})
    html = str(form["bands"])
    assert html.count("data-band-row>") == 6  # four bands and two blank rows


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ([{"label": "A", "min": 90}, {"label": "B", "min": 50}], "phải bắt đầu từ 0%"),
        ([{"label": "A", "min": 90}, {"label": "A", "min": 0}], "trùng tên"),
        ([{"label": "A", "min": 0}, {"label": "B", "min": 0}], "phải nhỏ hơn"),
        ([{"label": "A"}], "Xếp loại không đúng định dạng."),
    ],
)
def test_the_service_owns_the_bands_rule(period, noivu, bands, expected):
    """A caller that skips the form (a command, the API) meets the same rule; nothing changes."""
    from scoring import services

    before = period.bands
    with pytest.raises(ValidationError) as info:
        services.period_update(
            actor=noivu, period=period, title=period.title, windows=windows(), bands=bands
        )
    assert any(expected in m for m in info.value.messages)
    period.refresh_from_db()
    assert period.bands == before
