"""Backup and restore of the database and the uploaded files (MEDIA_ROOT).

A backup is one ``.tar.gz`` holding ``manifest.json``, the database (``database.sqlite3``
made with SQLite's online backup API, or ``database.dump`` from ``pg_dump --format=custom``)
and ``media/`` with every uploaded file.

Restore never wipes data on a bad archive: it checks the whole archive first (paths, member
types, manifest, the database file itself, migrations), builds the new database and media
beside the current ones, and swaps them in only when all is well. Refused, it raises
``BackupError`` and the current database and files are byte for byte as they were.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MANIFEST_KEYS = ("format", "engine", "created_at", "database")
MAX_MANIFEST_BYTES = 1 << 20
PG_ENV = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
PG_ENV["NAME"] = "PGDATABASE"
PG_MAINTENANCE_DB = "postgres"  # where databases are created and renamed from
# Reading a damaged archive raises these (besides OSError, e.g. gzip.BadGzipFile).
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, zlib.error)


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupReport:
    """What a checked or restored archive held."""

    manifest: dict
    # Migrations of this code the backup predates (run `migrate`); None: not known yet.
    pending_migrations: list[str] | None
    # PostgreSQL: the replaced database, kept under this name.
    previous_database: str | None = None


@dataclass(frozen=True)
class _Contents:
    manifest: dict
    database: tarfile.TarInfo
    media: list[tarfile.TarInfo]

    @property
    def media_size(self) -> int:
        return sum(member.size for member in self.media)


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Unsupported database: {vendor}")
    return vendor


def _pg_env() -> dict[str, str]:
    db, names = connection.settings_dict, ("HOST", "PORT", "USER", "PASSWORD", "NAME")
    return {**os.environ, **{PG_ENV[key]: str(db[key]) for key in names if db.get(key)}}


def _run(command: list[str], what: str) -> str:
    """Runs a PostgreSQL client program; its error output becomes the BackupError."""
    try:
        result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (needed to {what}).") from exc
    if result.returncode != 0:
        raise BackupError(f"Could not {what}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _dump_database(engine: str, target: Path) -> str:
    if engine == "sqlite":
        if connection.in_atomic_block:  # the online backup would wait for it forever
            raise BackupError("A backup cannot be made inside a database transaction.")
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as out:
            connection.connection.backup(out)
        return target.name
    dump = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
    _run(dump, "dump the database")
    return target.name


def _only_files_and_folders(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Restore accepts only regular files and folders: a backup never holds anything else."""
    if not (info.isreg() or info.isdir()):
        raise BackupError(f"MEDIA_ROOT holds {info.name!r}, a link or special file: remove it.")
    return info


def backup_create(*, output: Path) -> Path:
    """Write a backup archive to ``output`` (a file, or a directory for a dated name)."""
    engine = _engine()
    if output.is_dir():
        output = output / f"cchc-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        db_file = Path(tmp) / DATABASE_FILES[engine]
        _dump_database(engine, db_file)
        applied = MigrationRecorder(connection).applied_migrations()
        manifest = {
            "format": FORMAT_VERSION,
            "engine": engine,
            "created_at": timezone.now().isoformat(),
            "database": db_file.name,
            "migrations": sorted([app, name] for app, name in applied),
        }
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = output.with_name(output.name + ".part")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(Path(tmp) / MANIFEST, arcname=MANIFEST)
                tar.add(db_file, arcname=db_file.name)
                if media_root.exists():
                    tar.add(media_root, arcname=MEDIA, filter=_only_files_and_folders)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)  # a backup is never half-written under its final name
    return output


@contextmanager
def _open(archive: Path) -> Iterator[tarfile.TarFile]:
    """The archive read as gzip; an error reading it on the way becomes a BackupError."""
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (closed below)
    except (*ARCHIVE_ERRORS, OSError) as exc:
        raise BackupError(f"{archive} is not a backup archive (a .tar.gz file): {exc}") from exc
    with tar:
        try:
            yield tar
        except ARCHIVE_ERRORS as exc:
            raise BackupError(f"The archive is damaged: {exc}") from exc


