"""`manage.py restore` cannot wipe data (issue 12): a bad archive is refused before anything
is touched, with a clear message, and the current database and uploaded files stay byte for
byte as they were. One test per bad archive, in process on the suite's database (SQLite or
PostgreSQL), and again in a child process on a real SQLite file."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from agencies.backup import DATABASE_FILES, backup_create

FUTURE = ["agencies", "9999_from_a_newer_version"]
PDF = b"%PDF-1.4\n%restore test\n"


class Archive:
    """A backup archive's entries, to be spoiled and written again."""

    def __init__(self, path: Path):
        with tarfile.open(path, "r:gz") as tar:
            self.entries = [
                (m, tar.extractfile(m).read() if m.isreg() else None) for m in tar.getmembers()
            ]
        self.engine = json.loads(self.read("manifest.json"))["engine"]
        self.database = DATABASE_FILES[self.engine]
        self.mode, self.truncated = "w:gz", False

    def read(self, name: str) -> bytes:
        return next(data for info, data in self.entries if info.name == name)

    def replace(self, name: str, data: bytes) -> None:
        self.entries = [(i, data if i.name == name else d) for i, d in self.entries]

    def rename(self, name: str, new: str) -> None:
        for info, _ in self.entries:
            if info.name == name:
                info.name = new

    def remove(self, name: str) -> None:
        self.entries = [(i, d) for i, d in self.entries if i.name != name]

    def add(self, name: str, data: bytes | None = None, kind=tarfile.REGTYPE, link="") -> None:
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.mode, info.mtime = kind, link, 0o644, time.time()
        self.entries.append((info, data))

    def manifest(self, *, without: tuple[str, ...] = (), **changes) -> None:
        manifest = {**json.loads(self.read("manifest.json")), **changes}
        kept = {key: value for key, value in manifest.items() if key not in without}
        self.replace("manifest.json", json.dumps(kept).encode())

    def write(self, path: Path) -> Path:
        with tarfile.open(path, self.mode) as tar:
            for info, data in self.entries:
                info = copy.copy(info)
                if data is not None:
                    info.size = len(data)
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
        if self.truncated:
            os.truncate(path, path.stat().st_size // 2)
        return path


def sqlite_changed(data: bytes, folder: Path, *statements: tuple[str, list]) -> bytes:
    """The SQLite file ``data`` after running ``statements`` on a copy of it."""
    path = folder / f"changed-{random.random()}.sqlite3"
    path.write_bytes(data)
    with closing(sqlite3.connect(path)) as db:
        for statement, params in statements:
            db.execute(statement, params)
        db.commit()
    return path.read_bytes()


FUTURE_ROW = (
    "INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, '2099-01-01')",
    FUTURE,
)


def _outside_database(a: Archive, folder: Path) -> None:
    """The attack that worked: the manifest points at a database file outside the archive."""
    outside = folder / f"outside-{a.database}"
    outside.write_bytes(a.read(a.database))
    a.manifest(database=str(outside))


def _wrong_engine(a: Archive, folder: Path) -> None:
    other = next(engine for engine in DATABASE_FILES if engine != a.engine)
    a.rename(a.database, DATABASE_FILES[other])
    a.manifest(engine=other, database=DATABASE_FILES[other])


def _newer_migrations(a: Archive, folder: Path) -> None:
    if a.engine == "sqlite":  # in the database itself; the manifest is left as it was
        a.replace(a.database, sqlite_changed(a.read(a.database), folder, FUTURE_ROW))
    else:  # in the manifest (the dump's own rows: test_postgresql_newer_dump_is_refused)
        a.manifest(migrations=[*json.loads(a.read("manifest.json"))["migrations"], FUTURE])


def _not_gzip(a: Archive, folder: Path) -> None:
    a.mode = "w"


def _truncated(a: Archive, folder: Path) -> None:
    a.truncated = True


# Each bad archive: how to spoil a good one, and what the refusal says.
BAD: dict[str, tuple[Callable[[Archive, Path], None], str]] = {
    "no_database_file": (lambda a, f: a.remove(a.database), r"no database file"),
    "database_path_outside": (_outside_database, r"names the database file '/"),
    "dotdot_member": (lambda a, f: a.add("media/../../escaped.txt", b"x"), r"Unsafe path"),
    "absolute_member": (lambda a, f: a.add("/tmp/escaped.txt", b"x"), r"Unsafe path"),
    "symlink_member": (
        lambda a, f: a.add("media/link.pdf", kind=tarfile.SYMTYPE, link=f"../{a.database}"),
        r"holds a link",
    ),
    "hardlink_member": (
        lambda a, f: a.add("media/hard.pdf", kind=tarfile.LNKTYPE, link="manifest.json"),
        r"holds a link",
    ),
    "fifo_member": (lambda a, f: a.add("media/pipe", kind=tarfile.FIFOTYPE), r"device or pipe"),
    "missing_manifest": (lambda a, f: a.remove("manifest.json"), r"no manifest\.json"),
    "bad_json_manifest": (
        lambda a, f: a.replace("manifest.json", b'{"format": 1,'),
        r"not valid JSON",
    ),
    "unknown_format_version": (lambda a, f: a.manifest(format=99), r"format version 99"),
    "wrong_engine": (_wrong_engine, r"restore into the same engine"),
    "corrupt_database": (
        lambda a, f: a.replace(a.database, random.Random(12).randbytes(64 * 1024)),
        r"damaged|not an SQLite|read the database dump",
    ),
    "newer_migrations": (_newer_migrations, r"newer version of the portal"),
    "unexpected_top_level_member": (lambda a, f: a.add("notes.txt", b"x"), r"Unexpected entry"),
    "not_gzip": (_not_gzip, r"not a backup archive"),
    "truncated_archive": (_truncated, r"archive is damaged"),
}


def spoiled(good: Path, case: str, folder: Path) -> Path:
    archive = Archive(good)
    BAD[case][0](archive, folder)
    return archive.write(folder / f"{case}.tar.gz")


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and folder under root, with a hash of each file's bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
    }


