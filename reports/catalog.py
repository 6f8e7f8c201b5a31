"""Every document and export the portal stores: what identifies it, which data it is built
from, how it is built and whether it is small enough to build in the request.

A view turns what the reader asked for into an ``Ask`` (kind, object key, parameters, file
name). ``Ask.data_key`` is the version of the data the document would be built from,
computed without building anything: the layout version (``pdf.layout_version``), the kind,
object and parameters, today's date (unissued documents carry it, and lateness is as of
today), the names bodies and the province carried over time (``_names``: a document
prints the names of its date) and, for each history table the document reads
(``SPECS[kind].sources``), its last history id and how many of its rows lie among the
last ``TAIL`` ids; a value read elsewhere (the signer's name: ``Read``) is read too. Every
change writes a
history row, so it raises the last id; the count catches a transaction that committed
after a later one (PostgreSQL hands out ids before commit). Deleting a row writes a
history row too. An issued report has a fixed key instead (``Ask.fixed_key``): it is
never rebuilt. A download does not compute the key again while nothing it reads was
written since it was last found current (``Ask.is_current``, ``reports.freshness``).

``reports.delivery`` serves a stored document whose key matches, builds a small one in
the request and queues the rest; ``reports.tasks`` runs the job through ``build``. The
object key carries the reader's variant where what a document says depends on who reads
it (a dossier's contributions, an export's rows); readers with the same variant share one
stored document and one job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db.models import Max, QuerySet
from django.http import QueryDict
from django.utils import timezone, translation

from agencies import fragments
from agencies.access import reads_everything
from agencies.models import Agency, AgencyName, Province, User
from coordination.models import Attachment, Contribution, Participation, Task
from reports import freshness, pdf
from reports.models import (
    AgencyReport,
    ConsolidatedReport,
    DocumentJob,
    GeneratedDocument,
    IssuedDocument,
    ReportRound,
)
from scoring.models import Assessment, CriteriaSet, Criterion, Score, ScoringPeriod

Kind = GeneratedDocument.Kind
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The names a document prints for its date are read from these (``_names``).
NAME_MODELS = (Province, AgencyName)
TAIL = 10_000  # history ids counted behind the last one (a late commit falls among them)
# Defaults of the settings that decide what is built in the request (docs/reports.md).
# A dossier's pages are filled by its history and contributions: about eight entries a
# page, a page in about 0.1 s here (docs/reports.md), so 40 entries stay well under 1 s.
EXPORT_INLINE_ROWS = 300
DOSSIER_INLINE_ENTRIES = 40


def export_inline_rows() -> int:
    return int(getattr(settings, "EXPORT_INLINE_ROWS", EXPORT_INLINE_ROWS))


def dossier_inline_entries() -> int:
    return int(getattr(settings, "DOSSIER_INLINE_ENTRIES", DOSSIER_INLINE_ENTRIES))


# --- What a document is --------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One kind: the sources of its data version and how it is built. A PDF has a
    ``template`` and a ``context``; an export has ``export`` (bytes of a workbook)."""

    sources: Callable[[dict], list]
    template: str = ""
    context: Callable[[dict, User], dict] | None = None
    export: Callable[[dict, User], bytes] | None = None

    @property
    def content_type(self) -> str:
        return PDF if self.template else XLSX


