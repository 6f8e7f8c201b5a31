from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Chấm điểm Chỉ số CCHC")

    def ready(self) -> None:
        from scoring import access  # noqa: F401  (registers the visibility rules)
