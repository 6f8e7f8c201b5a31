"""The period's score bands (xếp loại) edited as rows — name, from %, to % — and stored as
they always were: ``[{"label": "A", "min": 90}, …]`` (``ScoringPeriod.bands``).

A row covers from (included) up to to (excluded; the top row includes 100). The rows must
join up from 0 % to 100 % with no gap and no overlap; every problem is said in Vietnamese,
naming the rows. Blank rows are ignored, so a row is removed by emptying it (without
scripts) or with its "Xóa" button (``static/js/bands.js``, which also adds rows)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from agencies.validators import clean_text, parse_decimal

BAND_LIMIT = 10  # bands a period may have
ROW_SCAN = 50  # posted row indexes read (rows added by the script keep rising numbers)
PARTS = ("label", "from", "to")
HUNDRED = Decimal(100)


def _pct(value: Decimal) -> str:
    """90 -> "90", 82.5 -> "82,5" (what the rows show and the messages say)."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def rows_from_bands(bands: list[dict]) -> list[dict]:
    """Stored bands as rows, highest first: each row ends where the one above starts."""
    rows, upper = [], HUNDRED
    for band in sorted(bands or [], key=lambda b: -Decimal(str(b["min"]))):
        minimum = Decimal(str(band["min"]))
        rows.append({"label": str(band["label"]), "from": _pct(minimum), "to": _pct(upper)})
        upper = minimum
    return rows


@dataclass
class Row:
    number: int  # as shown on the page, from 1
    label: str
    start: Decimal
    end: Decimal

    def __str__(self) -> str:
        return _("dòng %(n)s (%(label)s: %(start)s–%(end)s%%)") % {
            "n": self.number,
            "label": self.label,
            "start": _pct(self.start),
            "end": _pct(self.end),
        }


def _read_row(number: int, raw: dict, errors: list[str]) -> Row | None:
    texts = {part: (raw.get(part) or "").strip() for part in PARTS}
    if not any(texts.values()):
        return None
    where = _("Dòng %(n)s") % {"n": number}
    problems = []
    try:
        label = clean_text(texts["label"], max_length=50, multiline=False, label=where)
    except ValidationError as exc:
        problems.extend(exc.messages)
        label = ""
    if not label and not problems:
        problems.append(_("%(where)s: thiếu tên xếp loại.") % {"where": where})
    bounds = {}
    for part, name in (("from", _("từ %")), ("to", _("đến %"))):
        if not texts[part]:
            problems.append(_("%(where)s: thiếu “%(name)s”.") % {"where": where, "name": name})
            continue
        try:
            bounds[part] = parse_decimal(
                texts[part],
                max_digits=5,
                decimal_places=2,
                minimum=Decimal(0),
                maximum=HUNDRED,
                label=f"{where}, {name}",
            )
        except ValidationError as exc:
            problems.extend(exc.messages)
    if not problems and bounds["from"] >= bounds["to"]:
        problems.append(
            _("%(where)s (%(label)s): “từ %%” phải nhỏ hơn “đến %%”.")
            % {"where": where, "label": label}
        )
    errors.extend(problems)
    return None if problems else Row(number, label, bounds["from"], bounds["to"])


def _coverage_errors(rows: list[Row]) -> list[str]:
    """Gaps and overlaps between the rows, and the ends at 0 % and 100 %."""
    errors = []
    ordered = sorted(rows, key=lambda r: (r.start, r.end))
    if ordered[0].start > 0:
        errors.append(
            _("Chỉ số từ 0%% đến %(end)s%% chưa có xếp loại: %(row)s phải bắt đầu từ 0%%.")
            % {"end": _pct(ordered[0].start), "row": ordered[0]}
        )
    top = max(rows, key=lambda r: r.end)
    if top.end < HUNDRED:
        errors.append(
            _("Chỉ số từ %(start)s%% đến 100%% chưa có xếp loại: %(row)s phải kết thúc ở 100%%.")
            % {"start": _pct(top.end), "row": top}
        )
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        if lower.end < upper.start:
            errors.append(
                _("Giữa %(a)s và %(b)s còn trống từ %(start)s%% đến %(end)s%%.")
                % {"a": lower, "b": upper, "start": _pct(lower.end), "end": _pct(upper.start)}
            )
        elif lower.end > upper.start:
            message = _("%(a)s và %(b)s chồng lên nhau từ %(start)s%% đến %(end)s%%.") % {
                "a": lower,
                "b": upper,
                "start": _pct(upper.start),
                "end": _pct(min(lower.end, upper.end)),
            }
            errors.append(message[:1].upper() + message[1:])
    return errors


