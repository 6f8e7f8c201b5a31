"""Reading a criteria set from .csv or .xlsx, with line-numbered Vietnamese errors.

Columns (see docs/import-format.md): code, parent_code, title, max_points, method, options,
evidence_required, responsible_agency, applies_to, computed_source. Only code, title and
max_points are required. The template's first row names them in Vietnamese ("Mã tiêu chí",
…) and its second row gives the codes; a file may have either row or both (files made before
the Vietnamese headings have the codes alone on line 1). The method may be written as its
Vietnamese name ("Chọn một mức") or its code ("options").
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as language_override

from agencies import validators
from agencies.models import Agency
from agencies.spreadsheets import first_sheet_rows
from scoring.models import Criterion

COLUMNS = [
    "code",
    "parent_code",
    "title",
    "max_points",
    "method",
    "options",
    "evidence_required",
    "responsible_agency",
    "applies_to",
    "computed_source",
]
REQUIRED = ["code", "title", "max_points"]
# The Vietnamese heading of each column (the template's first row; the codes are its second).
HEADINGS = {
    "code": gettext_lazy("Mã tiêu chí"),
    "parent_code": gettext_lazy("Mã tiêu chí cha"),
    "title": gettext_lazy("Nội dung tiêu chí"),
    "max_points": gettext_lazy("Điểm tối đa"),
    "method": gettext_lazy("Cách chấm"),
    "options": gettext_lazy("Các mức điểm"),
    "evidence_required": gettext_lazy("Cần tài liệu kiểm chứng"),
    "responsible_agency": gettext_lazy("Cơ quan thẩm định"),
    "applies_to": gettext_lazy("Áp dụng cho loại cơ quan"),
    "computed_source": gettext_lazy("Nguồn số liệu tự tính"),
}
CODE_RE = re.compile(r"^(?=.{1,20}$)[0-9]+(\.[0-9]+)*$")  # ASCII digits; Criterion.code
TRUE_WORDS = {"1", "x", "có", "co", "yes", "true", "c"}
FALSE_WORDS = {"", "0", "không", "khong", "no", "false", "k"}
MAX_IMPORT_BYTES = 2 * 1024 * 1024
INLINE_BYTES = 200 * 1024  # larger files are checked and saved by a job (IMPORT_INLINE_BYTES)
CELL_MAX_LENGTH = 500  # the longest column: a criterion's title (Criterion.title)


@dataclass
class Row:
    line: int
    code: str
    parent_code: str
    title: str
    max_points: Decimal
    method: str
    options: list[dict]
    evidence_required: bool
    agency: Agency | None
    applies_to: list[str]
    computed_source: str
    depth: int = 1

    @property
    def method_label(self) -> str:
        return str(Criterion.Method(self.method).label)


@dataclass
class ImportResult:
    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    total: Decimal = Decimal("0")

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


@dataclass
class PreviewRow:
    """A row of the preview as a job stored it (the page shows what ``Row`` shows)."""

    line: int
    code: str
    title: str
    max_points: Decimal
    method: str
    options: list[dict]

    @property
    def method_label(self) -> str:
        return str(Criterion.Method(self.method).label)


def result_data(result: ImportResult) -> dict:
    """The preview as JSON (what an import job stores for the page)."""
    return {
        "rows": [
            {
                "line": r.line,
                "code": r.code,
                "title": r.title,
                "max_points": str(r.max_points),
                "method": r.method,
                "options": r.options,
            }
            for r in result.rows
        ],
        "errors": [[line, str(message)] for line, message in result.errors],
        "total": str(result.total),
    }


def result_from_data(data: dict) -> ImportResult:
    """The preview a job stored, in the shape the inline preview has."""
    rows = [PreviewRow(**{**r, "max_points": Decimal(r["max_points"])}) for r in data["rows"]]
    errors = [(line, message) for line, message in data["errors"]]
    return ImportResult(rows=rows, errors=errors, total=Decimal(data["total"]))


def is_inline(size: int) -> bool:
    """Whether a file this size is checked in the request (else by a job): at most
    ``IMPORT_INLINE_BYTES`` (default 200 KB); a file over the 2 MB limit is refused at once."""
    limit = int(getattr(settings, "IMPORT_INLINE_BYTES", INLINE_BYTES))
    return size <= limit or size > MAX_IMPORT_BYTES


def parse_decimal(raw) -> Decimal | None:
    """Points in a cell through the portal's number rule (a comma or a dot; no exponent,
    NaN, Infinity or minus sign; bounded digits); None when blank or refused: the row's
    checks then say what is wrong (range, two decimals) in the file's terms."""
    try:
        return validators.parse_decimal(raw, max_digits=10, decimal_places=4)
    except ValidationError:
        return None