def pg(program: str, *args: str) -> str:
    """A PostgreSQL client program run as the suite's database user."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    where = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    command = [program, *where, "-U", str(db.get("USER") or "postgres"), *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def database_digest() -> str:
    """The whole content of the suite's database (schema and rows), hashed."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        lines = list(connection.connection.iterdump())
    else:  # newer pg_dump versions wrap the dump in \restrict <random key> lines
        dump = pg("pg_dump", "--no-owner", connection.settings_dict["NAME"]).splitlines()
        lines = [line for line in dump if not line.startswith(("\\restrict", "\\unrestrict"))]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@pytest.fixture
def portal(db, settings, tmp_path):
    """The current data: the suite's database and two uploaded files; returns a snapshot
    function of the database, MEDIA_ROOT and the folder around it."""
    media = Path(settings.MEDIA_ROOT)
    (media / "attachments").mkdir(parents=True)
    (media / "attachments" / "cong-van.pdf").write_bytes(PDF)
    (media / "ghi-chu.txt").write_text("Sở Tư pháp")
    return lambda: (database_digest(), tree_digest(media.parent))


@pytest.fixture(scope="module")
def good_backup(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """A backup of the suite's database, made outside any test transaction (SQLite's online
    backup cannot read a database inside one)."""
    folder = tmp_path_factory.mktemp("good-backup")
    (folder / "media" / "attachments").mkdir(parents=True)
    (folder / "media" / "attachments" / "cong-van.pdf").write_bytes(PDF)
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=folder / "media"):
        return backup_create(output=folder / "good.tar.gz")


@pytest.fixture
def good_archive(good_backup, portal, tmp_path) -> Path:
    (tmp_path / "archives").mkdir()
    return Path(shutil.copy(good_backup, tmp_path / "archives" / "good.tar.gz"))


@pytest.mark.parametrize("case", sorted(BAD))
def test_restore_refuses_a_bad_archive_and_changes_nothing(case, portal, good_archive):
    bad = spoiled(good_archive, case, good_archive.parent)
    before = portal()
    with pytest.raises(CommandError, match=BAD[case][1]):
        call_command("restore", str(bad), yes=True)
    assert portal() == before


def test_a_good_archive_passes_the_check(portal, good_archive):
    out = io.StringIO()
    call_command("restore", str(good_archive), check=True, stdout=out)
    assert "is sound" in out.getvalue()
    assert "migrate" not in out.getvalue()


def test_an_older_archive_passes_and_asks_for_migrate(portal, good_archive):
    archive = Archive(good_archive)
    manifest = json.loads(archive.read("manifest.json"))
    if archive.engine == "sqlite":
        last = "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)"
        older = sqlite_changed(archive.read(archive.database), good_archive.parent, (last, []))
        archive.replace(archive.database, older)
    archive.manifest(migrations=manifest["migrations"][:-1])
    out = io.StringIO()
    call_command(
        "restore", str(archive.write(good_archive.parent / "older.tar.gz")), check=True, stdout=out
    )
    assert "predates 1 migration(s)" in out.getvalue()
    assert "run `manage.py migrate`" in out.getvalue()


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL's scratch database; SQLite checks its file's rows in the tests above",
)
def test_postgresql_newer_dump_is_refused_after_the_scratch_restore(portal, good_archive):
    """Without a migrations list in the manifest, the restored scratch copy is checked;
    refused, it is dropped and the live database is left alone."""
    live, folder = connection.settings_dict["NAME"], good_archive.parent
    source = f"{live}_newer_source"
    archive = Archive(good_archive)
    (folder / "in.dump").write_bytes(archive.read(archive.database))
    pg("dropdb", "--if-exists", source)
    pg("createdb", source)
    try:
        pg("pg_restore", "--no-owner", "-d", source, str(folder / "in.dump"))
        insert = "INSERT INTO django_migrations (app, name, applied) VALUES (%r, %r, now())"
        pg("psql", "-d", source, "-v", "ON_ERROR_STOP=1", "-c", insert % tuple(FUTURE))
        pg("pg_dump", "--format=custom", "-f", str(folder / "out.dump"), source)
    finally:
        pg("dropdb", "--if-exists", source)
    archive.replace(archive.database, (folder / "out.dump").read_bytes())
    archive.manifest(without=("migrations",))
    bad = archive.write(folder / "newer-dump.tar.gz")
    before = portal()
    with pytest.raises(CommandError, match="newer version of the portal"):
        call_command("restore", str(bad), yes=True)
    assert portal() == before
    scratches = f"SELECT datname FROM pg_database WHERE datname LIKE '{live}_restore_%'"
    assert pg("psql", "-d", "postgres", "-tAc", scratches).strip() == ""


