"""Issuing documents into the register (sổ văn bản đi, ``IssuedDocument``).

Every document the portal issues — the consolidated report, a reminder letter, a period's
published scoring results — takes the next number of its issuing body and year, across
every kind (Decree 30/2020: one register per body), and an unguessable ``code``: the key of
its public verification page, printed on the document with a QR code. Issuing renders the
document's HTML in the issuing transaction, from the data as issued; a job lays it out,
signs it with the body's certificate and stores it frozen after commit
(``reports.store.save_issued``). Numbers are never reused: a document once numbered stays
in the register. Details for officers and operators: ``docs/issuing.md``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import history
from agencies.lineage import BodyName, name_on
from agencies.models import Agency
from reports import access, catalog, delivery, pdf, selectors
from reports.models import GeneratedDocument, IssuedDocument

Kind = GeneratedDocument.Kind
# Verification codes: no 0/O, 1/I/L, so a code read aloud or typed from paper is unambiguous;
# 12 characters of 31 give about 59 bits: not guessable, not worth enumerating.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
ATTEMPTS = 5  # numbers taken by a parallel issue, tried again with the next one
# The kinds the portal issues (numbered, signed, in the register).
ISSUED_KINDS = (Kind.CONSOLIDATED, Kind.REMINDER, Kind.SCORING_RESULTS)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def next_number(issuer: Agency, year: int) -> int:
    """The number the next document ``issuer`` issues in ``year`` takes, whatever its kind."""
    last = IssuedDocument.objects.filter(issuer=issuer, year=year).aggregate(n=Max("number"))
    return (last["n"] or 0) + 1


def lead_of(when: dt.datetime | None = None) -> tuple[Agency, BodyName]:
    """The lead body on the day of ``when`` (now by default) and its name of that day: a
    document issued then is issued by it, under the abbreviation it had."""
    day = timezone.localdate(when) if when else timezone.localdate()
    lead = pdf.lead_on(day)
    return lead, name_on(lead, day)


def next_lead_number(when: dt.datetime | None = None) -> int:
    """The number the lead body's next document takes (what confirm pages announce)."""
    year = timezone.localtime(when or timezone.now()).year
    return next_number(pdf.lead_on(timezone.localdate(when) if when else None, names=False), year)


def reference(row: IssuedDocument) -> str:
    """`05/BC-SNV`."""
    return pdf.reference(row.number, row.symbol)


# --- Issuing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What the register records of a document being issued (all but its number and code)."""

    kind: str
    object_key: str
    issuer: Agency
    title: str
    symbol: str
    signer_title: str
    signer_name: str
    recipient: Agency | None = None


def register(*, actor, entry: Entry, when: dt.datetime | None = None) -> IssuedDocument:
    """Write ``entry`` into the register with the issuer's next number of the year and a new
    code (history "Ban hành văn bản số …" under ``actor``). Call inside the issuing
    transaction. The issuer's row is locked so two issues of one body number one after the
    other; where the database cannot lock (SQLite serialises writers anyway) a number taken
    meanwhile fails the unique constraint and the next one is tried."""
    when = when or timezone.now()
    year = timezone.localtime(when).year
    Agency.objects.select_for_update().filter(pk=entry.issuer.pk).first()
    for _attempt in range(ATTEMPTS):
        if IssuedDocument.objects.filter(kind=entry.kind, object_key=entry.object_key).exists():
            raise ValidationError(_("Văn bản này đã được ban hành."))
        row = IssuedDocument(
            **vars(entry),
            year=year,
            number=next_number(entry.issuer, year),
            code=new_code(),
            issued_at=when,
            issued_by=actor,
        )
        try:
            with transaction.atomic():
                history.save(row, _("Ban hành văn bản số %(ref)s") % {"ref": reference(row)}, actor)
        except IntegrityError:
            continue
        return row
    raise ValidationError(
        _("Nhiều văn bản đang được ban hành cùng lúc nên chưa cấp được số; hãy thử lại.")
    )


def freeze(*, actor, row: IssuedDocument, params: dict, filename: str) -> None:
    """Render the issued document now, from the data as they are in the issuing transaction,
    and queue the job that lays it out, signs and stores it (``delivery.document_freeze``)."""
    delivery.document_freeze(actor=actor, ask=catalog.issued(row, params, filename))


@transaction.atomic
def issue(
    *,
    actor,
    kind: str,
    object_key: str,
    issuer: Agency,
    title: str,
    symbol: str,
    signer_title: str,
    signer_name: str,
    recipient: Agency | None = None,
    when: dt.datetime | None = None,
    params: dict | None = None,
    filename: str = "",
) -> IssuedDocument:
    """Number, register and freeze one document (``register`` then ``freeze``). ``params``
    and ``filename`` are those of the document's ``catalog`` entry."""
    entry = Entry(kind, object_key, issuer, title, symbol, signer_title, signer_name, recipient)
    row = register(actor=actor, entry=entry, when=when)
    freeze(actor=actor, row=row, params=params or {}, filename=filename or f"{object_key}.pdf")
    return row