@dataclass(frozen=True)
class Ask:
    """What a reader asked for. ``params`` is what a job needs to build it again (JSON);
    ``params["user"]``, when present, is whose view of the data is built and is not part
    of the key (``object_key`` names the variant)."""

    kind: str
    object_key: str
    params: dict
    filename: str
    small: bool | Callable[[], bool] = False
    fixed_key: str = ""

    @property
    def freeze(self) -> bool:
        return bool(self.fixed_key)

    @property
    def content_type(self) -> str:
        return SPECS[self.kind].content_type

    @cached_property
    def inline(self) -> bool:
        """Built in the request (``small``, counted only when no stored file is current)."""
        return bool(self.small() if callable(self.small) else self.small)

    @cached_property
    def _sources(self) -> list:
        return SPECS[self.kind].sources(self.params)

    @cached_property
    def _shown(self) -> dict:
        return {k: v for k, v in self.params.items() if k != "user"}

    @cached_property
    def _witness(self) -> tuple[str, object]:
        """The cheap witness of the data the key reads, and the check remembered under
        it (``reports.freshness``); read before the exact key, always."""
        if self.fixed_key:
            return "", None
        tables = {s.model._meta.db_table for s in self._sources if isinstance(s, QuerySet)}
        tables.update(model._meta.db_table for model in NAME_MODELS)
        tables.update(t for s in self._sources if isinstance(s, Read) for t in s.tables)
        values = [s for s in self._sources if not isinstance(s, QuerySet | Read)]
        today = timezone.localdate().isoformat()
        values = [pdf.layout_version(), self.kind, self.object_key, self._shown, today, values]
        return freshness.witness(self.kind, self.object_key, sorted(tables), values)

    @cached_property
    def data_key(self) -> str:
        if self.fixed_key:
            parts = [self.kind, self.object_key, self.fixed_key]
        else:
            self._witness  # noqa: B018 -- read first: a change after it moves the witness
            versions = [version_of(source) for source in self._sources]
            today = timezone.localdate().isoformat()
            names = _names()
            parts = [pdf.layout_version(), self.kind, self.object_key, self._shown, today, names]
            parts.append(versions)
        payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def is_current(self, data_key: str) -> bool:
        """Whether a stored build under ``data_key`` shows the data as they are now: found
        so earlier under an unchanged witness (one cache read), else by the exact key
        (and then remembered)."""
        witness, remembered = self._witness
        if freshness.known_current(witness, remembered, data_key):
            return True
        if data_key != self.data_key:
            return False
        freshness.remember(self.kind, self.object_key, witness, data_key)
        return True

    def remember(self, data_key: str) -> None:
        """A build stored under ``data_key`` (this ask's exact key) is current."""
        if not self.fixed_key and data_key == self.data_key:
            freshness.remember(self.kind, self.object_key, self._witness[0], data_key)


@dataclass(frozen=True)
class Read:
    """A value a document prints that no history table of its own versions (the signer's
    name): read only when the exact key is computed. Its witness is the write stamps of
    ``tables``, the tables (or ``agencies.fragments.PEOPLE``, the version of people) it
    is read from, so a download of a stored document does not read it while they are
    unchanged."""

    tables: tuple[str, ...]
    read: Callable[[], object]


def version_of(source) -> object:
    """A history queryset's version (last id, rows among the last ``TAIL`` ids: two
    indexed queries); a ``Read`` value is read; any other source is a value already."""
    if isinstance(source, Read):
        return source.read()
    if not isinstance(source, QuerySet):
        return source
    last = source.aggregate(last=Max("history_id"))["last"] or 0
    return [last, source.filter(history_id__gt=last - TAIL).count()]


@dataclass
class Built:
    """A built file; ``placement`` (a ``signing.sign.Placement``) is where an issued PDF's
    signer block reserves room for its signature."""

    data: bytes
    pages: int | None = None
    placement: object | None = None


def build(kind: str, params: dict, user, *, snapshot: str = "", progress=None) -> Built:
    """Build one document, in Vietnamese whoever asked (it is shared and official): collect
    its data, lay it out, write the file. ``progress`` is told each stage
    (``DocumentJob.Stage``); WeasyPrint's layout is one call, so the stages are as fine as
    the work allows. ``snapshot`` is HTML rendered earlier (an issued report as it was
    issued): only its layout and writing are left. An issued document (``params["issued"]``,
    its register row) also says where its signature goes."""
    step = progress or (lambda stage, pages=None: None)
    spec = SPECS[kind]
    with translation.override("vi"):
        step(DocumentJob.Stage.COLLECT)
        if spec.export is not None:
            step(DocumentJob.Stage.WRITE)
            return Built(spec.export(params, user))
        html = snapshot or html_of(kind, params, user)
        step(DocumentJob.Stage.LAYOUT)
        document = pdf.layout(html)
        pages = len(document.pages)
        placement = pdf.signature_placement(document) if params.get("issued") else None
        step(DocumentJob.Stage.WRITE, pages)
        return Built(pdf.write(document), pages, placement)