# The same bad archives against a real SQLite file, in a child process: the file, MEDIA_ROOT
# and everything beside them must keep every byte, through the command and the function.
CHILD = """
import hashlib, io, json, os, sys
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phuyen_cchc.settings")
django.setup()
from django.core.management import call_command
from agencies.backup import backup_restore

root = Path(os.environ["SQLITE_PATH"]).parent

def state():
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        for p in sorted(root.rglob("*"))
    }

results = {}
for case, path in json.loads(sys.argv[1]):
    before, outcome = state(), {}
    for way, run in [
        ("command", lambda: call_command("restore", path, yes=True, stdout=io.StringIO())),
        ("function", lambda: backup_restore(archive=Path(path))),
    ]:
        try:
            run()
            outcome[way] = "accepted"
        except Exception as exc:
            outcome[way] = f"{type(exc).__name__}: {exc}"
        after = state()
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        outcome[way + "_changed"] = sorted(changed)
    results[case] = outcome
print("RESULTS", json.dumps(results))
"""


@pytest.fixture(scope="module")
def refused_on_a_sqlite_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlite-portal")
    portal, archives = folder / "portal", folder / "archives"
    (portal / "media" / "attachments").mkdir(parents=True)
    (portal / "media" / "attachments" / "cong-van.pdf").write_bytes(PDF)
    archives.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "SQLITE_PATH": str(portal / "portal.sqlite3"),
        "MEDIA_ROOT": str(portal / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DEBUG": "1",
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("manage.py", "migrate", "-v0")
    run("manage.py", "backup", "--output", str(archives / "good.tar.gz"))
    cases = [[case, str(spoiled(archives / "good.tar.gz", case, archives))] for case in sorted(BAD)]
    output = run("-c", CHILD, json.dumps(cases))
    return json.loads(output[output.rindex("RESULTS ") + len("RESULTS ") :])


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_archive_leaves_a_sqlite_file_byte_for_byte(case, refused_on_a_sqlite_file):
    outcome = refused_on_a_sqlite_file[case]
    message = BAD[case][1]
    assert re.match(rf"CommandError: Restore refused: .*({message})", outcome["command"], re.S)
    assert re.match(rf"BackupError: .*({message})", outcome["function"], re.S)
    assert outcome["command_changed"] == outcome["function_changed"] == []


def test_media_unpack_writes_files_and_folders_only(tmp_path):
    """media/ is written file by file (no ``extractall``, whose data filter Debian 12's
    Python 3.11.2 lacks): nested folders made whatever the archive's order, the files'
    bytes and modification times kept, no mode bit taken from the archive."""
    from agencies.backup import _members, _unpack_media

    path = tmp_path / "media.tar"
    with tarfile.open(path, "w") as tar:
        for name, data, mode in [
            ("media/ho-so/2026/bao-cao.pdf", PDF, 0o4777),  # before its folders' entries
            ("media/ho-so", None, 0o777),
            ("media/trong", None, 0o755),
        ]:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime = mode, 1_700_000_000
            if data is None:
                info.type = tarfile.DIRTYPE
            else:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    staging = tmp_path / "staging"
    staging.mkdir()
    with tarfile.open(path) as tar:
        _unpack_media(tar, list(_members(tar).values()), staging)
    restored = staging / "media" / "ho-so" / "2026" / "bao-cao.pdf"
    assert restored.read_bytes() == PDF
    assert restored.stat().st_mtime == 1_700_000_000
    assert restored.stat().st_mode & 0o7111 == 0  # the archive's 4777: no setuid, no exec bit
    assert (staging / "media" / "trong").is_dir()
    assert tree_digest(staging) == {
        "media": "",
        "media/ho-so": "",
        "media/ho-so/2026": "",
        "media/ho-so/2026/bao-cao.pdf": hashlib.sha256(PDF).hexdigest(),
        "media/trong": "",
    }
