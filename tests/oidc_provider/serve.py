"""Start the test OpenID Connect provider: create its tables in its own SQLite file, its
users and the portal's client from people.py, listen on a free local port and write that
port to the file named on the command line. Runs until terminated (tests/oidc_support.py)
or until the process that started it is gone.

    DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings OIDC_PROVIDER_DB=/tmp/p.sqlite3 \\
        python -m tests.oidc_provider.serve /tmp/port
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def create_tables() -> None:
    """The tables straight from the models into the fresh file: the dozens of migrations
    would take many seconds on a busy CI machine."""
    from django.apps import apps
    from django.db import connection

    with connection.schema_editor() as editor:
        for model in apps.get_models():
            editor.create_model(model)


def register() -> None:
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    from tests.oidc_provider import people

    for username in people.PEOPLE:
        User.objects.create_user(username, password=people.PASSWORD)
    Application.objects.create(
        name="Cổng điều phối CCHC (thử nghiệm)",
        client_id=people.CLIENT_ID,
        client_secret=people.CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=people.REDIRECT_URI,
        post_logout_redirect_uris=people.POST_LOGOUT_REDIRECT_URI,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def exit_with_parent() -> None:
    """Stop when the test run that started the provider is gone, however it ended."""
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(port_file: Path) -> None:
    exit_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    create_tables()
    register()
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    written = port_file.with_suffix(".tmp")
    written.write_text(str(server.server_address[1]))
    written.replace(port_file)  # whole or not at all: the fixture polls for it
    server.serve_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
