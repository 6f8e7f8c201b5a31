"""Encryption of the secrets a body signs with (a PKCS#12 file, its passphrase, a token's
PIN) before they reach the database.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) keyed from the environment:

- ``SIGNING_SECRET``: one or more Fernet keys separated by commas. The first encrypts;
  every key decrypts, so a key is rotated by putting the new one first and keeping the old
  one after it until every credential has been re-saved (docs/signing.md).
- When ``SIGNING_SECRET`` is empty, one key is derived with HKDF-SHA256 (salt and info
  below) from ``settings.SIGNING_SECRET_BASE``: ``SECRET_KEY`` in production (changing it
  then makes the stored secrets unreadable: production should set ``SIGNING_SECRET``), the
  development key in development and in the demo (whose server gets a new ``SECRET_KEY``
  each run while its test certificate was stored once).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

HKDF_SALT = b"phuyen-cchc/signing"
HKDF_INFO = b"signing.secrets: Fernet key for credentials, v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from ``SECRET_KEY`` (HKDF-SHA256, 32 bytes, urlsafe base64)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _fernet() -> MultiFernet:
    configured = [k.strip() for k in settings.SIGNING_SECRET.split(",") if k.strip()]
    keys = configured or [derived_key(settings.SIGNING_SECRET_BASE).decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            _(
                "SIGNING_SECRET không hợp lệ: mỗi khóa phải là một khóa Fernet (32 byte mã hóa "
                "base64 an toàn cho URL), các khóa cách nhau bằng dấu phẩy. Xem docs/signing.md."
            )
        ) from exc


def encrypt(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(bytes(token))
    except InvalidToken as exc:
        raise SecretUnreadable(
            _(
                "Không giải mã được khóa ký số đã lưu: khóa mã hóa (SIGNING_SECRET, hoặc "
                "SECRET_KEY khi SIGNING_SECRET để trống) đã thay đổi. Hãy đặt lại khóa cũ vào "
                "sau khóa mới trong SIGNING_SECRET, hoặc tải lại chứng thư số của cơ quan."
            )
        ) from exc


def rotate(token: bytes) -> bytes:
    """``token`` re-encrypted with the first configured key (after a key rotation)."""
    try:
        return _fernet().rotate(bytes(token))
    except InvalidToken as exc:
        raise SecretUnreadable(_("Không giải mã được khóa ký số đã lưu.")) from exc
