"""Importing a year's plan from an .xlsx file, as drafts (docs/plan-import.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history, validators
from agencies.models import Agency
from agencies.spreadsheets import UnreadableSheet, first_sheet_rows
from coordination import access, calendar, services
from coordination.models import Category, Recurrence, Task
from coordination.planning.common import day_text, next_working_day, service_errors

# (code, Vietnamese heading, required); the template's first row is the heading, its second
# the code; a file may have either or both.
COLUMNS = [
    ("title", "Tên nhiệm vụ", True),
    ("category", "Nội dung phối hợp", True),
    ("chair", "Cơ quan chủ trì", True),
    ("tracker", "Cơ quan theo dõi", False),
    ("contributors", "Cơ quan phối hợp", False),
    ("due_date", "Hạn xử lý", True),
    ("contributor_due_date", "Hạn của cơ quan phối hợp", False),
    ("legal_basis", "Căn cứ", False),
    ("description", "Mô tả, yêu cầu", False),
    ("recurrence", "Lặp lại", False),
    ("silence_means_agreement", "Không trả lời coi như thống nhất", False),
]
MAX_IMPORT_BYTES = 1024 * 1024
MAX_ROWS = 100  # a year's plan is ~40 items; each takes ~80 queries to create (grants)
CELL_MAX_LENGTH = 20000  # the longest column: an item's description (Task.description)
EXAMPLE_MARK = "(ví dụ"  # a title starting so is the template's illustrative row
YES, NO = {"có", "co", "x", "1", "yes"}, {"", "không", "khong", "0", "no"}
_SPLIT_BODIES = re.compile(r"[,;\n]+")


@dataclass
class PlanRow:
    line: int
    title: str
    category: str
    chair: Agency
    tracker: Agency
    contributors: list[Agency]
    due_date: dt.date
    contributor_due_date: dt.date | None
    legal_basis: str
    description: str
    recurrence: str
    silence_means_agreement: bool

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)

    @property
    def recurrence_label(self) -> str:
        return str(Recurrence(self.recurrence).label)

    @property
    def spec(self) -> services.ParticipantSpec:
        own = self.contributor_due_date
        return services.ParticipantSpec(
            chair=self.chair,
            tracker=self.tracker,
            contributors=self.contributors,
            contributor_due_dates={a.pk: own for a in self.contributors},
        )


@dataclass
class PlanImport:
    rows: list[PlanRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # the template's example rows

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _read_sheet(name: str, content: bytes) -> list[list]:
    """The first sheet's rows of an .xlsx file (checked by content, not by name only)."""
    if not name.lower().endswith(".xlsx"):
        raise UnreadableSheet(
            _("Chỉ nhận tệp Excel .xlsx (không nhận .xls, .csv, .ods); hãy dùng tệp mẫu.")
        )
    return first_sheet_rows(content)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return validators.normalise_newlines(str(value)).strip()


def _header(raw_rows: list[list]) -> tuple[dict[str, int], int]:
    """Column positions by code (or Vietnamese heading) and the first data row's index."""
    names = {code: code for code, _h, _r in COLUMNS}
    names |= {heading.casefold(): code for code, heading, _r in COLUMNS}
    positions: dict[str, int] = {}
    start = 0
    for index, raw in enumerate(raw_rows[:2]):
        found = {
            names[_text(v).casefold()]: i for i, v in enumerate(raw) if _text(v).casefold() in names
        }
        if len(found) >= 3:  # a heading row, not a data row with a word like "plan"
            positions = found | {k: v for k, v in positions.items() if k not in found}
            start = index + 1
    return positions, start


def _parse_date(value, label: str) -> tuple[dt.date | None, str]:
    if value in (None, ""):
        return None, ""
    if isinstance(value, dt.datetime):
        return value.date(), ""
    if isinstance(value, dt.date):
        return value, ""
    text = _text(value)
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date(), ""
        except ValueError:
            continue
    return None, _("%(label)s “%(value)s” không phải ngày hợp lệ (dd/mm/yyyy).") % {
        "label": label,
        "value": text[:40],
    }