def plain_number(value: Decimal) -> str:
    """10.00 -> "10", 0.50 -> "0.5": the form the scoring sheet posts back."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _read_rows(name: str, content: bytes) -> list[list]:
    if name.lower().endswith(".xlsx"):
        return _checked_text(first_sheet_rows(content))
    if name.lower().endswith(".csv"):
        text = content.decode("utf-8-sig")
        return _checked_text(list(csv.reader(io.StringIO(text))))
    raise ValueError(_("Chỉ nhận tệp .xlsx hoặc .csv."))


def _checked_text(rows: list[list]) -> list[list]:
    """The rows, if every text cell passes the portal's text rule (no NUL or other control
    characters, at most CELL_MAX_LENGTH characters); else ValueError naming the line."""
    for line, row in enumerate(rows, start=1):
        for value in row:
            if not isinstance(value, str):
                continue
            problems = validators.text_errors(
                validators.normalise_newlines(value),
                max_length=CELL_MAX_LENGTH,
                multiline=True,
                label=_("Ô ở dòng %(line)s") % {"line": line},
            )
            if problems:
                raise ValueError(" ".join(problems))
    return rows


def _key(text) -> str:
    """A heading or a name as compared: NFC, case and spaces ignored."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def column_of(heading: str) -> str | None:
    """The column a header cell names: its code, or its Vietnamese heading (as the template
    writes it, or in the user's language)."""
    key = _key(heading)
    if key in COLUMNS:
        return key
    for column, label in HEADINGS.items():
        with language_override("vi"):
            vietnamese = str(label)
        if key in (_key(vietnamese), _key(label)):
            return column
    return None


def read_header(raw_rows: list[list]) -> tuple[list[str | None], int]:
    """The columns of a file and the index of its first data row: the codes' row when the
    file has one under the Vietnamese headings (the template), else line 1 read as codes or
    headings."""
    first = [column_of(_cell(h)) for h in raw_rows[0]]
    if len(raw_rows) > 1:
        second = [_cell(h).lower() for h in raw_rows[1]]
        named = [c for c in second if c]
        if named and all(c in COLUMNS for c in named) and set(REQUIRED) <= set(named):
            return [c or None for c in second], 2
    return first, 1


def method_of(raw: str) -> str | None:
    """A method from its code ("options") or its Vietnamese name ("Chọn một mức")."""
    key = _key(raw)
    for value, label in Criterion.Method.choices:
        with language_override("vi"):
            vietnamese = str(label)
        if key in (value, _key(vietnamese), _key(label)):
            return value
    return None


def column_name(column: str) -> str:
    """A column as messages name it: "“Cách chấm” (method)"."""
    return f"“{HEADINGS[column]}” ({column})"


def method_names() -> str:
    return ", ".join(f"“{label}”" for _value, label in Criterion.Method.choices)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_options(raw: str, max_points: Decimal | None) -> tuple[list[dict], list[str]]:
    options, errors = [], []
    for part in [p.strip() for p in raw.split("|") if p.strip()]:
        label, sep, points_raw = part.rpartition("=")
        points = parse_decimal(points_raw)
        if not sep or not label.strip() or points is None:
            errors.append(_("mức “%(part)s” phải có dạng “nội dung=điểm”.") % {"part": part})
            continue
        if points < 0 or (max_points is not None and points > max_points):
            errors.append(
                _("mức “%(part)s” có điểm ngoài khoảng 0 – %(max)s.")
                % {"part": part, "max": max_points}
            )
            continue
        options.append({"label": label.strip(), "points": plain_number(points)})
    return options, errors