def _check_member(member: tarfile.TarInfo) -> None:
    name = member.name
    if name.startswith("/") or "\\" in name or {"", ".", ".."} & set(name.split("/")):
        raise BackupError(f"Unsafe path in the archive: {name!r} (absolute, '..' or not plain).")
    if member.issym() or member.islnk():
        raise BackupError(
            f"The archive holds a link, {name!r} -> {member.linkname!r}: "
            "a backup holds only files and folders."
        )
    if not (member.isreg() or member.isdir()):
        raise BackupError(f"The archive holds a device or pipe, {name!r}: not a backup.")


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    try:
        members = tar.getmembers()
    except (*ARCHIVE_ERRORS, OSError) as exc:
        raise BackupError(f"The archive is damaged: {exc}") from exc
    by_name: dict[str, tarfile.TarInfo] = {}
    for member in members:
        _check_member(member)
        if member.name in by_name:
            raise BackupError(f"The archive holds {member.name!r} twice.")
        by_name[member.name] = member
    return by_name


def _read_manifest(tar: tarfile.TarFile, member: tarfile.TarInfo | None) -> dict:
    if member is None or not member.isreg():
        raise BackupError(
            "The archive has no manifest.json: it was not written by `manage.py backup`."
        )
    if member.size > MAX_MANIFEST_BYTES:
        raise BackupError("manifest.json is too large to be a backup manifest.")
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except ValueError as exc:
        raise BackupError(f"manifest.json is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise BackupError("manifest.json is not a backup manifest (not a JSON object).")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise BackupError(f"manifest.json lacks {', '.join(missing)}: not a backup manifest.")
    return manifest


def _check_manifest(manifest: dict, engine: str) -> None:
    version = manifest["format"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise BackupError(
            f"Unknown backup format version {version!r}: this portal reads version "
            f"{FORMAT_VERSION}."
        )
    if manifest["engine"] != engine:
        theirs = ENGINE_NAMES.get(str(manifest["engine"]), repr(manifest["engine"]))
        raise BackupError(
            f"The backup is of a {theirs} database; this portal uses {ENGINE_NAMES[engine]}: "
            "restore into the same engine."
        )
    if manifest["database"] != DATABASE_FILES[engine]:
        raise BackupError(
            f"manifest.json names the database file {manifest['database']!r}; a backup holds "
            f"it as {DATABASE_FILES[engine]!r} at the top of the archive."
        )
    _manifest_migrations(manifest)


def _manifest_migrations(manifest: dict) -> set[tuple[str, str]]:
    """The applied migrations recorded at backup time (older archives have none)."""
    listed = manifest.get("migrations", [])
    if not isinstance(listed, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        for pair in listed
    ):
        raise BackupError("manifest.json has a malformed list of migrations.")
    return {(app, name) for app, name in listed}


def _contents(tar: tarfile.TarFile, engine: str) -> _Contents:
    """The archive's layout: manifest.json, the database file and media/, nothing else."""
    by_name = _members(tar)
    manifest = _read_manifest(tar, by_name.get(MANIFEST))
    _check_manifest(manifest, engine)
    database_name = manifest["database"]
    for name, member in by_name.items():
        if name == MEDIA and not member.isdir():
            raise BackupError("In the archive, media is not a folder.")
        if name not in (MANIFEST, database_name) and name.split("/")[0] != MEDIA:
            raise BackupError(
                f"Unexpected entry in the archive: {name!r} (a backup holds only "
                f"{MANIFEST}, {database_name} and {MEDIA}/)."
            )
    database = by_name.get(database_name)
    if database is None or not database.isreg():
        raise BackupError(
            f"The archive has no database file ({database_name}): restoring it would empty "
            "the database."
        )
    media = [m for name, m in by_name.items() if name.split("/")[0] == MEDIA]
    return _Contents(manifest, database, media)


def _check_space(needs: list[tuple[Path, int]]) -> None:
    """Refuses an archive whose declared sizes exceed the free space where they unpack."""
    totals: dict[int, tuple[Path, int]] = {}
    for directory, size in needs:
        while not directory.exists():
            directory = directory.parent
        device = directory.stat().st_dev
        totals[device] = (directory, totals.get(device, (directory, 0))[1] + size)
    for directory, total in totals.values():
        free = shutil.disk_usage(directory).free
        if total > free:
            raise BackupError(
                f"The archive unpacks to {total} bytes in {directory}, which has only "
                f"{free} bytes free."
            )


def _extract_to(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    with tar.extractfile(member) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())


@functools.cache
def _migration_loader() -> MigrationLoader:
    """This code's migrations, read from disk (no database)."""
    return MigrationLoader(None, ignore_no_migrations=True)


def _migrations_pending(applied: set[tuple[str, str]]) -> list[str]:
    """Migrations of this code the backup has not applied; refuses a newer backup."""
    loader = _migration_loader()
    installed = {key[0] for key in loader.disk_migrations}  # rows of removed apps: ignored
    unknown = sorted(k for k in applied - set(loader.disk_migrations) if k[0] in installed)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise BackupError(
            f"The backup comes from a newer version of the portal: this code lacks its "
            f"migrations {names}{more}. Deploy that version, then restore."
        )
    applied = applied | {
        key for key, m in loader.replacements.items() if set(m.replaces) <= applied
    }
    return sorted(f"{app}.{name}" for app, name in set(loader.graph.nodes) - applied)


def _sqlite_applied(path: Path) -> set[tuple[str, str]]:
    """Opens the archive's SQLite file read-only: sound, and a portal database."""
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as db:
            result = db.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise BackupError(f"The database in the archive is damaged: {result[0][0]}")
            tables = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            if not db.execute(tables, ["django_migrations"]).fetchone():
                raise BackupError("The database in the archive is not the portal's.")
            rows = db.execute("SELECT app, name FROM django_migrations").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"The database in the archive is damaged or not an SQLite database: {exc}."
        ) from exc
    return {(str(app), str(name)) for app, name in rows}


def _pg_check_dump(path: Path) -> None:
    listing = _run(["pg_restore", "--list", str(path)], "read the database dump in the archive")
    if not re.search(r"TABLE DATA \S+ django_migrations ", listing):
        raise BackupError("The database dump in the archive is not the portal's.")


def _check_database_file(engine: str, path: Path, manifest: dict) -> list[str] | None:
    """Checks the extracted database file; returns the migrations it predates (if known)."""
    listed = _manifest_migrations(manifest)
    _migrations_pending(listed)
    if engine == "sqlite":
        return _migrations_pending(_sqlite_applied(path))
    _pg_check_dump(path)
    return _migrations_pending(listed) if "migrations" in manifest else None


def backup_check(*, archive: Path) -> BackupReport:
    """Check an archive as restore does, changing nothing (``restore --check``).

    On PostgreSQL the migrations are read from the manifest here; restore also reads them
    from the restored copy before swapping it in."""
    engine = _engine()
    with _open(archive) as tar, tempfile.TemporaryDirectory() as tmp:
        contents = _contents(tar, engine)
        _check_space([(Path(tmp), contents.database.size)])
        database = Path(tmp) / contents.database.name
        _extract_to(tar, contents.database, database)
        pending = _check_database_file(engine, database, contents.manifest)
    return BackupReport(contents.manifest, pending)


def _media_root() -> Path:
    root = Path(settings.MEDIA_ROOT).absolute()
    if root.is_symlink() or (root.exists() and (os.path.ismount(root) or not root.is_dir())):
        raise BackupError(
            f"MEDIA_ROOT ({root}) is not a plain folder (a link, mount point or file): restore "
            "swaps the folder by renaming it."
        )
    return root


@contextmanager
def _media_staging(root: Path) -> Iterator[Path]:
    """A folder beside MEDIA_ROOT (same file system, so the swap is a rename)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.restore-", dir=root.parent))
    try:
        yield staging
    finally:
        if not (staging / "previous").exists():  # else a failed roll back: keep the files
            shutil.rmtree(staging, ignore_errors=True)


def _unpack_media(tar: tarfile.TarFile, media: list[tarfile.TarInfo], staging: Path) -> None:
    """media/ into ``staging`` in the archive's order, each file written as the database file
    is: no mode, owner or link from the archive (members checked by ``_check_member``; not
    ``extractall``, whose data filter Python has only from 3.11.4); mtimes kept."""
    (staging / MEDIA).mkdir(exist_ok=True)
    for member in media:
        target = staging.joinpath(*member.name.split("/"))
        (target if member.isdir() else target.parent).mkdir(parents=True, exist_ok=True)
        if member.isreg():
            _extract_to(tar, member, target)
            os.utime(target, (member.mtime, member.mtime))


@contextmanager
def _media_swapped(root: Path, staging: Path) -> Iterator[None]:
    """MEDIA_ROOT becomes staging/media; the previous folder waits in staging/previous, goes
    back in place if the database swap fails, and is deleted once it succeeded."""
    new, previous = staging / MEDIA, staging / "previous"
    had_media = root.exists()
    if had_media:
        root.rename(previous)
    try:
        new.rename(root)
    except BaseException:
        if had_media:
            previous.rename(root)
        raise
    try:
        yield
    except BaseException:
        try:
            root.rename(new)
            if had_media:
                previous.rename(root)
        except OSError as exc:
            raise BackupError(
                f"The restore failed and MEDIA_ROOT could not be put back ({exc}): the "
                f"previous files are in {previous}."
            ) from exc
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_live() -> Path:
    if connection.is_in_memory_db():
        raise BackupError("The portal's SQLite database is in memory: there is no file to swap.")
    return Path(connection.settings_dict["NAME"]).absolute()


def _sqlite_checkpoint(live: Path) -> None:
    """Writes the live file's WAL back into it, so no stale WAL is replayed onto the
    restored file; refuses while another process is writing."""
    try:
        with closing(sqlite3.connect(live, timeout=5)) as db:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise BackupError(f"The database is in use ({exc}): stop the portal first.") from exc
    except sqlite3.DatabaseError:
        return  # a damaged live database: nothing of it to keep
    if busy:
        raise BackupError("The database is in use: stop the portal first.")


def _sqlite_swap(staged: Path, live: Path) -> None:
    connection.close()
    if live.exists():
        _sqlite_checkpoint(live)
        shutil.copymode(live, staged)
    os.replace(staged, live)  # atomic: the old file or the new one, never half of each
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    _fsync_directory(live.parent)


def _restore_sqlite(tar: tarfile.TarFile, contents: _Contents) -> BackupReport:
    live, media_root = _sqlite_live(), _media_root()
    _check_space([(live.parent, contents.database.size), (media_root, contents.media_size)])
    live.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{live.name}.restore-", dir=live.parent)
    os.close(fd)
    staged = Path(name)
    try:
        _extract_to(tar, contents.database, staged)
        pending = _check_database_file("sqlite", staged, contents.manifest)
        with _media_staging(media_root) as staging:
            _unpack_media(tar, contents.media, staging)
            with _media_swapped(media_root, staging):
                _sqlite_swap(staged, live)
    finally:
        staged.unlink(missing_ok=True)
    return BackupReport(contents.manifest, pending)


def _pg_name(live: str, suffix: str) -> str:
    return live[: 63 - len(suffix)] + suffix  # PostgreSQL truncates names past 63


def _pg_connect(dbname: str):
    params = {**connection.get_connection_params(), "dbname": dbname}
    return connection.Database.connect(**params, autocommit=True)


def _pg_create(scratch: str, *, like: str) -> None:
    """An empty database with the live one's encoding and locale."""
    sql = connection.Database.sql
    with _pg_connect(PG_MAINTENANCE_DB) as admin:
        locale = admin.execute(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = %s",
            [like],
        ).fetchone()
        query = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch))
        if locale:
            query += sql.SQL(" ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                *map(sql.Literal, locale)
            )
        admin.execute(query)