def _working_day_error(day: dt.date | None, label: str) -> list[str]:
    if day is None or calendar.is_working_day(day):
        return []
    why = calendar.holiday_name(day) or (_("Chủ nhật") if day.weekday() == 6 else _("thứ Bảy"))
    return [
        _("%(label)s %(day)s là ngày nghỉ (%(why)s); ngày làm việc tiếp theo là %(next)s.")
        % {
            "label": label,
            "day": day_text(day),
            "why": why,
            "next": day_text(next_working_day(day)),
        }
    ]


def _choice(raw: str, choices, label: str) -> tuple[str, list[str]]:
    """A code, a label, or (categories) the regulation's number 1–8, as the code."""
    if not raw:
        return "", [_("thiếu %(label)s.") % {"label": label}]
    wanted = raw.casefold()
    for number, (code, text) in enumerate(choices, start=1):
        if wanted in {code.casefold(), str(text).casefold(), str(number)}:
            return code, []
    return "", [
        _("%(label)s “%(value)s” không có trong danh sách.") % {"label": label, "value": raw}
    ]


class _Bodies:
    """Bodies by code or short name, loaded once (one query)."""

    def __init__(self) -> None:
        today = timezone.localdate()
        self.by_key: dict[str, Agency] = {}
        self.lead = None
        agencies = sorted(
            Agency.objects.order_by("sort_order"), key=lambda a: not a.exists_on(today)
        )
        for agency in agencies:  # bodies of today first; a body gone is named by the service
            self.by_key.setdefault(agency.short_name.casefold(), agency)
            self.by_key.setdefault(agency.code.casefold(), agency)
            if agency.kind == Agency.Kind.LEAD and agency.exists_on(today):
                self.lead = agency

    def one(self, raw: str, label: str) -> tuple[Agency | None, list[str]]:
        agency = self.by_key.get(raw.casefold())
        if agency is None:
            return None, [
                _("%(label)s: không có cơ quan mã “%(code)s” (xem trang “Cơ quan” của tệp mẫu).")
                % {"label": label, "code": raw}
            ]
        return agency, []

    def many(self, raw: str, label: str) -> tuple[list[Agency], list[str]]:
        found, errors = [], []
        for part in [p.strip() for p in _SPLIT_BODIES.split(raw) if p.strip()]:
            agency, problems = self.one(part, label)
            errors += problems
            if agency is not None and agency not in found:
                found.append(agency)
        return found, errors


def _parse_row(line: int, cells: dict, bodies: _Bodies) -> tuple[PlanRow | None, list[str]]:
    """One row, every column checked so the officer sees every problem of the row at once;
    then the service's own checks on what the row would create. Long because each column
    is its own short check, in the template's order, and all of them are reported."""
    errors: list[str] = []
    title = _text(cells.get("title"))
    if not title:
        errors.append(_("thiếu tên nhiệm vụ."))
    category, problems = _choice(
        _text(cells.get("category")), Category.choices, _("nội dung phối hợp")
    )
    errors += problems
    recurrence = ""
    if _text(cells.get("recurrence")):
        recurrence, problems = _choice(
            _text(cells.get("recurrence")), Recurrence.choices, _("lặp lại")
        )
        errors += problems
    chair, problems = bodies.one(_text(cells.get("chair")), _("cơ quan chủ trì"))
    errors += problems if _text(cells.get("chair")) else [_("thiếu cơ quan chủ trì.")]
    tracker, problems = (bodies.lead, [])
    if _text(cells.get("tracker")):
        tracker, problems = bodies.one(_text(cells.get("tracker")), _("cơ quan theo dõi"))
    errors += problems
    contributors, problems = bodies.many(_text(cells.get("contributors")), _("cơ quan phối hợp"))
    errors += problems
    due, problem = _parse_date(cells.get("due_date"), _("hạn xử lý"))
    errors += [problem] if problem else [] if due else [_("thiếu hạn xử lý.")]
    own_due, problem = _parse_date(cells.get("contributor_due_date"), _("hạn của cơ quan phối hợp"))
    errors += [problem] if problem else []
    errors += _working_day_error(due, _("Hạn xử lý")) + _working_day_error(
        own_due, _("Hạn của cơ quan phối hợp")
    )
    silence = _text(cells.get("silence_means_agreement")).casefold()
    if silence not in YES | NO:
        errors.append(_("cột “không trả lời coi như thống nhất” chỉ nhận “có” hoặc “không”."))
    if errors:
        return None, errors
    row = PlanRow(
        line=line,
        title=title,
        category=category,
        chair=chair,
        tracker=tracker,
        contributors=contributors,
        due_date=due,
        contributor_due_date=own_due,
        legal_basis=_text(cells.get("legal_basis")),
        description=_text(cells.get("description")),
        recurrence=recurrence,
        silence_means_agreement=silence in YES,
    )
    return row, service_errors(
        due_date=due,
        spec=row.spec,
        title=title,
        category=category,
        legal_basis=row.legal_basis,
        description=row.description,
        recurrence=recurrence,
    )


