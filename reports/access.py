"""Who sees and does what in reporting (the app's half of the access contract).

A body reads its own records and those of every body before it (``readable``: the
archive a successor inherits, ``agencies.lineage.readable_agency_ids``); it acts only on
its own (``reports_actions``)."""

from __future__ import annotations

from django.db.models import Q

from agencies.access import (  # noqa: F401  (re-exported for the app's views)
    get_visible_or_404,
    is_council_member,
    is_focal_officer,
    is_noivu_officer,
    own_body,
    reads_everything,
    register_visibility,
    require,
)
from agencies.lineage import readable_agency_ids
from reports.models import (
    AgencyReport,
    ConsolidatedReport,
    DocumentJob,
    GeneratedDocument,
    IssuedDocument,
    ReportAttachment,
    ReportRound,
)

# --- Visibility ---------------------------------------------------------------------


def readable(queryset, user, field: str = "agency_id"):
    """Rows of the user's body or of a body before it (read only; none without a body)."""
    if not user.is_authenticated or not user.agency_id:
        return queryset.none()
    return queryset.filter(**{f"{field}__in": readable_agency_ids(user)})


@register_visibility(ReportRound)
def _rounds(queryset, user):
    """All rounds for read-everything roles, else the rounds the user's body owes or a
    body before it owed."""
    if reads_everything(user):
        return queryset
    return readable(queryset, user, "required_agencies__pk").distinct()


@register_visibility(AgencyReport)
def _agency_reports(queryset, user):
    """A body sees its own reports and those of the bodies before it; officers and
    leadership see every body's."""
    if reads_everything(user):
        return queryset
    return readable(queryset, user)


@register_visibility(ReportAttachment)
def _report_attachments(queryset, user):
    return queryset.filter(report__in=AgencyReport.objects.visible_to(user))


@register_visibility(ConsolidatedReport)
def _consolidated(queryset, user):
    """The province's consolidated report is a province-wide document."""
    return queryset if reads_everything(user) else queryset.none()


@register_visibility(GeneratedDocument)
def _documents(queryset, user):
    """Stored renderings are served through their own record's view; browsing the store
    itself is for read-everything roles."""
    return queryset if reads_everything(user) else queryset.none()


@register_visibility(DocumentJob)
def _document_jobs(queryset, user):
    """A job's page and file are for the users who asked for its document: each was
    allowed to download it when asking (the document's own view decided), and everyone
    who asks for the same data joins the job."""
    if not user.is_authenticated:
        return queryset.none()
    asked = DocumentJob.requesters.through.objects.filter(user_id=user.pk)
    return queryset.filter(pk__in=asked.values("documentjob_id"))


def sees_every_issued_document(user) -> bool:
    """The whole register: Nội vụ officers, leadership and the appraisal council."""
    return reads_everything(user) or is_council_member(user)


@register_visibility(IssuedDocument)
def _issued_documents(queryset, user):
    """The register (sổ văn bản đã ban hành): all of it for ``sees_every_issued_document``;
    a body sees what it (or a body before it) issued and what was addressed to it."""
    if sees_every_issued_document(user):
        return queryset
    if not user.is_authenticated or not user.agency_id:
        return queryset.none()
    ids = readable_agency_ids(user)
    return queryset.filter(Q(issuer_id__in=ids) | Q(recipient_id__in=ids))


# --- Action flags -------------------------------------------------------------------


def reports_province_documents(user) -> bool:
    """Province-wide documents (consolidated report, status report, submission table)."""
    return reads_everything(user)


def issued_register(user) -> bool:
    """May open the register page: whoever may see some of it (no query)."""
    return sees_every_issued_document(user) or bool(user.is_authenticated and user.agency_id)


def reports_manage(user) -> bool:
    """Open rounds, consolidate and issue: Nội vụ CCHC officers."""
    return is_noivu_officer(user)


def reports_actions(user, report) -> dict[str, bool]:
    """What the user may do on one body's report they can already see."""
    own = user.is_authenticated and user.agency_id == report.agency_id
    officer = is_noivu_officer(user)
    round_open = report.round.status == "open"
    writer = own and is_focal_officer(user) and round_open
    return {
        "write": writer,  # the body's focal officer while the round is open, in any state
        "edit": writer and report.is_editable,
        "review": officer and round_open and report.status == "submitted",
    }
