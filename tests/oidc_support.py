"""The test OpenID Connect provider (tests/oidc_provider/) as a pytest fixture, and a browser
for it.

`oidc_provider` (session-scoped) starts the provider once per test session as a separate
process, on a free local port and with its own SQLite file in a temporary directory (on
SQLite and PostgreSQL runs alike), waits until it listens and stops it at the end. Use it
with `pytest_plugins = ["tests.oidc_support"]` so that one process serves every module.

`ProviderBrowser` is the officer's browser on the provider's side: `requests` with its own
cookies, following the provider's redirects and filling in its sign-in form; the portal's
side is the Django test client. The `provider_browser` fixture makes new ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.oidc_provider import people

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60  # seconds; a few on a quiet machine


@dataclass(frozen=True)
class Provider:
    base_url: str

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    @property
    def discovery_url(self) -> str:
        return self.url("/o/.well-known/openid-configuration")


def _wait_for_port(process: subprocess.Popen, port_file: Path, log: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if port_file.exists():
            return int(port_file.read_text())
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"the test OpenID Connect provider did not start:\n{log.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[Provider]:
    workdir = tmp_path_factory.mktemp("oidc_provider")
    port_file, log = workdir / "port", workdir / "provider.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(workdir / "provider.sqlite3"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("DATABASE_URL", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", str(port_file)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    # A proxy from the environment must not stand between the portal, the browser and it.
    mp = pytest.MonkeyPatch()
    for name in ("NO_PROXY", "no_proxy"):
        mp.setenv(name, ",".join(filter(None, [os.environ.get(name), "127.0.0.1,localhost"])))
    try:
        port = _wait_for_port(process, port_file, log)
        yield Provider(f"http://127.0.0.1:{port}")
    finally:
        mp.undo()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class ProviderBrowser:
    """A browser's session at the provider."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.session = requests.Session()

    def authorize(self, url: str, username: str, password: str = people.PASSWORD) -> str:
        """Open the provider's authorization URL, sign in there if asked, and return the
        address the provider sends the browser back to (the portal's callback)."""
        for _step in range(6):
            response = self.session.get(url, allow_redirects=False, timeout=20)
            if response.status_code in (301, 302, 303):
                url = urljoin(url, response.headers["Location"])
                if not url.startswith(self.provider.base_url):
                    return url
            elif response.status_code == 200 and 'name="password"' in response.text:
                url = self._sign_in(url, response.text, username, password)
            else:
                raise AssertionError(f"the provider answered {response.status_code}: {url}")
        raise AssertionError("the provider kept redirecting")

    def _sign_in(self, url: str, page: str, username: str, password: str) -> str:
        form = {
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
            "username": username,
            "password": password,
        }
        response = self.session.post(url, data=form, allow_redirects=False, timeout=20)
        assert response.status_code == 302, f"the provider refused {username}'s password"
        return urljoin(url, response.headers["Location"])

    def follow(self, url: str) -> requests.Response:
        """Open a URL at the provider (e.g. its sign-out) without following redirects."""
        return self.session.get(url, allow_redirects=False, timeout=20)

    def signed_in_as(self) -> str | None:
        return self.session.get(self.provider.url("/whoami/"), timeout=20).json()["username"]


@pytest.fixture
def provider_browser(oidc_provider):
    """Makes a new browser (no cookies) at the running provider."""
    return lambda: ProviderBrowser(oidc_provider)