def _cell_errors(line: int, raw: list) -> list[str]:
    """The portal's text rule on every text cell (no control characters, bounded length)."""
    problems: list[str] = []
    for value in raw:
        if isinstance(value, str):
            problems += validators.text_errors(
                validators.normalise_newlines(value),
                max_length=CELL_MAX_LENGTH,
                multiline=True,
                label=_("Ô ở dòng %(line)s") % {"line": line},
            )
    return problems


def _duplicates(result: PlanImport, actor) -> None:
    """A row repeating an earlier row, or an item already in the portal (same title and
    deadline, not cancelled), is refused: importing a plan twice creates nothing twice."""
    seen: dict[tuple, int] = {}
    existing = {
        (t.title.casefold(), t.due_date): t.pk
        for t in Task.objects.visible_to(actor)
        .filter(due_date__in={r.due_date for r in result.rows})
        .exclude(status=Task.Status.CANCELLED)
        .only("pk", "title", "due_date")
    }
    kept = []
    for row in result.rows:
        key = (row.title.casefold(), row.due_date)
        if key in seen:
            result.errors.append(
                (row.line, _("trùng với dòng %(line)s (cùng tên, cùng hạn).") % {"line": seen[key]})
            )
        elif key in existing:
            result.errors.append(
                (
                    row.line,
                    _("đã có nhiệm vụ #%(pk)s cùng tên, cùng hạn trên cổng.")
                    % {"pk": existing[key]},
                )
            )
        else:
            kept.append(row)
        seen.setdefault(key, row.line)
    result.rows = kept


def _layout(raw_rows: list[list], result: PlanImport) -> tuple[dict[str, int], list]:
    """The columns and the numbered data rows; a missing column or too many rows is
    recorded in ``result`` (nothing else is then checked)."""
    positions, start = _header(raw_rows)
    missing = [h for code, h, required in COLUMNS if required and code not in positions]
    if missing:
        result.errors.append((1, _("thiếu cột bắt buộc: %(cols)s.") % {"cols": ", ".join(missing)}))
        return positions, []
    data = [
        (i, r) for i, r in enumerate(raw_rows[start:], start=start + 1) if any(_text(v) for v in r)
    ]
    if len(data) > MAX_ROWS:
        message = _(
            "Tệp có %(n)s dòng nhiệm vụ, nhiều hơn %(max)s dòng một lần nhập; "
            "hãy chia thành nhiều tệp."
        )
        result.errors.append((0, message % {"n": len(data), "max": MAX_ROWS}))
    return positions, data


def parse_plan_file(*, actor, name: str, content: bytes) -> PlanImport:
    """Read a plan (.xlsx) into rows with line-numbered Vietnamese errors; saves nothing."""
    access.require(access.may_create_tasks(actor))
    result = PlanImport()
    if len(content) > MAX_IMPORT_BYTES:
        result.errors.append((0, _("Tệp quá lớn (tối đa 1 MB).")))
        return result
    try:
        raw_rows = _read_sheet(name, content)
    except UnreadableSheet as exc:
        result.errors.append((0, str(exc)))
        return result
    positions, data = _layout(raw_rows, result)
    if result.errors:
        return result
    bodies = _Bodies()
    for line, raw in data:
        cells = {code: raw[i] if i < len(raw) else None for code, i in positions.items()}
        if _text(cells.get("title")).casefold().startswith(EXAMPLE_MARK):
            result.skipped.append(line)
            continue
        problems = _cell_errors(line, raw)
        row, problems = (None, problems) if problems else _parse_row(line, cells, bodies)
        result.errors += [(line, message) for message in problems]
        if row is not None and not problems:
            result.rows.append(row)
    _duplicates(result, actor)
    if not result.rows and not result.errors:
        result.errors.append((0, _("Tệp không có dòng nhiệm vụ nào (dòng ví dụ không được nhập).")))
    result.errors.sort(key=lambda error: error[0])
    return result


