"""What a plan means against the bodies as they are: which bodies are created, which end
and who succeeds them, which change name, and what is wrong with it (every error names
its line). One reading, used by the preview and by the service that applies the plan."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from agencies.models import Agency
from reorg.models import Change
from reorg.parsing import PlanRow

ENDING_CHANGES = {Change.MERGE, Change.SPLIT, Change.RENAME, Change.ABOLISH}


@dataclass
class Ending:
    """A body that ends on the plan's date and the bodies that take over its work."""

    code: str
    change: str
    successor_codes: list[str]
    default_code: str
    line: int
    legal_basis: str = ""  # the row's own (a row may add a caveat to the plan's basis)


@dataclass
class Reading:
    effective_date: dt.date | None
    legal_basis: str
    created: dict[str, PlanRow] = field(default_factory=dict)  # new bodies by code
    updated: dict[str, PlanRow] = field(default_factory=dict)  # existing successors by code
    endings: list[Ending] = field(default_factory=list)
    province: PlanRow | None = None
    errors: list[str] = field(default_factory=list)


def digest(rows: list[PlanRow]) -> str:
    """The plan's identity: its content without line numbers (the same plan applies once)."""
    content = [{k: v for k, v in row.as_dict().items() if k != "line"} for row in rows]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def read(rows: list[PlanRow], bodies: dict[str, Agency] | None = None) -> Reading:
    """The plan's meaning against ``bodies`` (every body by code; loaded when not given).
    Long: one pass per kind of check, each error prefixed by its line."""
    if bodies is None:
        bodies = {a.code: a for a in Agency.objects.all()}
    first = rows[0] if rows else None
    reading = Reading(first.effective_date if first else None, first.legal_basis if first else "")
    errors = reading.errors

    def err(row: PlanRow, message: str, **values) -> None:
        errors.append(_("Dòng %(line)s: ") % {"line": row.line} + message % values)

    day = reading.effective_date
    for row in rows:
        if row.effective_date != day:
            err(row, _("mọi dòng của một phương án phải cùng ngày hiệu lực."))
    splits: dict[str, list[PlanRow]] = {}
    ended_at: dict[str, int] = {}
    for row in rows:
        if row.change == Change.PROVINCE:
            if reading.province is not None:
                err(row, _("tên tỉnh đã được đổi ở dòng %(other)s."), other=reading.province.line)
            if not row.to_name or not row.to_short_name:
                err(row, _("đổi tên tỉnh cần to_name (ví dụ: tỉnh Đắk Lắk) và to_short_name."))
            reading.province = row
            continue
        _check_successor(row, bodies, reading, err)
        if row.change == Change.NEW:
            if row.from_codes:
                err(row, _("thành lập mới (new) không có cơ quan trước (from_codes để trống)."))
            continue
        if not row.from_codes:
            err(row, _("thiếu cơ quan kết thúc (from_codes)."))
        if row.change in (Change.SPLIT, Change.RENAME) and len(row.from_codes) > 1:
            err(row, _("chia tách hoặc đổi tên chỉ áp dụng cho một cơ quan."))
        for code in row.from_codes:
            _check_ending(row, code, bodies, day, err)
        if row.change == Change.SPLIT and row.from_codes:
            splits.setdefault(row.from_codes[0], []).append(row)
            continue
        for code in row.from_codes:
            if code == row.to_code:
                continue  # the body carries on and absorbs the others
            if code in ended_at:
                err(
                    row,
                    _("%(code)s đã kết thúc ở dòng %(other)s."),
                    code=code,
                    other=ended_at[code],
                )
                continue
            ended_at[code] = row.line
            reading.endings.append(
                Ending(code, row.change, [row.to_code], row.to_code, row.line, row.legal_basis)
            )
    for code, group in splits.items():
        if code in ended_at:
            err(
                group[0],
                _("%(code)s đã kết thúc ở dòng %(other)s."),
                code=code,
                other=ended_at[code],
            )
            continue
        defaults = [r for r in group if r.default]
        if len(defaults) != 1:
            err(
                group[0],
                _("chia tách %(code)s cần đúng một cơ quan nhận mặc định (default = yes)."),
                code=code,
            )
        ended_at[code] = group[0].line
        reading.endings.append(
            Ending(
                code,
                Change.SPLIT,
                [r.to_code for r in group],
                (defaults or group)[0].to_code,
                group[0].line,
                group[0].legal_basis,
            )
        )
    for ending in reading.endings:
        for successor in ending.successor_codes:
            if successor in ended_at and successor != ending.code:
                errors.append(
                    _("Dòng %(line)s: %(code)s vừa kết thúc vừa nhận công việc của cơ quan khác.")
                    % {"line": ending.line, "code": successor}
                )
    _check_lead(rows, reading, bodies, ended_at)
    return reading


