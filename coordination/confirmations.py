"""What each irreversible act of coordination says before it acts (``agencies.confirm``):
one text per act, used by the act's view (the confirm page without scripts) and by the
item page's buttons (the browser's dialog, ``{% confirm_attrs %}``), so both say the same."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.confirm import confirmation
from coordination.models import Participation, Task
from coordination.timeliness import OPEN_STATES


def ask(request: HttpRequest, texts: dict, task: Task) -> HttpResponse | None:
    """``agencies.confirm.confirmation`` with one act's texts; "Quay lại" goes to the item."""
    return confirmation(
        request,
        title=texts["title"],
        consequences=texts["consequences"],
        confirm_label=texts["label"],
        cancel_url=reverse("task_detail", args=[task.pk]),
    )


def _names(parts) -> str:
    return ", ".join(p.agency.short_name or p.agency.name for p in parts)


def assign(task: Task, participants) -> dict:
    return {
        "title": _("Giao nhiệm vụ “%(t)s”?") % {"t": task.title},
        "consequences": [
            _("Nhiệm vụ được gửi tới %(n)s cơ quan tham gia (%(names)s), hạn %(d)s.")
            % {
                "n": len(participants),
                "names": _names(participants),
                "d": task.due_date.strftime("%d/%m/%Y"),
            },
            _("Cán bộ đầu mối của các cơ quan nhận thông báo và thư điện tử ngay."),
            _("Nhiệm vụ đã giao không trở lại dự thảo được."),
        ],
        "label": _("Giao nhiệm vụ"),
    }


def cancel(task: Task) -> dict:
    return {
        "title": _("Hủy nhiệm vụ “%(t)s”?") % {"t": task.title},
        "consequences": [
            _("Nhiệm vụ chuyển sang “Đã hủy”; các cơ quan không gửi hay xem xét được nữa."),
            _("Lý do hủy được ghi vào lịch sử và hiện cho các cơ quan tham gia."),
            _("Nhiệm vụ đã hủy không mở lại được."),
        ],
        "label": _("Hủy nhiệm vụ"),
    }


def task_accept(task: Task) -> dict:
    return {
        "title": _("Chấp nhận kết quả và hoàn thành nhiệm vụ “%(t)s”?") % {"t": task.title},
        "consequences": [
            _("Nhiệm vụ chuyển sang “Hoàn thành”, tính đúng hạn hay trễ hạn theo ngày gửi."),
            _("Kết quả tổng hợp của %(a)s được ghi là đã chấp nhận.")
            % {"a": task.chair_agency.name},
            _("Sau khi chấp nhận không trả lại được nữa."),
        ],
        "label": _("Chấp nhận, hoàn thành"),
    }


def part_accept(part: Participation) -> dict:
    return {
        "title": _("Chấp nhận nội dung của %(a)s?") % {"a": part.agency.name},
        "consequences": [
            _("Phần việc của %(a)s được ghi là đã chấp nhận.") % {"a": part.agency.name},
            _("Cơ quan không gửi thêm được, và nội dung không trả lại được nữa."),
        ],
        "label": _("Chấp nhận"),
    }


def exempt(part: Participation) -> dict:
    return {
        "title": _("Miễn thực hiện cho %(a)s?") % {"a": part.agency.name},
        "consequences": [
            _("%(a)s không phải gửi nội dung cho nhiệm vụ này nữa.") % {"a": part.agency.name},
            _("Lý do miễn được ghi vào lịch sử."),
            _("Việc miễn không hủy được."),
        ],
        "label": _("Miễn thực hiện"),
    }


def submit(part: Participation, version: int) -> dict:
    if part.role == Participation.Role.CHAIR:
        return {
            "title": _("Gửi kết quả tổng hợp (lần %(v)s)?") % {"v": version},
            "consequences": [
                _("Nhiệm vụ chuyển sang “Chờ xem xét”; cơ quan theo dõi được thông báo."),
                _("Bản đã gửi không sửa được; muốn thay đổi phải chờ xem xét hoặc trả lại."),
            ],
            "label": _("Gửi kết quả tổng hợp"),
        }
    return {
        "title": _("Gửi chính thức nội dung (lần %(v)s)?") % {"v": version},
        "consequences": [
            _("Cơ quan chủ trì và cơ quan theo dõi nhận và xem xét nội dung này."),
            _("Bản đã gửi không sửa được; nếu bị trả lại, cơ quan gửi lần mới."),
        ],
        "label": _("Gửi chính thức"),
    }


def remind(parts) -> dict:
    """``parts``: the open (not sent, accepted or exempted) parts that will be reminded."""
    return {
        "title": _("Gửi nhắc việc tới %(n)s cơ quan chưa xong?") % {"n": len(parts)},
        "consequences": [
            _("Thư nhắc việc được gửi ngay tới cán bộ đầu mối của: %(names)s.")
            % {"names": _names(parts)},
            _("Mỗi lần nhắc được ghi lại; thư đã gửi không thu hồi được."),
        ],
        "label": _("Gửi nhắc việc"),
    }


def for_detail(task: Task, actions: dict, participants, columns) -> dict:
    """The questions the detail page's buttons ask in the browser (``data-confirm``),
    the same texts as the confirm pages of their views."""
    if actions["exempt"]:
        for p in participants:
            p.confirm_exempt = exempt(p)
    if actions["review_contributions"]:
        for col in columns:
            col["confirm_accept"] = part_accept(col["participation"])
    open_parts = [p for p in participants if p.role != "track" and p.timeliness in OPEN_STATES]
    return {
        "remind": remind(open_parts) if actions["remind"] and open_parts else None,
        "assign": assign(task, participants) if actions["assign"] else None,
        "cancel": cancel(task) if actions["cancel"] else None,
        "accept": task_accept(task) if actions["review"] else None,
    }
