"""`manage.py backup` / `manage.py restore`: a backup restored into an empty database
finds every record, history row, permission grant and file; restored over a live one, the
database file and MEDIA_ROOT are swapped in whole. Bad archives: test_security_restore.py."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command

PDF = b"%PDF-1.4\n%backup test\n"


def counts() -> dict[str, int]:
    """Rows of every table the project knows (records, history, grants, sessions, …)."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


COUNT_SNIPPET = """
import json, os, django
from pathlib import Path
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phuyen_cchc.settings")
django.setup()
from django.apps import apps
from django.conf import settings
models = apps.get_models(include_auto_created=True)
counts = {m._meta.label: m._base_manager.count() for m in models}
root = Path(settings.MEDIA_ROOT)
files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
print(json.dumps({"counts": counts, "files": files}))
"""


def test_backup_restored_into_an_empty_database_finds_everything(tmp_path):
    """Round trip on its own SQLite file in a child process (the test database is left alone)."""
    import json

    base = django_settings.BASE_DIR
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "SQLITE_PATH": str(tmp_path / "portal.sqlite3"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DEBUG": "1",
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=base, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("manage.py", "migrate", "-v0")
    run("manage.py", "seed_demo")
    before = json.loads(run("-c", COUNT_SNIPPET))
    assert before["counts"]["coordination.HistoricalTask"] > 0
    assert before["counts"]["coordination.TaskGroupObjectPermission"] > 0
    assert before["files"]
    archive = tmp_path / "backup.tar.gz"
    run("manage.py", "backup", "--output", str(archive))

    # An empty database (no tables at all) and no media folder.
    (tmp_path / "portal.sqlite3").unlink()
    shutil.rmtree(tmp_path / "media")
    run("manage.py", "restore", str(archive), "--yes")
    after = json.loads(run("-c", COUNT_SNIPPET))
    assert after == before

    # Over a live database that has moved on: the file and the folder are swapped, not merged.
    live = tmp_path / "portal.sqlite3"
    history = apps.get_model("coordination", "HistoricalTask")._meta.db_table
    with closing(sqlite3.connect(live)) as db:
        db.execute(f"DELETE FROM {history}")
        db.commit()
    (tmp_path / "media" / "stray.pdf").write_bytes(PDF)
    inode = live.stat().st_ino
    assert "Restored the backup" in run("manage.py", "restore", str(archive), "--yes")
    assert json.loads(run("-c", COUNT_SNIPPET)) == before
    assert live.stat().st_ino != inode  # the checked copy was renamed over the live file
    # Nothing left beside them: no staged database, no staged or previous media folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.tar.gz", "media", live.name]


@pytest.mark.django_db
def test_restore_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "none.tar.gz"), yes=True)


def _postgres_available() -> bool:
    if not shutil.which("pg_dump") or not shutil.which("psql"):
        return False
    probe = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "select 1"],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not os.environ.get("TEST_POSTGRES_BACKUP") or not _postgres_available(),
    reason="PostgreSQL round trip: set TEST_POSTGRES_BACKUP=1 with PostgreSQL at 127.0.0.1",
)
def test_postgresql_backup_round_trip(tmp_path):
    db = "cchc_backup_test"
    base = django_settings.BASE_DIR
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DEBUG": "1",
    }

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=base,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def databases(pattern: str) -> list[str]:
        query = f"SELECT datname FROM pg_database WHERE datname LIKE '{pattern}'"
        listed = subprocess.run(
            ["psql", *pg, "-tAc", query], check=True, capture_output=True, text=True
        )
        return listed.stdout.split()

    subprocess.run(["dropdb", *pg, "--if-exists", db], check=True)
    subprocess.run(["createdb", *pg, db], check=True)
    try:
        manage("migrate", "--noinput", "-v0")
        count = "from agencies.models import Agency; print(Agency.objects.count())"
        agencies = manage("shell", "-c", count).strip()
        manage("backup", "--output", str(tmp_path / "pg.tar.gz"))
        subprocess.run(["dropdb", *pg, db], check=True)
        subprocess.run(["createdb", *pg, db], check=True)
        out = manage("restore", str(tmp_path / "pg.tar.gz"), "--yes")
        assert manage("shell", "-c", count).strip() == agencies != "0"
        # Restored into a scratch database renamed in; the emptied one is kept, named.
        (previous,) = databases(f"{db}_before_restore_%")
        assert previous in out
        assert databases(f"{db}_restore_%") == []
    finally:
        for name in [db, *databases(f"{db}_%")]:
            subprocess.run(["dropdb", *pg, "--if-exists", name], check=False)
