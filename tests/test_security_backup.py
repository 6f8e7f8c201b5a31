"""`manage.py backup` / `manage.py restore`: a backup restored into an empty database
finds every record, history row, permission grant and file."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from coordination import services
from coordination.models import Attachment, Task
from tests.coordination_factories import make_task

PDF = b"%PDF-1.4\n%backup test\n"


def counts() -> dict[str, int]:
    """Rows of every table the project knows (records, history, grants, sessions, …)."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.mark.django_db(transaction=True)
def test_backup_restored_into_an_empty_database_finds_everything(noivu, contrib_focal, tmp_path):
    task = make_task(actor=noivu, contributors=("STC",))
    services.attachment_add(
        actor=noivu, task=task, upload=SimpleUploadedFile("du-thao.pdf", PDF, "application/pdf")
    )
    services.contribution_save(
        actor=contrib_focal, task=task, form="comment", body="Ý kiến", submit=True
    )
    before = counts()
    assert before["coordination.HistoricalTask"] > 0
    assert sum(n for label, n in before.items() if "ObjectPermission" in label) > 0
    files = {a.file.name: a.file.read() for a in Attachment.objects.all()}

    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    assert archive.exists()

    # An empty database and an empty media folder.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(django_settings.MEDIA_ROOT)
    assert Task.objects.count() == 0

    call_command("restore", str(archive), yes=True, stdout=io.StringIO())
    connection.close()
    assert counts() == before
    for name, content in files.items():
        assert (Path(django_settings.MEDIA_ROOT) / name).read_bytes() == content
    assert Task.objects.get(pk=task.pk).title == task.title


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

    subprocess.run(["dropdb", *pg, "--if-exists", db], check=True)
    subprocess.run(["createdb", *pg, db], check=True)
    try:
        manage("migrate", "--noinput", "-v0")
        count = "from agencies.models import Agency; print(Agency.objects.count())"
        agencies = manage("shell", "-c", count).strip()
        manage("backup", "--output", str(tmp_path / "pg.tar.gz"))
        subprocess.run(["dropdb", *pg, db], check=True)
        subprocess.run(["createdb", *pg, db], check=True)
        manage("restore", str(tmp_path / "pg.tar.gz"), "--yes")
        assert manage("shell", "-c", count).strip() == agencies != "0"
    finally:
        subprocess.run(["dropdb", *pg, "--if-exists", db], check=False)