def _check_successor(row: PlanRow, bodies, reading: Reading, err) -> None:
    """The body that carries on (``to_code``): existing on the date, or defined once."""
    if not row.to_code:
        err(row, _("thiếu mã cơ quan kế thừa (to_code)."))
        return
    existing = bodies.get(row.to_code)
    if existing is not None:
        day = row.effective_date
        if day and existing.valid_to and existing.valid_to < day:
            err(
                row,
                _("%(code)s đã kết thúc ngày %(day)s."),
                code=row.to_code,
                day=f"{existing.valid_to:%d/%m/%Y}",
            )
        if row.change == Change.NEW:
            err(row, _("mã %(code)s đã có; thành lập mới cần mã mới."), code=row.to_code)
        elif row.change == Change.RENAME and row.to_code not in row.from_codes:
            err(row, _("mã mới %(code)s đã là của cơ quan khác."), code=row.to_code)
        reading.updated.setdefault(row.to_code, row)
        return
    for column in ("to_name", "to_short_name", "to_abbreviation", "to_kind", "to_level"):
        if not getattr(row, column):
            err(row, _("cơ quan mới %(code)s thiếu %(column)s."), code=row.to_code, column=column)
    earlier = reading.created.get(row.to_code)
    if earlier is None:
        reading.created[row.to_code] = row
    elif (earlier.to_name, earlier.to_kind, earlier.to_level) != (
        row.to_name,
        row.to_kind,
        row.to_level,
    ):
        err(
            row,
            _("%(code)s được khai khác với dòng %(other)s."),
            code=row.to_code,
            other=earlier.line,
        )


def _check_ending(row: PlanRow, code: str, bodies, day, err) -> None:
    agency = bodies.get(code)
    if agency is None:
        err(row, _("không có cơ quan mã %(code)s."), code=code)
        return
    if day and agency.valid_to and agency.valid_to < day:
        err(
            row,
            _("%(code)s đã kết thúc ngày %(day)s."),
            code=code,
            day=f"{agency.valid_to:%d/%m/%Y}",
        )
    if day and agency.valid_from and agency.valid_from >= day:
        err(
            row,
            _("ngày hiệu lực %(day)s không sau ngày %(code)s bắt đầu hoạt động (%(start)s)."),
            day=f"{day:%d/%m/%Y}",
            code=code,
            start=f"{agency.valid_from:%d/%m/%Y}",
        )


def _check_lead(rows, reading: Reading, bodies, ended_at) -> None:
    """After the change exactly one body leads CCHC."""
    day = reading.effective_date
    if day is None or reading.errors:
        return
    kinds = {a.code: a.kind for a in bodies.values() if a.exists_on(day) and a.code not in ended_at}
    for code, row in {**reading.updated, **reading.created}.items():
        if row.to_kind:
            kinds[code] = row.to_kind
    leads = sorted(code for code, kind in kinds.items() if kind == Agency.Kind.LEAD)
    last = rows[-1] if rows else None
    if not leads and last is not None:
        reading.errors.append(
            _("Dòng %(line)s: sau thay đổi không còn cơ quan chủ trì CCHC (to_kind = lead).")
            % {"line": last.line}
        )
    elif len(leads) > 1 and last is not None:
        reading.errors.append(
            _("Dòng %(line)s: sau thay đổi có nhiều cơ quan chủ trì CCHC: %(codes)s.")
            % {"line": last.line, "codes": ", ".join(leads)}
        )