def _parse_row(line: int, values: dict, agencies: dict[str, Agency]) -> tuple[Row | None, list]:
    """Check one row of a criteria file, column by column in the template's order, and
    collect every problem with its line number. Long because each column is its own short
    check and the user must see all of them at once, not the first only."""
    errors = []
    code = values["code"]
    if not CODE_RE.match(code):
        errors.append(
            _("mã tiêu chí “%(code)s” không hợp lệ (ví dụ đúng: 3.2.1).") % {"code": code}
        )
    if not values["title"]:
        errors.append(_("thiếu nội dung tiêu chí."))
    max_points = parse_decimal(values["max_points"])
    if max_points is None or max_points <= 0 or max_points > 1000:
        errors.append(
            _("điểm tối đa “%(value)s” phải là số dương.") % {"value": values["max_points"]}
        )
        max_points = None
    elif max_points != max_points.quantize(Decimal("0.01")):
        errors.append(_("điểm tối đa chỉ được có tối đa hai chữ số thập phân."))
    options, option_errors = parse_options(values["options"], max_points)
    errors.extend(option_errors)
    method = (
        method_of(values["method"])
        if values["method"]
        else (Criterion.Method.OPTIONS if options else Criterion.Method.RANGE)
    )
    if method is None:
        errors.append(
            _("cách chấm “%(value)s” không hợp lệ (chọn một trong: %(names)s).")
            % {"value": values["method"], "names": method_names()}
        )
    if method == Criterion.Method.OPTIONS and not options:
        errors.append(
            _("cách chấm “%(method)s” cần cột %(column)s.")
            % {"method": Criterion.Method.OPTIONS.label, "column": column_name("options")}
        )
    source = values["computed_source"]
    if method == Criterion.Method.COMPUTED and source not in {"tasks_on_time", "reports_on_time"}:
        errors.append(
            _("tiêu chí tính từ dữ liệu cần cột %(column)s là tasks_on_time hoặc reports_on_time.")
            % {"column": column_name("computed_source")}
        )
    evidence = values["evidence_required"].lower()
    if evidence not in TRUE_WORDS | FALSE_WORDS:
        errors.append(
            _("cột %(column)s chỉ nhận “có” hoặc “không”.")
            % {"column": column_name("evidence_required")}
        )
    agency = None
    if values["responsible_agency"]:
        agency = agencies.get(values["responsible_agency"].upper())
        if agency is None:
            errors.append(
                _("không có cơ quan mã “%(code)s”.") % {"code": values["responsible_agency"]}
            )
    kinds = [k.strip() for k in values["applies_to"].split(",") if k.strip()]
    for kind in kinds:
        if kind not in Agency.Kind.values:
            errors.append(_("loại cơ quan “%(kind)s” không hợp lệ.") % {"kind": kind})
    if errors:
        return None, [(line, e) for e in errors]
    parent_code = values["parent_code"] or code.rpartition(".")[0]
    return (
        Row(
            line=line,
            code=code,
            parent_code=parent_code,
            title=values["title"],
            max_points=max_points,
            method=method,
            options=options,
            evidence_required=evidence in TRUE_WORDS,
            agency=agency,
            applies_to=kinds,
            computed_source=source if method == "computed" else "",
            depth=code.count(".") + 1,
        ),
        [],
    )


def tree_errors(nodes: list, total: Decimal) -> list[tuple[int, str]]:
    """Children's maximums add up to the parent's; areas add up to the set's total.

    ``nodes`` have ``line``, ``code``, ``parent_code`` and ``max_points``. Long because the
    two sums are checked over the same grouping and report every mismatch with its line."""
    errors = []
    by_code = {n.code: n for n in nodes}
    sums: dict[str, Decimal] = {}
    for node in nodes:
        if node.parent_code:
            parent = by_code.get(node.parent_code)
            if parent is None:
                errors.append(
                    (node.line, _("không có tiêu chí cha “%(code)s”.") % {"code": node.parent_code})
                )
                continue
            if not node.code.startswith(parent.code + "."):
                errors.append(
                    (
                        node.line,
                        _("mã “%(code)s” không nằm dưới mã cha “%(parent)s”.")
                        % {"code": node.code, "parent": parent.code},
                    )
                )
            sums[parent.code] = sums.get(parent.code, Decimal("0")) + node.max_points
    for code, children_sum in sums.items():
        parent = by_code[code]
        if children_sum != parent.max_points:
            errors.append(
                (
                    parent.line,
                    _(
                        "tổng điểm các tiêu chí con của “%(code)s” là %(sum)s, "
                        "khác điểm tối đa %(max)s."
                    )
                    % {"code": code, "sum": children_sum, "max": parent.max_points},
                )
            )
    area_sum = sum((n.max_points for n in nodes if not n.parent_code), Decimal("0"))
    if nodes and area_sum != total:
        errors.append(
            (
                0,
                _("tổng điểm các lĩnh vực là %(sum)s, khác tổng điểm của bộ tiêu chí %(total)s.")
                % {"sum": area_sum, "total": total},
            )
        )
    return errors


