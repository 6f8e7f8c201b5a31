from agencies import fragments
from coordination.models import Notification

# Tracked apart from the rest of coordination's data (settings.FRAGMENT_TABLES_APART):
# reminders and readers write it often, and it moves only the bell.
NOTIFICATIONS = Notification._meta.db_table


def notifications(request) -> dict:
    """The unread count beside the bell in the menu: counted once, then kept per user until
    a notification is written (anyone's: reminders sent, one marked read), read with the
    page's cached parts (issue 14: a cache read instead of a query on every page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()

    unread = fragments.kept(
        request, "unread", apps_read=(), tables_read=(NOTIFICATIONS,), build=count
    )
    return {"unread_notifications": unread}
