"""Backup and restore of the database and the uploaded files (MEDIA_ROOT).

A backup is one ``.tar.gz`` holding ``manifest.json``, the database (``database.sqlite3``
made with SQLite's online backup API, or ``database.dump`` from ``pg_dump --format=custom``)
and ``media/`` with every uploaded file.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT_VERSION = 1


class BackupError(Exception):
    pass


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Unsupported database: {vendor}")
    return vendor


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    for key, var in [
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ]:
        if db.get(key):
            env[var] = str(db[key])
    return env


def _dump_database(engine: str, target: Path) -> str:
    if engine == "sqlite":
        connection.ensure_connection()
        out = sqlite3.connect(target)
        try:
            connection.connection.backup(out)
        finally:
            out.close()
        return target.name
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)],
        env=_pg_env(),
        check=True,
    )
    return target.name


def backup_create(*, output: Path) -> Path:
    """Write a backup archive to ``output`` (a file, or a directory for a dated name)."""
    engine = _engine()
    if output.is_dir():
        output = output / f"cchc-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        db_file = Path(tmp) / ("database.sqlite3" if engine == "sqlite" else "database.dump")
        _dump_database(engine, db_file)
        manifest = {
            "format": FORMAT_VERSION,
            "engine": engine,
            "created_at": timezone.now().isoformat(),
            "database": db_file.name,
        }
        (Path(tmp) / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = output.with_name(output.name + ".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / "manifest.json", arcname="manifest.json")
            tar.add(db_file, arcname=db_file.name)
            if media_root.exists():
                tar.add(media_root, arcname="media")
        partial.replace(output)  # a backup is never half-written under its final name
    return output


def _extract(archive: Path, into: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(into, filter="data")  # refuses absolute paths, links out, devices
    manifest = json.loads((into / "manifest.json").read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError("Unknown backup format.")
    return manifest


def _restore_database(engine: str, db_file: Path) -> None:
    if engine == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(db_file)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    connection.close()
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--dbname",
            _pg_env()["PGDATABASE"],
            str(db_file),
        ],
        env=_pg_env(),
        check=True,
    )


def backup_restore(*, archive: Path) -> dict:
    """Replace the database and MEDIA_ROOT with the contents of a backup archive."""
    engine = _engine()
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = _extract(archive, Path(tmp))
        if manifest["engine"] != engine:
            raise BackupError(
                f"The backup is of a {manifest['engine']} database; this portal uses {engine}."
            )
        _restore_database(engine, Path(tmp) / manifest["database"])
        restored_media = Path(tmp) / "media"
        if restored_media.exists():
            if media_root.exists():
                shutil.rmtree(media_root)
            shutil.copytree(restored_media, media_root)
    return manifest
