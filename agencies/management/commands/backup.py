from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup, or pg_dump for PostgreSQL) and every "
        "uploaded file (MEDIA_ROOT) into one .tar.gz archive. Safe while the portal runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=".",
            help="Archive file to write, or a directory for a dated name (default: here).",
        )

    def handle(self, *args, output, **options):
        try:
            path = backup_create(output=Path(output))
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup written to {path}")
