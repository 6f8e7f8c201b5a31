from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.backup import BackupError, BackupReport, backup_check, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: REPLACES the whole database and "
        "MEDIA_ROOT with the archive's contents. The whole archive is checked first; a "
        "refused archive changes nothing. Stop the portal first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz file written by `manage.py backup`.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )
        parser.add_argument(
            "--check", action="store_true", help="Only check the archive; change nothing."
        )

    def handle(self, *args, archive, yes=False, check=False, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        try:
            # Checked before the question, so the operator is only asked about a sound
            # archive; backup_restore checks again what it actually swaps in.
            report = backup_check(archive=path)
            if check:
                self.stdout.write(f"The backup of {report.manifest['created_at']} is sound.")
                self._migrate_hint(report)
                return
            if not yes and options.get("interactive", True):
                answer = input("This replaces the database and all uploaded files. Type 'yes': ")
                if answer.strip().lower() != "yes":
                    raise CommandError("Restore cancelled.")
            report = backup_restore(archive=path)
        except (BackupError, OSError) as exc:
            raise CommandError(f"Restore refused: {exc}") from exc
        self.stdout.write(f"Restored the backup of {report.manifest['created_at']}.")
        self._migrate_hint(report)
        if report.previous_database:
            name = report.previous_database
            self.stdout.write(
                f"The previous database is kept as {name}: drop it (dropdb {name}) once the "
                "restored data is checked."
            )

    def _migrate_hint(self, report: BackupReport) -> None:
        if report.pending_migrations:
            pending = report.pending_migrations
            names = ", ".join(pending[:3]) + (", …" if len(pending) > 3 else "")
            self.stdout.write(
                f"The backup predates {len(pending)} migration(s) of this code ({names}): "
                "run `manage.py migrate` now."
            )
