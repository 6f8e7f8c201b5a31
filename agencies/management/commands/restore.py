from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agencies.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: REPLACES the whole database and "
        "MEDIA_ROOT with the archive's contents. Stop the portal first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz file written by `manage.py backup`.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )

    def handle(self, *args, archive, yes=False, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"No such backup file: {path}")
        if not yes and options.get("interactive", True):
            answer = input("This replaces the database and all uploaded files. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            manifest = backup_restore(archive=path)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the backup of {manifest['created_at']}.")
