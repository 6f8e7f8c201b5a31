"""A real LDAP directory for the sign-in tests: Debian's slapd on a free local port.

- ``ldap_directory`` (session fixture): writes a slapd.conf from tests/ldap/slapd.conf.template
  (core, cosine, inetorgperson and nis schemas, an mdb database in a temporary folder, TLS
  with a CA made here), loads tests/ldap/directory.ldif with slapadd, starts
  ``slapd -h ldap://127.0.0.1:<port>/ -f <conf> -d 0`` in the foreground and stops it at the
  end of the session. It never touches the system's slapd (its /etc/ldap/slapd.d, port 389).
  No slapd → the tests fail saying what to install; they are never skipped.
- ``ldap_on`` (fixture): the portal's settings as settings.py computes them from the
  LDAP_* environment variables pointing at that directory (``Directory.env``).
- ``Directory.changed(dn, ...)``: change an entry as the directory's administrator for one
  test, put back afterwards.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import importlib.util
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from unittest import mock

import ldap
import ldap.modlist
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent / "ldap"
SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
START_TIMEOUT = 3.0

SUFFIX = "dc=phuyen,dc=gov,dc=vn"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "Quan-tri-thu-muc-2024"
SERVICE_DN = f"uid=svc-cchc,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "Dich-vu-chi-doc-2024"
DIRECTORY_PASSWORD = "Mat-khau-thu-muc-2024"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
FOCAL_GROUP = f"cn=cchc-dau-moi,{GROUPS}"
STAFF_GROUP = f"cn=cchc-cong-chuc,{GROUPS}"
NOIVU_GROUP = f"cn=cchc-noi-vu,{GROUPS}"
STC_GROUP = f"cn=co-quan-stc,{GROUPS}"


def person(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


@dataclass
class Directory:
    uri: str
    ca_file: Path
    process: subprocess.Popen

    def env(self, **overrides: str) -> dict[str, str]:
        """The LDAP_* environment an operator would set for this directory."""
        return {
            "LDAP_ENABLED": "1",
            "LDAP_SERVER_URI": self.uri,
            "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "LDAP_USER_SEARCH_BASE": PEOPLE,
            "LDAP_GROUP_SEARCH_BASE": GROUPS,
            # Spaces and capitals as an operator may write them: DNs are compared normalized.
            "LDAP_ROLE_GROUPS": (
                f"CN=cchc-dau-moi, ou=groups,{SUFFIX}=focal_officer;"
                f"{STAFF_GROUP}=agency_staff;\n{NOIVU_GROUP}=noivu_officer"
            ),
            "LDAP_AGENCY_GROUPS": f"{STC_GROUP}=STC",
            "LDAP_TIMEOUT": "3",
            **overrides,
        }

    @contextmanager
    def changed(self, dn: str, changes: list[tuple[int, str, list[str]]]) -> Iterator[None]:
        """Apply (MOD_ADD/MOD_DELETE, attribute, values) changes to ``dn`` for one test."""
        undo = {ldap.MOD_ADD: ldap.MOD_DELETE, ldap.MOD_DELETE: ldap.MOD_ADD}
        self._modify(dn, changes)
        try:
            yield
        finally:
            self._modify(dn, [(undo[op], attr, values) for op, attr, values in changes])

    def _modify(self, dn: str, changes: list[tuple[int, str, list[str]]]) -> None:
        conn = ldap.initialize(self.uri)
        try:
            conn.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
            conn.modify_s(dn, [(op, a, [v.encode() for v in vs]) for op, a, vs in changes])
        finally:
            conn.unbind_s()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_tls(run: Path) -> str:
    """A CA and a certificate for 127.0.0.1 signed by it; the slapd.conf TLS lines."""
    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_cert = cert("CA thử nghiệm thư mục", ca_key, "CA thử nghiệm thư mục", ca_key, ca=True)
    server_cert = cert("127.0.0.1", server_key, "CA thử nghiệm thư mục", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (run / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (run / "server.pem").write_bytes(server_cert.public_bytes(pem))
    (run / "server.key").write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return (
        f"TLSCACertificateFile {run}/ca.pem\n"
        f"TLSCertificateFile {run}/server.pem\n"
        f"TLSCertificateKeyFile {run}/server.key"
    )


def _die_with_parent() -> None:
    """In the child before exec: slapd gets SIGTERM if the test process dies (Linux)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"slapd stopped at start:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"slapd did not listen within {START_TIMEOUT} s:\n{log.read_text()}")


def start_directory(run: Path) -> Directory:
    """Configure, load and start slapd in ``run``; the caller stops ``process``."""
    missing = [path for path in (SLAPD, SLAPADD) if not os.access(path, os.X_OK)]
    if missing or not (SCHEMA_DIR / "inetorgperson.schema").exists():
        pytest.fail(
            "The LDAP sign-in tests need Debian's slapd and ldap-utils "
            f"(missing: {', '.join(missing) or SCHEMA_DIR}): run ./.ci/system-deps test "
            "or apt-get install slapd ldap-utils."
        )
    (run / "data").mkdir(parents=True)
    conf = run / "slapd.conf"
    template = Template((HERE / "slapd.conf.template").read_text())
    conf.write_text(
        template.substitute(schema=SCHEMA_DIR, run=run, rootpw=ROOT_PASSWORD, tls=write_tls(run))
    )
    loaded = subprocess.run(
        [SLAPADD, "-f", str(conf), "-l", str(HERE / "directory.ldif")],
        capture_output=True,
        text=True,
    )
    if loaded.returncode:
        pytest.fail(f"slapadd could not load tests/ldap/directory.ldif:\n{loaded.stderr}")
    port = _free_port()
    log = run / "slapd.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [SLAPD, "-h", f"ldap://127.0.0.1:{port}/", "-f", str(conf), "-d", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    _wait_until_listening(process, port, log)
    return Directory(uri=f"ldap://127.0.0.1:{port}", ca_file=run / "ca.pem", process=process)


@pytest.fixture(scope="session")
def ldap_directory(tmp_path_factory) -> Iterator[Directory]:
    directory = start_directory(tmp_path_factory.mktemp("slapd"))
    try:
        yield directory
    finally:
        directory.process.terminate()
        try:
            directory.process.wait(5)
        except subprocess.TimeoutExpired:
            directory.process.kill()
            directory.process.wait()


def portal_settings(env: dict[str, str]):
    """A fresh copy of phuyen_cchc/settings.py executed with ``env`` added to the
    environment: what the portal would run with."""
    spec = importlib.util.spec_from_file_location(
        "_settings_probe", importlib.util.find_spec("phuyen_cchc.settings").origin
    )
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, env):
        spec.loader.exec_module(module)
    return module


def apply_portal_settings(settings, env: dict[str, str]) -> None:
    """Put the LDAP part of ``portal_settings(env)`` on pytest-django's ``settings``."""
    module = portal_settings(env)
    for name in dir(module):
        if name.startswith(("AUTH_LDAP_", "LDAP_")) or name == "AUTHENTICATION_BACKENDS":
            setattr(settings, name, getattr(module, name))


@pytest.fixture
def ldap_on(settings, ldap_directory) -> Directory:
    apply_portal_settings(settings, ldap_directory.env())
    return ldap_directory