def _pg_drop(name: str) -> None:
    """Drops the scratch database after a failure, the error reported (not one of its own)."""
    sql = connection.Database.sql
    query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with suppress(connection.Database.Error), _pg_connect(PG_MAINTENANCE_DB) as admin:
        admin.execute(query)


def _pg_applied(scratch: str) -> set[tuple[str, str]]:
    with _pg_connect(scratch) as db:
        rows = db.execute("SELECT app, name FROM django_migrations").fetchall()
    return {(app, name) for app, name in rows}


def _pg_swap(live: str, scratch: str, previous: str) -> None:
    """Renames live -> previous and scratch -> live in one transaction, after closing this
    process's connections and ending everyone else's."""
    sql, errors = connection.Database.sql, connection.Database.errors
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    rename = sql.SQL("ALTER DATABASE {} RENAME TO {}")
    with _pg_connect(PG_MAINTENANCE_DB) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [live]).fetchone()
        for attempt in range(3):
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                [[live, scratch]],
            )
            try:
                with admin.transaction():
                    if exists:
                        admin.execute(rename.format(sql.Identifier(live), sql.Identifier(previous)))
                    admin.execute(rename.format(sql.Identifier(scratch), sql.Identifier(live)))
                return
            except errors.ObjectInUse as exc:
                if attempt == 2:
                    raise BackupError(f"The database is in use ({exc}): stop the portal.") from exc
                time.sleep(1)