def html_of(kind: str, params: dict, user) -> str:
    """The HTML of a PDF kind from the data as they are now (no layout: milliseconds); an
    issued one carries its register row's number, date, signer and verification."""
    spec = SPECS[kind]
    context = spec.context(params, user)
    if params.get("issued"):
        context = pdf.with_register(context, IssuedDocument.objects.get(pk=params["issued"]))
    return pdf.render_html(spec.template, context)


# --- Sources: the history tables each document reads ----------------------------------------


def _names() -> str:
    """The version of the names a document may print for its date (two small queries): the
    province's valid-dated rows and bodies' former names, as they are now. A renamed body
    or a new province changes it, so a stored document is built again with the names of its
    date; an issued one keeps the names it was issued with (its key is fixed)."""
    rows = [
        list(
            Province.objects.order_by("pk").values_list(
                "pk", "name", "short_name", "valid_from", "valid_to", "regulation"
            )
        ),
        list(
            AgencyName.objects.order_by("pk").values_list(
                "pk", "agency_id", "code", "name", "short_name", "abbreviation", "valid_to"
            )
        ),
    ]
    payload = json.dumps(rows, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _signer() -> Read:
    """Documents signed for Sở Nội vụ print the director's name (a person, not history:
    users' history also records every sign-in): read from the bodies (the lead body of
    today) and the people (``fragments.PEOPLE`` moves when a user is saved, other than
    only the time of a sign-in)."""
    return Read((Agency._meta.db_table, fragments.PEOPLE), lambda: pdf.lead_signer()[1])


def _consolidated_sources(p: dict) -> list:
    rnd = p["round"]
    return [
        ReportRound.history.filter(id=rnd),
        AgencyReport.history.filter(round_id=rnd),
        ConsolidatedReport.history.filter(round_id=rnd),
        Agency.history.all(),
        _signer(),
    ]


def _agency_report_sources(p: dict) -> list:
    return [
        AgencyReport.history.filter(id=p["report"]),
        ReportRound.history.filter(id=p["round"]),
        Agency.history.filter(id=p["agency"]),
    ]


def _coordination_sources(p: dict) -> list:
    return [Task.history.all(), Participation.history.all(), Agency.history.all(), _signer()]


def _reminder_sources(p: dict) -> list:
    parts = Participation.history.filter(agency_id=p["agency"])
    return [Task.history.all(), parts, Agency.history.all(), _signer()]


def _dossier_sources(p: dict) -> list:
    parts = Participation.history.filter(task_id=p["task"])
    return [
        Task.history.filter(id=p["task"]),
        parts,
        Contribution.history.filter(participation_id__in=parts.values("id")),
        Attachment.history.filter(task_id=p["task"]),
        Agency.history.all(),
    ]


def _results_sources(p: dict) -> list:
    """Results read every assessment of the period and last year's: the scoring tables."""
    return [
        ScoringPeriod.history.all(),
        Assessment.history.all(),
        Score.history.all(),
        Criterion.history.all(),
        CriteriaSet.history.all(),
        Agency.history.all(),
        _signer(),
    ]


def _scorecard_sources(p: dict) -> list:
    return [
        Assessment.history.filter(id=p["assessment"]),
        Score.history.filter(assessment_id=p["assessment"]),
        Criterion.history.filter(criteria_set_id=p["criteria_set"]),
        ScoringPeriod.history.filter(id=p["period"]),
        Agency.history.all(),
        _signer(),
    ]


def _task_export_sources(p: dict) -> list:
    return [Task.history.all(), Participation.history.all(), Agency.history.all()]


# --- Builders: the data of each kind, from its parameters -----------------------------------


def _reader(user, p: dict):
    return user if user is not None else User.objects.get(pk=p["user"])


def _consolidated_context(p: dict, user) -> dict:
    return pdf.consolidated_context(ReportRound.objects.get(pk=p["round"]))


def _agency_report_context(p: dict, user) -> dict:
    report = AgencyReport.objects.select_related("round", "agency", "submitted_by")
    return pdf.agency_report_context(report.get(pk=p["report"]))


def _coordination_context(p: dict, user) -> dict:
    start, end = dt.date.fromisoformat(p["from"]), dt.date.fromisoformat(p["to"])
    return pdf.coordination_status_context(start, end, timezone.localdate())


def _reminder_context(p: dict, user) -> dict:
    return pdf.reminder_context(Agency.objects.get(pk=p["agency"]), timezone.localdate())


def _dossier_context(p: dict, user) -> dict:
    task = Task.objects.select_related("chair_agency", "tracking_agency").get(pk=p["task"])
    return pdf.task_dossier_context(task, _reader(user, p))


def _results_context(p: dict, user) -> dict:
    return pdf.scoring_results_context(ScoringPeriod.objects.get(pk=p["period"]), _reader(user, p))


def _scorecard_context(p: dict, user) -> dict:
    assessment = Assessment.objects.select_related("agency", "period", "criteria_set")
    return pdf.scorecard_context(assessment.get(pk=p["assessment"]))


def _task_rows(p: dict, user):
    """The rows of the item list as the reader filtered them (the list page's filter)."""
    from coordination.forms import TaskFilter
    from coordination.selectors import listed_tasks

    reader = _reader(user, p)
    data = QueryDict(p["query"]) or None
    return TaskFilter(data, queryset=listed_tasks(reader), user=reader).qs


def _task_export(p: dict, user) -> bytes:
    from coordination.exports import tasks_xlsx

    return tasks_xlsx(_task_rows(p, user))


def _results_export(p: dict, user) -> bytes:
    from scoring.exports import results_workbook
    from scoring.selectors import period_results

    period = ScoringPeriod.objects.get(pk=p["period"])
    return results_workbook(period, period_results(period, _reader(user, p)))


SPECS: dict[str, Spec] = {
    Kind.CONSOLIDATED: Spec(
        _consolidated_sources, "reports/pdf/consolidated.html", _consolidated_context
    ),
    Kind.AGENCY_REPORT: Spec(
        _agency_report_sources, "reports/pdf/agency_report.html", _agency_report_context
    ),
    Kind.COORDINATION_STATUS: Spec(
        _coordination_sources, "reports/pdf/coordination_status.html", _coordination_context
    ),
    Kind.REMINDER: Spec(_reminder_sources, "reports/pdf/reminder.html", _reminder_context),
    Kind.TASK_DOSSIER: Spec(_dossier_sources, "reports/pdf/task_dossier.html", _dossier_context),
    Kind.SCORING_RESULTS: Spec(
        _results_sources, "reports/pdf/scoring_results.html", _results_context
    ),
    Kind.SCORECARD: Spec(_scorecard_sources, "reports/pdf/scorecard.html", _scorecard_context),
    Kind.TASK_EXPORT: Spec(_task_export_sources, export=_task_export),
    Kind.RESULTS_EXPORT: Spec(_results_sources, export=_results_export),
}


# --- Asks: what a view hands to ``reports.delivery`` -----------------------------------------


def _variant(user) -> str:
    """Whose view a per-reader document shows: the reader's body, and whether their role
    reads everything (two readers with the same variant see the same document)."""
    return f"a{user.agency_id or 0}-{'all' if reads_everything(user) else 'body'}"


def issued(row: IssuedDocument, params: dict, filename: str) -> Ask:
    """An issued document (its register ``row``): its key is the issue itself, so it is
    built once, from the snapshot rendered when it was issued, signed and frozen."""
    params = {**params, "issued": row.pk}
    return Ask(row.kind, row.object_key, params, filename, fixed_key=f"issued-{row.code}")


def _issued_row(kind: str, object_key: str) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(kind=kind, object_key=object_key).first()


def consolidated_key(rnd: ReportRound) -> str:
    return f"round-{rnd.pk}"


def consolidated(rnd: ReportRound) -> Ask:
    """The province's consolidated report: many bodies, always a job. Once issued, it is
    the issued document (``issued``)."""
    key, params = consolidated_key(rnd), {"round": rnd.pk}
    name = f"bao-cao-tong-hop-{rnd.year}-{rnd.pk}.pdf"
    if (row := _issued_row(Kind.CONSOLIDATED, key)) is not None:
        return issued(row, params, name)
    return Ask(Kind.CONSOLIDATED, key, params, name)


def agency_report(report: AgencyReport) -> Ask:
    """One body's report: one body's data, built in the request."""
    name = f"bao-cao-{report.agency.code.lower()}-{report.round.year}-{report.round_id}.pdf"
    params = {"report": report.pk, "round": report.round_id, "agency": report.agency_id}
    return Ask(Kind.AGENCY_REPORT, f"report-{report.pk}", params, name, small=True)


def coordination_status(start, end) -> Ask:
    name = f"tinh-hinh-phoi-hop-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
    params = {"from": start.isoformat(), "to": end.isoformat()}
    return Ask(Kind.COORDINATION_STATUS, f"{start.isoformat()}_{end.isoformat()}", params, name)


def reminder(agency: Agency) -> Ask:
    name = f"cong-van-don-doc-{agency.code.lower()}.pdf"
    return Ask(Kind.REMINDER, agency.code, {"agency": agency.pk}, name)


def task_dossier(task: Task, user) -> Ask:
    """An item's dossier as ``user`` may see it; built in the request up to
    ``DOSSIER_INLINE_ENTRIES`` recorded changes of the item, its bodies, contributions and
    files (its history and contribution versions fill its pages), else a job."""
    key = f"task-{task.pk}-{_variant(user)}"
    params = {"task": task.pk, "user": user.pk}

    def small() -> bool:
        entries = sum(source.count() for source in _dossier_sources(params)[:4])
        return entries <= dossier_inline_entries()

    return Ask(Kind.TASK_DOSSIER, key, params, f"ho-so-nhiem-vu-{task.pk}.pdf", small=small)


def results_key(period: ScoringPeriod) -> str:
    return f"results-{period.pk}"


def scoring_results(period: ScoringPeriod, user) -> Ask:
    """The ranking of every body (the view allows only readers who see all rows); once the
    period is published, the results as issued then (``issued``)."""
    name = f"ket-qua-chi-so-cchc-{period.year}-{period.pk}.pdf"
    key, params = results_key(period), {"period": period.pk, "user": user.pk}
    if period.is_published and (row := _issued_row(Kind.SCORING_RESULTS, key)) is not None:
        return issued(row, params, name)
    return Ask(Kind.SCORING_RESULTS, key, params, name)


def scorecard(assessment: Assessment) -> Ask:
    name = f"bang-diem-{assessment.agency.code.lower()}-{assessment.period.year}.pdf"
    params = {
        "assessment": assessment.pk,
        "period": assessment.period_id,
        "criteria_set": assessment.criteria_set_id,
    }
    return Ask(Kind.SCORECARD, f"assessment-{assessment.pk}", params, name)


def task_export(user, query: QueryDict) -> Ask:
    """The item list as filtered on screen, in Excel; built in the request up to
    ``EXPORT_INLINE_ROWS`` rows, else a job."""
    query = query.copy()
    query.pop("page", None)
    text = "&".join(sorted(query.urlencode().split("&"))) if query else ""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    variant = "all" if reads_everything(user) else f"a{user.agency_id or 0}"
    params = {"query": text, "user": user.pk}
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"nhiem-vu-cchc-{stamp}.xlsx"

    def small() -> bool:
        return _task_rows(params, user).count() <= export_inline_rows()

    return Ask(Kind.TASK_EXPORT, f"tasks-{variant}-{digest}", params, name, small=small)


def results_export(period: ScoringPeriod, user) -> Ask:
    """A period's results in Excel, as the reader may see them (all bodies, or before
    publication their own); built in the request up to ``EXPORT_INLINE_ROWS`` rows."""
    from scoring.access import results_visible_to

    scope = results_visible_to(user, period)
    variant = "all" if scope == "all" else f"a{user.agency_id or 0}"
    params = {"period": period.pk, "user": user.pk}
    name = f"ket-qua-chi-so-cchc-{period.year}.xlsx"

    def small() -> bool:
        rows = Assessment.objects.filter(period=period).count() if scope == "all" else 1
        return rows <= export_inline_rows()

    return Ask(Kind.RESULTS_EXPORT, f"results-{period.pk}-{variant}", params, name, small=small)
