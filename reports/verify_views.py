"""The public verification page of issued documents (``/v/<code>/``, the short URL under
the QR code printed on every issued document) and the small form that leads to it.

Public: no sign-in, no second factor, the same page for anonymous visitors and signed-in
users; it verifies a document and never publishes it (no download for anonymous
visitors). Checking an upload is limited per client address (``settings.VERIFY_RATE``)
and stores nothing: the upload is kept in memory, up to ``settings.VERIFY_MAX_BYTES``,
never on disk. The decisions are in ``reports.verify``.
"""

from __future__ import annotations

import ipaddress
from io import BytesIO

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from agencies.security import client_ip
from reports import verify
from reports.models import IssuedDocument

FIELD = "file"  # the form's file field


def verify_url(issued: IssuedDocument) -> str:
    """The public page of an issued document (the QR code's target, with the site URL)."""
    return reverse("verify_document", kwargs={"code": issued.code})


def _client(group: str, request: HttpRequest) -> str:
    """The rate limit's key: the client address by the portal's one rule
    (``agencies.security.client_ip``: REMOTE_ADDR, or what the trusted proxies saw), an
    IPv6 address by its /64 network as django-ratelimit's ``"ip"`` key does."""
    address = client_ip(request)
    if address is None:
        return "unknown"
    prefix = 64 if ":" in address else 32
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def _rate(group: str, request: HttpRequest) -> str:
    return settings.VERIFY_RATE  # read per request: tests and operators may change it


class _UploadInMemory(FileUploadHandler):
    """Keeps the one file of the form in memory, at most ``limit`` bytes: a larger one is
    skipped (``too_big``), other fields' files too; nothing is written to disk."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit, self.too_big, self.taken = limit, False, False

    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != FIELD or self.taken:
            raise SkipFile
        self.taken, self.buffer = True, BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            self.too_big = True
            raise SkipFile
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, file_size, None
        )


def _download_url(issued: IssuedDocument, user) -> str:
    """The register's own download (``issued_download``) for a signed-in user who may
    read the document (``reports.access``), else nothing: this page never serves the file."""
    if not user.is_authenticated or not verify.is_stored(issued):
        return ""
    if not IssuedDocument.objects.visible_to(user).filter(pk=issued.pk).exists():
        return ""
    return reverse("issued_download", kwargs={"pk": issued.pk})


def _page(request: HttpRequest, issued: IssuedDocument, **extra) -> HttpResponse:
    state, state_text = verify.status(issued)
    context = {
        "issued": issued,
        "state": state,
        "state_text": state_text,
        "stored": verify.is_stored(issued),
        "fingerprint": verify.grouped_fingerprint(issued.sha256),
        "download_url": _download_url(issued, request.user),
        "field_name": FIELD,
        "limit": filesizeformat(settings.VERIFY_MAX_BYTES),
        **extra,
    }
    return render(request, "reports/verify.html", context)


@ratelimit(key=_client, rate=_rate, method="POST", block=False)
@csrf_protect
def _verify(request: HttpRequest, code: str, handler: _UploadInMemory) -> HttpResponse:
    issued = verify.issued_for_code(code)
    if request.method != "POST":
        return _page(request, issued)
    if getattr(request, "limited", False):
        return render(request, "429.html", {"back": verify_url(issued)}, status=429)
    upload = request.FILES.get(FIELD)  # parses the body: sets ``handler.too_big``
    try:
        if handler.too_big:
            raise verify.too_big()
        comparison = verify.compare(issued, upload)
    except ValidationError as exc:
        return _page(request, issued, errors=exc.messages)
    return _page(request, issued, comparison=comparison)


@login_not_required
@require_http_methods(["GET", "POST"])
@csrf_exempt  # the token is checked inside (``_verify``), once the upload handler is set
def verify_document(request: HttpRequest, code: str) -> HttpResponse:
    """The register row of one issued document; POST compares an uploaded PDF with it."""
    handler = _UploadInMemory(request, settings.VERIFY_MAX_BYTES)
    request.upload_handlers = [handler]
    return _verify(request, code, handler)


@login_not_required
@require_GET
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """A code typed by hand (or the address pasted) leads to its page, which answers 404
    for an unknown code: nothing is looked up here."""
    if "code" not in request.GET:
        return render(request, "reports/verify_lookup.html")
    code = verify.code_from_input(request.GET["code"])
    if code:
        return redirect("verify_document", code=code)
    error = _("Hãy nhập mã xác thực in dưới mã QR của văn bản.")
    return render(request, "reports/verify_lookup.html", {"error": error})