def _name_errors(rows: list[Row]) -> list[str]:
    seen: dict[str, Row] = {}
    errors = []
    for row in rows:
        first = seen.setdefault(row.label.casefold(), row)
        if first is not row:
            errors.append(
                _("Dòng %(n)s trùng tên “%(label)s” với dòng %(m)s.")
                % {"n": row.number, "label": row.label, "m": first.number}
            )
    return errors


def bands_from_rows(raw_rows: list[dict]) -> list[dict]:
    """The rows as stored bands (highest first), or ValidationError naming every problem."""
    errors: list[str] = []
    rows = [
        row
        for number, raw in enumerate(raw_rows, start=1)
        if (row := _read_row(number, raw, errors)) is not None
    ]
    if not errors and not rows:
        errors.append(_("Hãy nhập ít nhất một mức xếp loại."))
    if len(rows) > BAND_LIMIT:
        errors.append(_("Tối đa %(n)s mức xếp loại.") % {"n": BAND_LIMIT})
    if not errors:
        errors = _name_errors(rows) + _coverage_errors(rows)
    if errors:
        raise ValidationError(errors)
    ordered = sorted(rows, key=lambda r: -r.start)
    return [{"label": r.label, "min": float(r.start)} for r in ordered]


def checked_bands(bands: list[dict]) -> list[dict]:
    """Stored bands as the services accept them: read back as rows and checked by the same
    rule as the form (``bands_from_rows``), or ValidationError."""
    try:
        rows = rows_from_bands(bands)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ValidationError(_("Xếp loại không đúng định dạng.")) from exc
    return bands_from_rows(rows)


class BandRowsWidget(forms.Widget):
    """A table of rows (name, from %, to %) posted as ``<name>-<i>-label/from/to``; two
    blank rows for adding without scripts."""

    template_name = "scoring/widgets/band_rows.html"
    blank_rows = 2

    def format_value(self, value):
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = list(value or [])
        total = min(max(len(rows) + self.blank_rows, 4), max(len(rows), BAND_LIMIT))
        rows += [{"label": "", "from": "", "to": ""}] * (total - len(rows))
        context["widget"]["rows"] = [{"index": i, **row} for i, row in enumerate(rows)]
        context["widget"]["limit"] = BAND_LIMIT
        return context

    def value_from_datadict(self, data, files, name):
        rows = []
        for index in range(ROW_SCAN):
            keys = [f"{name}-{index}-{part}" for part in PARTS]
            if any(key in data for key in keys):
                pairs = zip(PARTS, keys, strict=True)
                rows.append({part: data.get(key, "") for part, key in pairs})
        return rows

    def value_omitted_from_data(self, data, files, name):
        return not any(str(key).startswith(f"{name}-") for key in data)

    def id_for_label(self, id_):
        return f"{id_}-0-label" if id_ else id_

    def _render(self, template_name, context, renderer=None):
        # The portal's own templates (Django's form renderer reads only its built-in ones).
        return mark_safe(render_to_string(template_name, context))


class BandsField(forms.Field):
    """Bands edited as rows; cleans to the stored list (``bands_from_rows``)."""

    widget = BandRowsWidget

    def prepare_value(self, value):
        """Rows for the widget: stored bands (``min``) are turned into rows."""
        if value and isinstance(value, list) and "min" in value[0]:
            return rows_from_bands(value)
        return value

    def to_python(self, value):
        return bands_from_rows(value or [])

    def validate(self, value):
        pass  # bands_from_rows said everything

    def has_changed(self, initial, data):
        return True
