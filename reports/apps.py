from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Báo cáo CCHC")

    def ready(self) -> None:
        from reports import (
            access,  # noqa: F401  (registers the visibility rules)
            computed,  # noqa: F401  (registers reports_on_time for scoring)
            issuing,
        )
        from scoring.signals import period_published

        # Publishing a period issues its results (in the publishing transaction).
        period_published.connect(issuing.on_period_published, dispatch_uid="reports.results")
