from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, **kwargs) -> None:
    from agencies.roles import ensure_roles

    ensure_roles()


def _ensure_cache_table(sender, using="default", **kwargs) -> None:
    """The database cache's table before the first migration runs: cachalot records every
    write of a migration in it (``agencies.fragments``). ``createcachetable`` is idempotent
    (``make migrate`` runs it again after)."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        call_command("createcachetable", database=using, verbosity=0)


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Cơ quan và người dùng")

    def ready(self) -> None:
        # Role groups and their model permissions are reference data: (re)created
        # idempotently after every migrate, once all apps' permissions exist.
        post_migrate.connect(_ensure_roles, dispatch_uid="agencies.ensure_roles")
        pre_migrate.connect(_ensure_cache_table, sender=self, dispatch_uid="agencies.cache")
        self._connect_security_signals()
        from agencies import visibility  # noqa: F401  (registers the visibility rules)

        self._connect_province_signals()

    def _connect_province_signals(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from agencies.lineage import forget_provinces, on_succession_changed
        from agencies.models import Province, Succession

        post_save.connect(forget_provinces, sender=Province, dispatch_uid="province.saved")
        post_delete.connect(forget_provinces, sender=Province, dispatch_uid="province.deleted")
        post_save.connect(on_succession_changed, sender=Succession, dispatch_uid="succ.saved")
        post_delete.connect(on_succession_changed, sender=Succession, dispatch_uid="succ.deleted")

    def _connect_security_signals(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save

        from agencies import fragments, signals
        from agencies.models import User

        user_logged_in.connect(signals.on_logged_in, dispatch_uid="agencies.logged_in")
        user_logged_out.connect(signals.on_logged_out, dispatch_uid="agencies.logged_out")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="agencies.login_failed")
        user_locked_out.connect(signals.on_locked_out, dispatch_uid="agencies.locked_out")
        post_save.connect(signals.on_user_saved, sender=User, dispatch_uid="agencies.user_saved")
        post_save.connect(fragments.people_changed, sender=User, dispatch_uid="fragments.people")
