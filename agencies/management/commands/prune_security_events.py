from django.conf import settings
from django.core.management.base import BaseCommand

from agencies.security import security_events_prune


class Command(BaseCommand):
    help = (
        "Delete security events older than the retention period "
        "(SECURITY_EVENT_RETENTION_DAYS, default 365 days). Safe to run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of SECURITY_EVENT_RETENTION_DAYS.",
        )

    def handle(self, *args, days=None, **options):
        keep = settings.SECURITY_EVENT_RETENTION_DAYS if days is None else days
        deleted = security_events_prune(days=keep)
        self.stdout.write(f"Deleted {deleted} security event(s) older than {keep} days.")