def _restore_postgresql(tar: tarfile.TarFile, contents: _Contents) -> BackupReport:
    """Restores into a new scratch database, checks it, then swaps it in by renaming; on any
    failure the scratch database is dropped and the live one is left alone."""
    media_root, live = _media_root(), connection.settings_dict["NAME"]
    stamp = f"{timezone.now():%Y%m%d%H%M%S}"
    scratch = _pg_name(live, f"_restore_{stamp}")
    previous = _pg_name(live, f"_before_restore_{stamp}")
    with tempfile.TemporaryDirectory() as tmp:
        _check_space([(Path(tmp), contents.database.size), (media_root, contents.media_size)])
        dump = Path(tmp) / contents.database.name
        _extract_to(tar, contents.database, dump)
        _check_database_file("postgresql", dump, contents.manifest)
        try:
            _pg_create(scratch, like=live)
        except connection.Database.Error as exc:
            raise BackupError(f"Could not create the database {scratch}: {exc}") from exc
        try:
            restore = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction"]
            _run([*restore, "--dbname", scratch, str(dump)], "restore the database dump")
            pending = _migrations_pending(_pg_applied(scratch))
            with _media_staging(media_root) as staging:
                _unpack_media(tar, contents.media, staging)
                with _media_swapped(media_root, staging):
                    _pg_swap(live, scratch, previous)
        except connection.Database.Error as exc:
            _pg_drop(scratch)
            raise BackupError(f"PostgreSQL refused the restore: {exc}") from exc
        except BaseException:
            _pg_drop(scratch)
            raise
    return BackupReport(contents.manifest, pending, previous)


def backup_restore(*, archive: Path) -> BackupReport:
    """Replace the database and MEDIA_ROOT with a backup archive's, or change nothing.

    Every check of ``backup_check`` runs before anything is touched; the new database and
    media are built beside the current ones and swapped in last."""
    engine = _engine()
    with _open(archive) as tar:
        contents = _contents(tar, engine)
        if engine == "sqlite":
            return _restore_sqlite(tar, contents)
        return _restore_postgresql(tar, contents)