@transaction.atomic
def plan_import(*, actor, name: str, content: bytes) -> tuple[PlanImport, list[Task]]:
    """Create every row of a valid plan as a draft, in one transaction; a file with errors
    creates nothing (the result says why)."""
    result = parse_plan_file(actor=actor, name=name, content=content)
    if not result.ok:
        return result, []
    created = []
    for row in result.rows:
        try:
            task = services.task_create(
                actor=actor,
                title=row.title,
                category=row.category,
                due_date=row.due_date,
                spec=row.spec,
                legal_basis=row.legal_basis,
                description=row.description,
                recurrence=row.recurrence,
                silence_means_agreement=row.silence_means_agreement,
            )
        except ValidationError as exc:
            raise ValidationError(
                [_("Dòng %(line)s: %(m)s") % {"line": row.line, "m": m} for m in exc.messages]
            ) from exc
        reason = _("Nhập từ kế hoạch %(name)s, dòng %(line)s") % {"name": name, "line": row.line}
        history.save(task, reason, actor)
        created.append(task)
    return result, created


def template_workbook() -> bytes:
    """The downloadable template: the plan sheet (Vietnamese headings, codes, one example
    row marked illustrative) and the lists of valid bodies, contents and repetitions.
    Long because the example row and the lists are written out literally, as users read
    them."""
    from openpyxl.worksheet.datavalidation import DataValidation

    from agencies.spreadsheets import add_sheet, new_workbook, workbook_bytes

    workbook = new_workbook()
    plan = add_sheet(workbook, _("Kế hoạch"))
    plan.append([heading + (" *" if required else "") for _c, heading, required in COLUMNS])
    plan.append([code for code, _h, _r in COLUMNS])
    example_due = next_working_day(dt.date(timezone.localdate().year + 1, 3, 31))
    cells = plan.append(
        [
            _("(Ví dụ – dòng này không được nhập) Xây dựng Kế hoạch CCHC năm %(y)s")
            % {"y": example_due.year},
            Category.PLAN.label,
            "SNV",
            "SNV",
            "STP, STC",
            example_due,
            next_working_day(example_due - dt.timedelta(days=10)),
            _("Quyết định số 1242/QĐ-UBND ngày 14/9/2021 của UBND tỉnh"),
            _("Các cơ quan góp ý dự thảo kế hoạch."),
            "",
            _("không"),
        ]
    )
    for cell in cells[5:7]:
        cell.number_format = "DD/MM/YYYY"
    for column, width in zip(
        "ABCDEFGHIJK", (48, 30, 16, 16, 24, 14, 14, 36, 40, 14, 14), strict=True
    ):
        plan.sheet.column_dimensions[column].width = width
    bodies = add_sheet(workbook, _("Cơ quan"))
    bodies.append([_("Mã"), _("Tên ngắn"), _("Tên đầy đủ"), _("Loại cơ quan")])
    for agency in Agency.objects.active().order_by("sort_order"):
        bodies.append([agency.code, agency.short_name, agency.name, agency.get_kind_display()])
    lists = add_sheet(workbook, _("Danh mục"))
    lists.append([_("Nội dung phối hợp (số, mã hoặc tên)"), "", "", _("Lặp lại (mã hoặc tên)"), ""])
    rows = max(len(Category.choices), len(Recurrence.choices))
    for index in range(rows):
        category = (
            [index + 1, *Category.choices[index]] if index < len(Category.choices) else ["", "", ""]
        )
        repeat = list(Recurrence.choices[index]) if index < len(Recurrence.choices) else ["", ""]
        lists.append([*category, *repeat])
    choose = DataValidation(
        type="list", formula1=f"'{lists.sheet.title}'!$C$2:$C${len(Category.choices) + 1}"
    )
    choose.add(f"B4:B{MAX_ROWS + 3}")
    plan.sheet.add_data_validation(choose)
    return workbook_bytes(workbook)