def _lead_signature() -> tuple[str, str]:
    """(title lines joined by newlines, name): the lead body's director (``pdf.lead_signer``)."""
    title, name = pdf.lead_signer()
    return "\n".join(title), name


# --- a. The consolidated report (``reports.services.consolidated_issue``) -----------------


def consolidated_entry(report) -> Entry:
    """The register entry of a round's consolidated report, signed as edited."""
    lead, name = lead_of()
    return Entry(
        kind=Kind.CONSOLIDATED,
        object_key=catalog.consolidated_key(report.round),
        issuer=lead,
        title=report.round.title,
        symbol=pdf.report_symbol(name),
        signer_title=report.signer_title,
        signer_name=report.signer_name,
    )


# --- b. A reminder letter to a late body -------------------------------------------------------


@dataclass(frozen=True)
class ReminderPreview:
    """What issuing a reminder letter to ``agency`` would issue, as of now."""

    agency: Agency
    late: int
    signer_title: str
    signer_name: str
    number: int
    symbol: str
    previous: IssuedDocument | None = None  # the last letter issued to the body, if any

    @property
    def number_line(self) -> str:
        return pdf.number_line(self.number, self.symbol)

    @property
    def previous_reference(self) -> str:
        return reference(self.previous) if self.previous else ""


def reminder_preview(agency: Agency) -> ReminderPreview:
    _lead, name = lead_of()
    signer_title, signer_name = _lead_signature()
    return ReminderPreview(
        agency=agency,
        late=len(selectors.agency_overdue_items(agency)),
        signer_title=signer_title,
        signer_name=signer_name,
        number=next_lead_number(),
        symbol=pdf.letter_symbol(name),
        previous=IssuedDocument.objects.filter(kind=Kind.REMINDER, recipient=agency)
        .order_by("-issued_at", "-pk")
        .first(),
    )


def reminder_problems(preview: ReminderPreview) -> list[str]:
    """Why the letter cannot be issued (Vietnamese), or nothing."""
    problems = []
    if not preview.late:
        problems.append(
            _("%(agency)s không có nhiệm vụ nào quá hạn nên không có gì để đôn đốc.")
            % {"agency": preview.agency.name}
        )
    if not preview.signer_name:
        problems.append(
            _(
                "Chưa xác định được người ký: Sở Nội vụ chưa có tài khoản nào có chức vụ "
                "“Giám đốc”. Hãy nhờ quản trị viên cập nhật chức vụ người ký."
            )
        )
    return problems


@transaction.atomic
def reminder_issue(*, actor, agency: Agency, when: dt.datetime | None = None) -> IssuedDocument:
    """Issue the reminder letter to ``agency`` about its overdue items as of now, addressed
    to it (its users may then download it from the register)."""
    if not access.reports_manage(actor):
        raise PermissionDenied
    preview = reminder_preview(agency)
    if problems := reminder_problems(preview):
        raise ValidationError(problems)
    when = when or timezone.now()
    lead, _name = lead_of(when)
    stamp = timezone.localtime(when).strftime("%Y%m%d-%H%M%S-%f")  # one letter per moment
    return issue(
        actor=actor,
        kind=Kind.REMINDER,
        object_key=f"{agency.code}-{stamp}",
        issuer=lead,
        recipient=agency,
        title=_("Đôn đốc thực hiện nhiệm vụ cải cách hành chính quá hạn"),
        symbol=preview.symbol,
        signer_title=preview.signer_title,
        signer_name=preview.signer_name,
        when=when,
        params={"agency": agency.pk},
        filename=f"cong-van-don-doc-{agency.code.lower()}-{stamp}.pdf",
    )


# --- c. A period's published scoring results -------------------------------------------------


@transaction.atomic
def results_issue(*, actor, period, when: dt.datetime | None = None) -> IssuedDocument:
    """Issue a period's results as published (the ranking every body then downloads)."""
    when = when or period.published_at
    lead, name = lead_of(when)
    signer_title, signer_name = _lead_signature()
    return issue(
        actor=actor,
        kind=Kind.SCORING_RESULTS,
        object_key=catalog.results_key(period),
        issuer=lead,
        title=_("Kết quả xác định Chỉ số cải cách hành chính năm %(y)s") % {"y": period.year},
        symbol=pdf.report_symbol(name),
        signer_title=signer_title,
        signer_name=signer_name,
        when=when,
        params={"period": period.pk, "user": actor.pk},
        filename=f"ket-qua-chi-so-cchc-{period.year}-{period.pk}.pdf",
    )


def on_period_published(sender, *, period, actor, **kwargs) -> None:
    """``scoring.signals.period_published``: issue the results in the publishing transaction
    (an error rolls the publication back)."""
    results_issue(actor=actor, period=period)
