"""One submission per create form.

Every form that creates something carries a one-time token (``{% once_token %}`` from
``agencies/templatetags/portal.py``). The view runs its service inside ``once(request)``:
the token is written as a ``FormReceipt`` in the same transaction as what it creates, so

- the first request creates and records where the result is;
- the same form sent again with the same content — a double-click, Back and resubmit, a
  second tab, two requests at the same moment (the second waits on the unique key until the
  first commits) — raises ``AlreadySubmitted`` and the view shows the first result
  (``already``) instead of creating a second one;
- a form changed after Back (other content, same token) is a new request: what the user
  typed is never replaced by the first result;
- a request that fails validation rolls its receipt back, so the form shown again with the
  user's input can be sent again.

A form without a token (a page from before the token existed) is refused with a message
and shown again with everything typed, and a fresh token."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import FormReceipt

FIELD = "once"
KEEP = dt.timedelta(days=2)  # receipts older than this are deleted by the next create
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class AlreadySubmitted(Exception):
    """This form was already sent; ``url`` is where its result is ("" if unknown)."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _fingerprint(request: HttpRequest) -> str:
    """What the form said: every field but the tokens, and each file's name and size. The
    same form sent again says the same; a form changed after Back says something else."""
    digest = hashlib.sha256(request.path.encode())
    for key in sorted(request.POST):
        if key in {FIELD, "csrfmiddlewaretoken"}:
            continue
        for value in request.POST.getlist(key):
            digest.update(f"\x1f{key}\x1e{value}".encode())
    for key in sorted(request.FILES):
        for upload in request.FILES.getlist(key):
            digest.update(f"\x1f{key}\x1d{upload.name}\x1d{upload.size}".encode())
    return digest.hexdigest()


@contextmanager
def once(request: HttpRequest) -> Iterator[FormReceipt]:
    """Run the block at most once for this form's token, in one transaction with it.

    The block sets ``receipt.result_url`` to the page of what it created."""
    token = request.POST.get(FIELD, "")
    if not _SHAPE.match(token):
        raise ValidationError(
            _(
                "Biểu mẫu này được mở từ một trang cũ nên chưa được gửi. Nội dung bạn nhập "
                "vẫn còn dưới đây; hãy kiểm tra và bấm gửi lại."
            )
        )
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                receipt = FormReceipt.objects.create(
                    token=token, fingerprint=fingerprint, user=request.user
                )
        except IntegrityError:
            first = FormReceipt.objects.filter(
                token=token, fingerprint=fingerprint, user=request.user
            ).first()
            raise AlreadySubmitted(first.result_url if first else "") from None
        yield receipt
        FormReceipt.objects.filter(pk=receipt.pk).update(result_url=receipt.result_url[:500])
        FormReceipt.objects.filter(created_at__lt=timezone.now() - KEEP).delete()


def already(request: HttpRequest, done: AlreadySubmitted, fallback: str) -> HttpResponse:
    """The answer to a form sent twice: the first result, and why nothing new was made."""
    messages.info(
        request,
        _(
            "Biểu mẫu này đã được gửi trước đó (bấm hai lần hoặc gửi lại sau khi quay lại "
            "trang); không tạo thêm bản mới. Đây là kết quả của lần gửi đầu."
        ),
    )
    return redirect(done.url or fallback)


@contextmanager
def duplicate_refused(message: str) -> Iterator[None]:
    """Turn a unique constraint's refusal inside the block into a ValidationError with
    ``message``: two people doing the same thing at the same moment (two tokens) meet the
    domain's own constraint, and the one who lost is told so in words."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ValidationError(message) from exc
