from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, **kwargs) -> None:
    from agencies.roles import ensure_roles

    ensure_roles()


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Cơ quan và người dùng")

    def ready(self) -> None:
        # Role groups and their model permissions are reference data: (re)created
        # idempotently after every migrate, once all apps' permissions exist.
        post_migrate.connect(_ensure_roles, dispatch_uid="agencies.ensure_roles")