def parse_criteria_file(name: str, content: bytes, total: Decimal) -> ImportResult:
    """Read a .xlsx or .csv criteria file into rows with line-numbered errors. Long because
    it walks the two formats' headers, rows and the tree check in one pass the preview
    shows; each step is a few lines."""
    result = ImportResult()
    if len(content) > MAX_IMPORT_BYTES:
        result.errors.append((0, _("Tệp quá lớn (tối đa 2 MB).")))
        return result
    try:
        raw_rows = _read_rows(name, content)
    except ValueError as exc:
        result.errors.append((0, str(exc)))
        return result
    except Exception:  # noqa: BLE001 - any unreadable file is reported the same way
        result.errors.append((0, _("Không đọc được tệp; hãy dùng tệp mẫu .xlsx hoặc .csv UTF-8.")))
        return result
    if not raw_rows:
        result.errors.append((0, _("Tệp không có dữ liệu.")))
        return result
    header, first_data = read_header(raw_rows)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        names = ", ".join(column_name(c) for c in missing)
        result.errors.append((first_data, _("thiếu cột bắt buộc: %(cols)s.") % {"cols": names}))
        return result
    agencies = {a.code.upper(): a for a in Agency.objects.all()}
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rows[first_data:], start=first_data + 1):
        cells = [_cell(v) for v in raw]
        if not any(cells):
            continue
        values = {
            c: (cells[header.index(c)] if c in header and header.index(c) < len(cells) else "")
            for c in COLUMNS
        }
        row, errors = _parse_row(index, values, agencies)
        result.errors.extend(errors)
        if row is None:
            continue
        if row.code in seen:
            result.errors.append(
                (
                    index,
                    _("mã “%(code)s” trùng với dòng %(line)s.")
                    % {"code": row.code, "line": seen[row.code]},
                )
            )
            continue
        seen[row.code] = index
        result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append((0, _("Tệp không có dòng tiêu chí nào.")))
    if not result.errors:
        result.errors.extend(tree_errors(result.rows, total))
    result.total = sum((r.max_points for r in result.rows if not r.parent_code), Decimal("0"))
    result.errors.sort(key=lambda e: e[0])
    return result


def template_workbook() -> bytes:
    """The downloadable import template (.xlsx) with an example tree. Long because the
    example rows and the column notes are written out literally, as users read them."""
    from agencies.spreadsheets import add_sheet, new_workbook, workbook_bytes

    workbook = new_workbook()
    sheet = add_sheet(workbook, "tieu_chi")
    with language_override("vi"):
        sheet.append([str(HEADINGS[c]) for c in COLUMNS])
        options, computed, scored = (
            str(m.label)
            for m in (Criterion.Method.OPTIONS, Criterion.Method.COMPUTED, Criterion.Method.RANGE)
        )
    sheet.append(COLUMNS)
    sheet.append(["1", "", "Công tác chỉ đạo, điều hành CCHC", 3, "", "", "", "SNV", "", ""])
    sheet.append(
        [
            "1.1",
            "1",
            "Ban hành kế hoạch CCHC năm",
            1,
            options,
            "Ban hành kịp thời=1|Ban hành không kịp thời=0.5|Không ban hành=0",
            "có",
            "",
            "",
            "",
        ]
    )
    sheet.append(
        [
            "1.2",
            "1",
            "Tỷ lệ nhiệm vụ phối hợp CCHC hoàn thành đúng hạn",
            2,
            computed,
            "",
            "không",
            "",
            "",
            "tasks_on_time",
        ]
    )
    sheet.append(
        [
            "2",
            "",
            "Cải cách thủ tục hành chính",
            97,
            scored,
            "",
            "có",
            "",
            "department,district",
            "",
        ]
    )
    return workbook_bytes(workbook)
