from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Phối hợp CCHC")

    def ready(self) -> None:
        from coordination import access  # noqa: F401  (registers the visibility rules)
