from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReorgConfig(AppConfig):
    name = "reorg"
    verbose_name = _("Sắp xếp cơ quan, đơn vị")

    def ready(self) -> None:
        from reorg import access  # noqa: F401  (registers the visibility rule)
