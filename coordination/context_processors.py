from coordination.models import Notification


def notifications(request) -> dict:
    """The unread count beside the bell in the menu (one query per page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread = Notification.objects.visible_to(user).filter(read_at__isnull=True).count()
    return {"unread_notifications": unread}
