from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feeds"
    verbose_name = _("Lịch công việc (iCal)")

    def ready(self) -> None:
        from feeds import access  # noqa: F401  (registers the visibility rule)
