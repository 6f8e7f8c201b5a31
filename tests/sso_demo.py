"""`make sso-demo`: the demo portal with the test LDAP directory and the test OpenID Connect
provider running beside it, so the sign-in routes of docs/sso.md can be tried by hand.

Starts slapd with tests/ldap/directory.ldif (tests/ldap_support.py) and the provider of
tests/oidc_provider/ (its users in people.py), prints who can sign in, then runs the demo
server (`manage.py run_demo`) with LDAP_* and OIDC_* pointing at them. Ctrl+C stops all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import ldap_support  # noqa: E402
from tests.oidc_provider import people  # noqa: E402


def start_provider(run: Path, portal: str) -> tuple[subprocess.Popen, int]:
    port_file = run / "provider.port"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DB": str(run / "provider.sqlite3"),
        "OIDC_TEST_PORTAL": portal,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port_file)], cwd=ROOT, env=env
    )
    for _ in range(200):
        if port_file.exists():
            return process, int(port_file.read_text())
        if process.poll() is not None:
            sys.exit("The test OpenID Connect provider did not start.")
        time.sleep(0.1)
    process.kill()
    sys.exit("The test OpenID Connect provider did not start within 20 s.")


def main(address: str) -> None:
    portal = f"http://{address}"
    run = Path(tempfile.mkdtemp(prefix="cchc-sso-demo-"))
    (run / "slapd").mkdir()
    directory = ldap_support.start_directory(run / "slapd")
    provider, port = start_provider(run, portal)
    env = {
        **os.environ,
        **directory.env(LDAP_CA_FILE=str(directory.ca_file)),
        "OIDC_ENABLED": "1",
        "OIDC_CREATE_USERS": "1",
        "OIDC_RP_CLIENT_ID": people.CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": people.CLIENT_SECRET,
        "OIDC_OP_DISCOVERY_URL": f"http://127.0.0.1:{port}/o",
    }
    print(f"Thư mục LDAP thử nghiệm: {directory.uri} (mật khẩu {ldap_support.DIRECTORY_PASSWORD})")
    print("  nguyenvanan — đầu mối Sở Tư pháp; tranthibich — đầu mối Sở Tài chính")
    print(
        f"Nhà cung cấp định danh thử nghiệm: http://127.0.0.1:{port}/o (mật khẩu {people.PASSWORD})"
    )
    print("  " + ", ".join(people.PEOPLE))
    try:
        subprocess.run([sys.executable, "manage.py", "run_demo", address], cwd=ROOT, env=env)
    except KeyboardInterrupt:
        pass
    finally:
        provider.terminate()
        directory.process.terminate()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000")
