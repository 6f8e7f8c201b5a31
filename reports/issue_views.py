"""The register of issued documents (sổ văn bản đã ban hành), its files, and issuing a
reminder letter. Thin views: the register is read through ``IssuedDocument.visible_to``,
issuing is ``reports.issuing``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from agencies.confirm import confirmation
from agencies.forms import PortalForm
from agencies.models import Agency
from agencies.once import AlreadySubmitted, already, once
from reports import access, delivery, issuing, store
from reports.models import IssuedDocument

PAGE_SIZE = 25


class IssuedFilter(PortalForm):
    """The register's filter: a year and a kind (both optional)."""

    year = forms.TypedChoiceField(label=gettext_lazy("Năm"), coerce=int, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Loại văn bản"), required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Tất cả")), *((y, y) for y in years)]
        kinds = [(kind.value, kind.label) for kind in issuing.ISSUED_KINDS]
        self.fields["kind"].choices = [("", _("Tất cả")), *kinds]


def signature_state(row: IssuedDocument) -> str:
    """What the register says of a row's file: signed (level, when, by whom), unsigned and
    why, or still being made."""
    if row.document_id is None and not row.unsigned_reason:
        return _("Đang tạo")
    if row.signed_at is None:
        return _("Chưa ký số: %(reason)s") % {"reason": row.unsigned_reason}
    state = _("Đã ký số (%(level)s) lúc %(when)s, chứng thư: %(signer)s") % {
        "level": row.signature_level,
        "when": timezone.localtime(row.signed_at).strftime("%H:%M %d/%m/%Y"),
        "signer": row.signed_by,
    }
    label = _("(chứng thư số thử nghiệm)")
    if row.illustrative and label not in state:  # a demo certificate may name itself so
        state += " " + label
    return state


@require_GET
def issued_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(access.issued_register(user))
    rows = IssuedDocument.objects.visible_to(user)
    years = sorted(set(rows.values_list("year", flat=True)), reverse=True)
    form = IssuedFilter(request.GET or None, years=years)
    if form.is_valid():
        if year := form.cleaned_data["year"]:
            rows = rows.filter(year=year)
        if kind := form.cleaned_data["kind"]:
            rows = rows.filter(kind=kind)
    rows = rows.select_related("issuer", "recipient").order_by("-issued_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.reference = issuing.reference(row)
        row.state = signature_state(row)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "reports/issued_list.html", context)


@require_GET
def issued_download(request: HttpRequest, pk: int) -> FileResponse:
    """The issued document's stored file, byte for byte as it was issued and signed."""
    row = access.get_visible_or_404(
        IssuedDocument.objects.select_related("document"), request.user, pk=pk
    )
    handle = store.open_file(row.document) if row.document_id else None
    if handle is None:
        raise Http404
    name = f"{row.number:02d}-{row.symbol}-{row.year}.pdf".lower()
    return delivery.file_response(handle, name, "application/pdf")


def reminder_question(preview: issuing.ReminderPreview) -> dict:
    """What issuing a reminder letter does (the confirm page and the button's dialog)."""
    return {
        "title": _("Ban hành công văn đôn đốc gửi %(agency)s?") % {"agency": preview.agency.name},
        "consequences": [
            _("Công văn nhận số tiếp theo của Sở Nội vụ trong năm: %(line)s.")
            % {"line": preview.number_line},
            _("Công văn liệt kê %(n)s nhiệm vụ đang quá hạn của cơ quan tại thời điểm này.")
            % {"n": preview.late},
            _(
                "Văn bản được ký số bằng chứng thư số của Sở Nội vụ (nếu đã có), lưu nguyên "
                "trạng và cơ quan nhận tải được từ Sổ văn bản đã ban hành."
            ),
            _("Công văn đã ban hành không sửa, không thu hồi được số."),
        ],
        "confirm_label": _("Ban hành công văn"),
    }


@require_http_methods(["GET", "POST"])
def reminder_issue(request: HttpRequest, code: str) -> HttpResponse:
    """Show what the letter to a late body would be; a confirmed POST issues it."""
    access.require(access.reports_manage(request.user))
    agency = access.get_visible_or_404(Agency.objects, request.user, code=code)
    preview = issuing.reminder_preview(agency)
    problems = issuing.reminder_problems(preview)
    if request.method == "POST" and not problems:
        response = confirmation(request, **reminder_question(preview))
        if response is not None:
            return response
        try:
            with once(request) as receipt:
                row = issuing.reminder_issue(actor=request.user, agency=agency)
                receipt.result_url = reverse("issued_list")
        except AlreadySubmitted as done:
            return already(request, done, reverse("issued_list"))
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request,
                _("Đã ban hành công văn số %(ref)s; văn bản đang được tạo và ký số.")
                % {"ref": issuing.reference(row)},
            )
            return redirect("issued_list")
    context = {
        "preview": preview,
        "problems": problems,
        "question": reminder_question(preview),
        "signer_lines": [line for line in preview.signer_title.splitlines() if line.strip()],
    }
    return render(request, "reports/reminder_issue.html", context)
